# The VM as it is now, by Id (names may repeat or change); exists=false once it is gone.
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json

$vm = Get-VM -Id $in.vm_id -ErrorAction SilentlyContinue
if ($null -eq $vm) {
    return (@{ exists = $false } | ConvertTo-Json -Compress)
}
$described = Get-VmDescription -VM $vm
$described.exists = $true
$described | ConvertTo-Json -Compress
