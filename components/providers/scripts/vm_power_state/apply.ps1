# Bring a VM to the declared state: Start-VM for Running (also resumes a Saved or Paused VM),
# a guest shutdown (Stop-VM -Force) for Off, or a turn-off when the VM is Saved or Paused.
# The VM is found by Id (update) or by exact name (create): needs the setting_vm.ps1 prelude.
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json

$vm = Find-LabSettingVm $in

$before = "$($vm.State)"
if ($in.state -eq 'Running' -and $before -ne 'Running') {
    Start-VM -VM $vm
}
elseif ($in.state -eq 'Off' -and $before -eq 'Running') {
    Stop-VM -VM $vm -Force
}
elseif ($in.state -eq 'Off' -and $before -ne 'Off') {
    Stop-VM -VM $vm -TurnOff -Force
}
$vm = Get-VM -Id $vm.Id
@{ vm_id = "$($vm.Id)"; vm_name = $vm.Name; state = "$($vm.State)"; previous_state = $before } |
    ConvertTo-Json -Compress
