# Set a VM's processor count and ExposeVirtualizationExtensions (nesting). Both change only
# while the VM is Off: Invoke-WhileVmOff applies the stop policy ('fail' keeps Windows' error).
# Nothing is sent when the VM already matches, so a running VM that is already right is fine.
# The VM is found by Id (update) or by exact name (create): needs the setting_vm.ps1 prelude.
# The VM variable is `$target`, not `$vm`: the -Change block runs inside Invoke-WhileVmOff,
# where PowerShell's dynamic scoping would resolve `$vm` to the function's own variable.
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json

$target = Find-LabSettingVm $in

$cpu = Get-VMProcessor -VM $target
$power = @{ previous_state = "$($target.State)"; restarted = $false; warnings = @() }
$same = ($cpu.Count -eq [int]$in.count) -and
    ([bool]$cpu.ExposeVirtualizationExtensions -eq [bool]$in.expose_virtualization_extensions)
if (-not $same) {
    $power = Invoke-WhileVmOff -VM $target -Policy $in.stop_policy -Change {
        Set-VMProcessor -VM $target -Count ([int]$in.count) -ExposeVirtualizationExtensions ([bool]$in.expose_virtualization_extensions)
    }
}
$cpu = Get-VMProcessor -VM $target
@{
    vm_id                             = "$($target.Id)"
    vm_name                           = $target.Name
    count                             = [int]$cpu.Count
    expose_virtualization_extensions  = [bool]$cpu.ExposeVirtualizationExtensions
    changed                           = -not $same
    restarted                         = $power.restarted
    warnings                          = $power.warnings
} | ConvertTo-Json -Compress
