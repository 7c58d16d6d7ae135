# A VM's processor settings now, by VM Id; exists=false once the VM is gone.
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json

$vm = Get-VM -Id $in.vm_id -ErrorAction SilentlyContinue
if ($null -eq $vm) {
    return (@{ exists = $false } | ConvertTo-Json -Compress)
}
$cpu = Get-VMProcessor -VM $vm
@{
    exists                           = $true
    vm_id                            = "$($vm.Id)"
    vm_name                          = $vm.Name
    count                            = [int]$cpu.Count
    expose_virtualization_extensions = [bool]$cpu.ExposeVirtualizationExtensions
} | ConvertTo-Json -Compress
