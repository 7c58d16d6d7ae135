# Shared prelude of the WindowsFeature scripts: Server Manager on Windows Server
# (Install-WindowsFeature), DISM optional features on client Windows 10/11, which has no
# Install-WindowsFeature (Enable-WindowsOptionalFeature), told apart by that command.
function Test-LabServer {
    $null -ne (Get-Command Install-WindowsFeature -ErrorAction SilentlyContinue)
}

function Get-LabOptionalFeatureName {
    param([string]$Name)
    # The client name of the Hyper-V role; enabled with -All, as Microsoft documents it.
    if ($Name -eq 'Hyper-V') { return 'Microsoft-Hyper-V' }
    $Name
}

function Get-LabFeatureState {
    param([string]$Name)
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
    $optional = Get-LabOptionalFeatureName -Name $Name
    $feature = Get-WindowsOptionalFeature -Online -FeatureName $optional -ErrorAction SilentlyContinue |
        Where-Object { $_.FeatureName -eq $optional } | Select-Object -First 1
    if ($null -eq $feature) { throw "This Windows has no optional feature named '$optional'." }
    $state = "$($feature.State)"
    @{
        edition        = 'client'
        feature        = $feature.FeatureName
        installed      = ($state -eq 'Enabled')
        restart_needed = ($state -eq 'EnablePending')
    }
}
