# Shared prelude: apply a change that Hyper-V only allows while a VM is Off.
#   Invoke-WhileVmOff -VMName $name -Policy $policy -Change { Set-VMProcessor ... }
# Policy 'fail': run the change as is, so a running VM fails with Windows' own rule text.
# Policy 'stop-and-restore': shut the VM down, apply, start it again only if it was Running.
# A Paused VM is turned off, changed and left Off, with a warning.
# Returns a hashtable: previous_state, restarted, warnings (the caller puts it in its JSON).
function Invoke-WhileVmOff {
    param([string]$VMName, [string]$Policy, [scriptblock]$Change)
    $vm = Get-VM -Name $VMName
    $before = "$($vm.State)"
    $warnings = @()
    if ($before -eq 'Off' -or $Policy -ne 'stop-and-restore') {
        & $Change | Out-Null
        return @{ previous_state = $before; restarted = $false; warnings = $warnings }
    }
    if ($before -eq 'Paused') {
        $warnings += "VM '$VMName' was Paused: it was turned off to apply the change and left Off."
        Stop-VM -Name $VMName -TurnOff -Force | Out-Null
    }
    else {
        Stop-VM -Name $VMName -Force | Out-Null
    }
    $restarted = $false
    try {
        & $Change | Out-Null
    }
    finally {
        if ($before -eq 'Running') {
            Start-VM -Name $VMName | Out-Null
            $restarted = $true
        }
    }
    return @{ previous_state = $before; restarted = $restarted; warnings = $warnings }
}
