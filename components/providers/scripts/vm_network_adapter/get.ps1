# A VM network adapter as it is now, by VM Id + adapter Id; exists=false once either is gone.
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json

$vm = Get-VM -Id $in.vm_id -ErrorAction SilentlyContinue
$adapter = $null
if ($null -ne $vm) {
    $adapter = @(Get-VMNetworkAdapter -VM $vm | Where-Object { $_.Id -eq $in.adapter_id })[0]
}
if ($null -eq $adapter) {
    return (@{ exists = $false } | ConvertTo-Json -Compress)
}
@{
    exists               = $true
    adapter_id           = "$($adapter.Id)"
    vm_id                = "$($vm.Id)"
    vm_name              = $vm.Name
    adapter_name         = $adapter.Name
    switch_name          = $adapter.SwitchName
    mac_address_spoofing = "$($adapter.MacAddressSpoofing)" -eq 'On'
    mac_address          = "$($adapter.MacAddress)"
} | ConvertTo-Json -Compress
