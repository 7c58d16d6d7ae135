# Shared prelude of the VmNetworkAdapter scripts: find an adapter by its VM's Id and its own Id
# (an adapter's name may repeat), and report it as the provider reads it.
function Find-LabVmAdapter {
    param($VM, [string]$AdapterId)
    if ($null -eq $VM) { return $null }
    @(Get-VMNetworkAdapter -VM $VM | Where-Object { $_.Id -eq $AdapterId })[0]
}

function Get-LabVmAdapterDescription {
    param($VM, $Adapter)
    @{
        adapter_id           = "$($Adapter.Id)"
        vm_id                = "$($VM.Id)"
        vm_name              = $VM.Name
        adapter_name         = $Adapter.Name
        switch_name          = $Adapter.SwitchName
        mac_address_spoofing = "$($Adapter.MacAddressSpoofing)" -eq 'On'
        mac_address          = "$($Adapter.MacAddress)"
    }
}
