# Remove a virtual switch by exact name; a switch that is already gone is success.
# Needs the describe.ps1 prelude.
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json
$switch = Find-LabSwitch -Name $in.name
if ($null -ne $switch) {
    $switch | Remove-VMSwitch -Force
}
@{ removed = ($null -ne $switch) } | ConvertTo-Json -Compress
