# Shared prelude of the NetNat scripts. NAT names are compared with -eq, never passed to
# -Name (which takes wildcards).
function Find-LabNat {
    param([string]$Name)
    Get-NetNat | Where-Object { $_.Name -eq $Name } | Select-Object -First 1
}

function ConvertTo-LabNatState {
    param($Nat)
    @{
        exists          = $true
        internal_prefix = "$($Nat.InternalIPInterfaceAddressPrefix)"
        active          = [bool]$Nat.Active
    }
}
