# Shared prelude of the WindowsFeature scripts: Server Manager on Windows Server
# (Install-WindowsFeature), DISM optional features on client Windows
# (Enable-WindowsOptionalFeature), told apart by whether Get-WindowsFeature exists.
function Test-LabServer {
    $null -ne (Get-Command Get-WindowsFeature -ErrorAction SilentlyContinue)
}

function Get-LabOptionalFeatureName {
    param([string]$Name, [bool]$IncludeManagementTools)
    # The client names of the Hyper-V role: the platform alone, or everything incl. the tools.
    if ($Name -eq 'Hyper-V') {
        if ($IncludeManagementTools) { return 'Microsoft-Hyper-V-All' }
        return 'Microsoft-Hyper-V'
    }
    $Name
}

function Get-LabFeatureState {
    param([string]$Name, [bool]$IncludeManagementTools)
    if (Test-LabServer) {
        $feature = Get-WindowsFeature | Where-Object { $_.Name -eq $Name } | Select-Object -First 1
        if ($null -eq $feature) { throw "This server has no Windows feature named '$Name'." }
        $state = "$($feature.InstallState)"
        return @{
            edition        = 'server'
            feature        = $feature.Name
            installed      = ($state -eq 'Installed')
            restart_needed = ($state -eq 'InstallPending')
        }
    }
    $optional = Get-LabOptionalFeatureName -Name $Name -IncludeManagementTools $IncludeManagementTools
    $feature = Get-WindowsOptionalFeature -Online | Where-Object { $_.FeatureName -eq $optional } | Select-Object -First 1
    if ($null -eq $feature) { throw "This Windows has no optional feature named '$optional'." }
    $state = "$($feature.State)"
    @{
        edition        = 'client'
        feature        = $feature.FeatureName
        installed      = ($state -eq 'Enabled')
        restart_needed = ($state -eq 'EnablePending')
    }
}
