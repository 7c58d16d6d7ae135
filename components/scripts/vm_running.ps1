# Whether a VM (by Id) runs now, and whether it runs Hyper-V inside (exposes the
# virtualization extensions): what a preview needs to say if a change that needs the VM Off
# will fail (stop_policy 'fail') or stop and restart it ('stop-and-restore').
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json

$vm = Get-VM -Id $in.vm_id -ErrorAction SilentlyContinue
if ($null -eq $vm) {
    return (@{ exists = $false } | ConvertTo-Json -Compress)
}
@{
    exists = $true
    name   = $vm.Name
    state  = "$($vm.State)"
    nested = [bool](Get-VMProcessor -VM $vm).ExposeVirtualizationExtensions
} | ConvertTo-Json -Compress
