# Shared prelude: apply a change that Hyper-V only allows while a VM is Off.
#   Invoke-WhileVmOff -VM $target -Policy $policy -Change { Set-VMProcessor ... }
# The VM is passed as the object the caller found (by Id or exact name), never looked up
# again by -Name (which treats [ ] * ? as wildcards and matches every VM of that name).
# Policy 'fail': run the change as is, so a running VM fails with Windows' own rule text.
# Policy 'stop-and-restore': shut the VM down, apply, start it again only if it was Running.
# A Paused VM is turned off, changed and left Off, with a warning.
# Returns a hashtable: previous_state, restarted, warnings (the caller puts it in its JSON).
function Invoke-WhileVmOff {
    param($VM, [string]$Policy, [scriptblock]$Change)
    $VM = Get-VM -Id $VM.Id
    $VMName = $VM.Name
    $before = "$($VM.State)"
    $warnings = @()
    if ($before -eq 'Off' -or $Policy -ne 'stop-and-restore') {
        & $Change | Out-Null
        return @{ previous_state = $before; restarted = $false; warnings = $warnings }
    }
    if ($before -eq 'Paused') {
        $warnings += "VM '$VMName' was Paused: it was turned off to apply the change and left Off."
        Stop-VM -VM $VM -TurnOff -Force | Out-Null
    }
    else {
        Stop-VM -VM $VM -Force | Out-Null
    }
    $restarted = $false
    try {
        & $Change | Out-Null
    }
    finally {
        if ($before -eq 'Running') {
            Start-VM -VM $VM | Out-Null
            $restarted = $true
        }
    }
    return @{ previous_state = $before; restarted = $restarted; warnings = $warnings }
}
