# Install a Windows feature (Hyper-V by default). When `restart` is set and Windows needs a
# restart to finish, the machine is restarted right after (Restart-Computer -Force returns at
# once; the answer says `restarting`) and the provider waits, bounded, until it reports the
# feature installed. Running it again is harmless (Windows answers NoChangeNeeded).
# Needs the describe.ps1 prelude.
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json
$tools = [bool]$in.include_management_tools
if (Test-LabServer) {
    Install-WindowsFeature -Name $in.name -IncludeManagementTools:$tools -WarningAction SilentlyContinue | Out-Null
}
else {
    $optional = Get-LabOptionalFeatureName -Name $in.name
    Enable-WindowsOptionalFeature -Online -FeatureName $optional -All -NoRestart | Out-Null
}
$state = Get-LabFeatureState -Name $in.name
$state.restarting = $false
if ([bool]$in.restart -and $state.restart_needed) {
    Restart-Computer -Force
    $state.restarting = $true
}
$state | ConvertTo-Json -Compress
