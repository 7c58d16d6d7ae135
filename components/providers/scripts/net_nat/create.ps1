# Create a WinNAT network, or report the one that already has this name (status 'exists');
# the provider decides whether to adopt it. When WinNAT refuses the prefix, the error names
# the NATs already on this host (one per host, no overlap). Needs the describe.ps1 prelude.
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json
$nat = Find-LabNat -Name $in.name
$status = 'exists'
if ($null -eq $nat) {
    try {
        $nat = New-NetNat -Name $in.name -InternalIPInterfaceAddressPrefix $in.internal_prefix
    }
    catch {
        $others = @(Get-NetNat | ForEach-Object { "'$($_.Name)' ($($_.InternalIPInterfaceAddressPrefix))" })
        $known = 'none'
        if ($others.Count -gt 0) { $known = $others -join ', ' }
        throw ("New-NetNat refused prefix $($in.internal_prefix): $($_.Exception.Message) " +
            "(WinNAT allows one NAT network per host, not overlapping the host's own networks; " +
            "NATs on this host: $known)")
    }
    $status = 'created'
}
$state = ConvertTo-LabNatState -Nat $nat
$state.status = $status
$state | ConvertTo-Json -Compress
