# A VM's power state now, by Id; exists=false once the VM is gone.
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json

$vm = Get-VM -Id $in.vm_id -ErrorAction SilentlyContinue
if ($null -eq $vm) {
    return (@{ exists = $false } | ConvertTo-Json -Compress)
}
@{ exists = $true; vm_id = "$($vm.Id)"; vm_name = $vm.Name; state = "$($vm.State)" } |
    ConvertTo-Json -Compress
