# Install a Windows feature (Hyper-V by default) without restarting; the provider restarts the
# machine afterwards if asked to. Running it again is harmless (Windows answers NoChangeNeeded).
# Needs the describe.ps1 prelude.
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json
$tools = [bool]$in.include_management_tools
if (Test-LabServer) {
    Install-WindowsFeature -Name $in.name -IncludeManagementTools:$tools -WarningAction SilentlyContinue | Out-Null
}
else {
    $optional = Get-LabOptionalFeatureName -Name $in.name -IncludeManagementTools $tools
    Enable-WindowsOptionalFeature -Online -FeatureName $optional -All -NoRestart | Out-Null
}
Get-LabFeatureState -Name $in.name -IncludeManagementTools $tools | ConvertTo-Json -Compress
