# Shared prelude: the VM a setting applies to (its processors, power state, an adapter), found
# by Id (an update) or by exact name (a create), never by Get-VM -Name (which treats [ ] * ?
# as wildcards and matches every VM of that name).
function Find-LabSettingVm {
    param($In)
    if ($In.vm_id) {
        return Get-VM -Id $In.vm_id
    }
    $found = @(Get-VM | Where-Object { $_.Name -eq $In.vm_name })
    if ($found.Count -ne 1) {
        throw "Expected one VM named '$($In.vm_name)' on this host, found $($found.Count)."
    }
    return $found[0]
}
