# Connect a VM network adapter to a switch (or disconnect it) and set MAC address spoofing
# (needed on an L1's adapters so its L2 guests reach the outside). The adapter is found by
# VM Id + adapter Id (update) or by exact VM and adapter names (create; the VM through the
# setting_vm.ps1 prelude). If a step fails, the adapter's previous switch and spoofing setting
# are restored before rethrowing.
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json

$vm = Find-LabSettingVm $in
if ($in.vm_id) {
    $adapter = Find-LabVmAdapter $vm $in.adapter_id
    if ($null -eq $adapter) {
        throw "VM '$($vm.Name)' no longer has the network adapter '$($in.adapter_name)' ($($in.adapter_id))."
    }
}
else {
    $named = @(Get-VMNetworkAdapter -VM $vm | Where-Object { $_.Name -eq $in.adapter_name })
    if ($named.Count -ne 1) {
        throw "Expected one network adapter named '$($in.adapter_name)' on VM '$($vm.Name)', found $($named.Count)."
    }
    $adapter = $named[0]
}

$beforeSwitch = $adapter.SwitchName
$beforeSpoofing = "$($adapter.MacAddressSpoofing)"
$wantSpoofing = if ($in.mac_address_spoofing) { 'On' } else { 'Off' }
try {
    if ($in.switch_name -and $beforeSwitch -ne $in.switch_name) {
        Connect-VMNetworkAdapter -VMNetworkAdapter $adapter -SwitchName $in.switch_name
    }
    elseif (-not $in.switch_name -and $beforeSwitch) {
        Disconnect-VMNetworkAdapter -VMNetworkAdapter $adapter
    }
    if ($beforeSpoofing -ne $wantSpoofing) {
        Set-VMNetworkAdapter -VMNetworkAdapter $adapter -MacAddressSpoofing $wantSpoofing
    }
}
catch {
    $failure = $_
    if ($beforeSwitch) {
        Connect-VMNetworkAdapter -VMNetworkAdapter $adapter -SwitchName $beforeSwitch -ErrorAction SilentlyContinue
    }
    else {
        Disconnect-VMNetworkAdapter -VMNetworkAdapter $adapter -ErrorAction SilentlyContinue
    }
    Set-VMNetworkAdapter -VMNetworkAdapter $adapter -MacAddressSpoofing $beforeSpoofing -ErrorAction SilentlyContinue
    throw $failure
}

$adapter = Find-LabVmAdapter $vm $adapter.Id
Get-LabVmAdapterDescription $vm $adapter | ConvertTo-Json -Compress
