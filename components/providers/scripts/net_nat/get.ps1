# Read a WinNAT network by exact name (needs the describe.ps1 prelude).
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json
$nat = Find-LabNat -Name $in.name
if ($null -eq $nat) {
    return (@{ exists = $false } | ConvertTo-Json -Compress)
}
ConvertTo-LabNatState -Nat $nat | ConvertTo-Json -Compress
