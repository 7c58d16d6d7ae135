# Shared prelude of the VmSwitch scripts: the switch's state as the provider's outputs name it.
# Switch and adapter names are compared with -eq, never passed to -Name (which takes wildcards).
function Find-LabSwitch {
    param([string]$Name)
    Get-VMSwitch | Where-Object { $_.Name -eq $Name } | Select-Object -First 1
}

function ConvertTo-LabSwitchState {
    param($Switch)
    $type = "$($Switch.SwitchType)"
    $hostAdapter = $null
    $vnicName = "vEthernet ($($Switch.Name))"
    $vnic = Get-NetAdapter | Where-Object { $_.Name -eq $vnicName } | Select-Object -First 1
    if ($null -ne $vnic) { $hostAdapter = $vnic.Name }
    $uplink = $null
    if ($type -eq 'External' -and $Switch.NetAdapterInterfaceDescription) {
        $nic = Get-NetAdapter |
            Where-Object { $_.InterfaceDescription -eq $Switch.NetAdapterInterfaceDescription } |
            Select-Object -First 1
        if ($null -ne $nic) { $uplink = $nic.Name }
    }
    @{
        exists           = $true
        switch_type      = $type
        net_adapter_name = $uplink
        switch_id        = "$($Switch.Id)"
        host_adapter     = $hostAdapter
    }
}
