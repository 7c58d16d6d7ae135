# Disconnect the adapter from its switch. A VM or adapter that is already gone is success.
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json

$vm = Get-VM -Id $in.vm_id -ErrorAction SilentlyContinue
$adapter = Find-LabVmAdapter $vm $in.adapter_id
if ($null -ne $adapter -and $adapter.SwitchName) {
    Disconnect-VMNetworkAdapter -VMNetworkAdapter $adapter
}
@{ disconnected = ($null -ne $adapter) } | ConvertTo-Json -Compress
