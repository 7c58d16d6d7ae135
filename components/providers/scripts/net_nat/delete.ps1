# Remove a WinNAT network by exact name; one that is already gone is success.
# Needs the describe.ps1 prelude.
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json
$nat = Find-LabNat -Name $in.name
if ($null -ne $nat) {
    $nat | Remove-NetNat -Confirm:$false
}
@{ removed = ($null -ne $nat) } | ConvertTo-Json -Compress
