# Read whether a Windows feature is installed, or waits for a restart (needs describe.ps1).
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json
Get-LabFeatureState -Name $in.name |
    ConvertTo-Json -Compress
