# Read a virtual switch by exact name (needs the describe.ps1 prelude).
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json
$switch = Find-LabSwitch -Name $in.name
if ($null -eq $switch) {
    return (@{ exists = $false } | ConvertTo-Json -Compress)
}
ConvertTo-LabSwitchState -Switch $switch | ConvertTo-Json -Compress
