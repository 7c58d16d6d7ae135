# A VM network adapter as it is now, by VM Id + adapter Id; exists=false once either is gone.
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json

$vm = Get-VM -Id $in.vm_id -ErrorAction SilentlyContinue
$adapter = Find-LabVmAdapter $vm $in.adapter_id
if ($null -eq $adapter) {
    return (@{ exists = $false } | ConvertTo-Json -Compress)
}
$out = Get-LabVmAdapterDescription $vm $adapter
$out.exists = $true
$out | ConvertTo-Json -Compress
