"""New-/Set-/Get-VM and friends take Windows Server 2022's parameters: settings the model does
not act on are accepted and read back, parameters Windows lacks are refused."""

from __future__ import annotations

from collections.abc import Callable

from hypervsim.powershell.session import RunResult

from .conftest import errors, lines

Run = Callable[[str], RunResult]

TERRAFORM_READS = (
    "Name Path Generation AutomaticCriticalErrorAction AutomaticCriticalErrorActionTimeout "
    "AutomaticStartAction AutomaticStartDelay AutomaticStopAction CheckpointType "
    "DynamicMemoryEnabled GuestControlledCacheTypes HighMemoryMappedIoSpace LockOnDisconnect "
    "LowMemoryMappedIoSpace MemoryMaximum MemoryMinimum MemoryStartup Notes ProcessorCount "
    "SmartPagingFilePath SnapshotFileLocation"
).split()


def test_new_vm_positions_and_get_vm_defaults(ps: Run) -> None:
    r = ps(
        "New-VM a 1GB 2 | Out-Null\n"
        "$v = Get-VM a\n"
        '"$($v.Generation) $($v.MemoryStartup / 1MB)"\n'
        + "".join(f'if ($null -eq $v.{p}) {{ "missing {p}" }}\n' for p in TERRAFORM_READS)
        + "$v | Select-Object AutomaticStartAction, AutomaticStopAction, "
        "AutomaticCriticalErrorAction, AutomaticCriticalErrorActionTimeout, LockOnDisconnect, "
        "CheckpointType, LowMemoryMappedIoSpace | ConvertTo-Json -Compress\n"
        "$v.SmartPagingFilePath"
    )
    assert not errors(r)
    assert lines(r) == [
        "2 1024",
        '{"AutomaticStartAction":3,"AutomaticStopAction":3,"AutomaticCriticalErrorAction":1,'
        '"AutomaticCriticalErrorActionTimeout":30,"LockOnDisconnect":1,"CheckpointType":3,'
        '"LowMemoryMappedIoSpace":134217728}',
        "C:\\ProgramData\\Microsoft\\Windows\\Hyper-V",
    ]


def test_set_vm_settings_read_back_and_enums_bind_like_windows(ps: Run) -> None:
    r = ps(
        "New-VM a | Out-Null\n"
        "Set-VM -Name a -AutomaticStartAction Nothing -AutomaticStopAction ShutDown "
        "-AutomaticStartDelay 30 -AutomaticCriticalErrorAction None "
        "-AutomaticCriticalErrorActionTimeout 5 -LockOnDisconnect On -GuestControlledCacheTypes $true "
        "-LowMemoryMappedIoSpace 256MB -HighMemoryMappedIoSpace 1GB -SnapshotFileLocation C:\\Snaps "
        "-SmartPagingFilePath C:\\Paging -AllowUnverifiedPaths -Passthru | ForEach-Object Name\n"
        '$v = Get-VM a; "$($v.AutomaticStartAction) $($v.AutomaticStopAction) $($v.AutomaticStartDelay) '
        "$($v.AutomaticCriticalErrorAction) $($v.LockOnDisconnect) $($v.HighMemoryMappedIoSpace / 1GB) "
        '$($v.SnapshotFileLocation) $($v.SmartPagingFilePath)"\n'
        "Set-VM -Name a -AutomaticStartAction 4; (Get-VM a).AutomaticStartAction"
    )
    assert not errors(r)
    assert lines(r) == ["a", "Nothing ShutDown 30 None On 1 C:\\Snaps C:\\Paging", "Start"]
    r = ps("Set-VM -Name a -AutomaticStopAction Hibernate")
    assert errors(r) == [
        "Cannot bind parameter 'AutomaticStopAction'. Cannot convert value \"Hibernate\" to type "
        '"Microsoft.HyperV.PowerShell.StopAction". Error: "Unable to match the identifier name '
        "Hibernate to a valid enumerator name. Specify one of the following enumerator names and "
        'try again:\r\nTurnOff, Save, ShutDown"'
    ]
    r = ps("Set-VM -Name a -MemoryBufferPercent 20")
    assert errors(r) == [
        "A parameter cannot be found that matches parameter name 'MemoryBufferPercent'."
    ]
    r = ps(
        "Start-VM a; Set-VM -Name a -LowMemoryMappedIoSpace 512MB; (Get-VM a).LowMemoryMappedIoSpace"
    )
    assert errors(r)[0].endswith(
        "The operation cannot be performed while the virtual machine is in its current state."
    )
    assert lines(r) == ["268435456"]


def test_empty_path_settings_fail_binding_and_change_nothing(ps: Run) -> None:
    # -SnapshotFileLocation / -SmartPagingFilePath are [ValidateNotNullOrEmpty]: '' or $null
    # fails parameter validation and the whole Set-VM does nothing (Notes stays unset).
    assert not errors(ps("New-VM -Name e | Out-Null"))
    for param, value in (("SnapshotFileLocation", "''"), ("SmartPagingFilePath", "$null")):
        r = ps(f"Set-VM -Name e -{param} {value} -Notes changed; 'next'")
        assert lines(r) == ["next"]
        assert errors(r) == [
            f"Cannot validate argument on parameter '{param}'. The argument is null or empty."
            " Provide an argument that is not null or empty, and then try the command again."
        ]
        assert [x.error.fqid for x in r.records if x.error is not None] == [
            "ParameterArgumentValidationError,Microsoft.HyperV.PowerShell.Commands.SetVM"
        ]
    r = ps(
        '$v = Get-VM -Name e; "[$($v.Notes)] $($v.SnapshotFileLocation) $($v.SmartPagingFilePath)"'
    )
    assert lines(r) == [
        "[] C:\\ProgramData\\Microsoft\\Windows\\Hyper-V C:\\ProgramData\\Microsoft\\Windows\\Hyper-V"
    ]


def test_processor_and_memory_settings_read_back(ps: Run) -> None:
    r = ps(
        "New-VM a | Out-Null\n"
        "Set-VMProcessor a -Count 2 -Reserve 10 -Maximum 75 -RelativeWeight 200 "
        "-CompatibilityForMigrationEnabled $true -HwThreadCountPerCore 2 -EnableHostResourceProtection $true\n"
        '$p = Get-VMProcessor a; "$($p.Count) $($p.Reserve) $($p.Maximum) $($p.RelativeWeight) '
        '$($p.CompatibilityForMigrationEnabled) $($p.HwThreadCountPerCore) $($p.EnableHostResourceProtection)"\n'
        "Get-VMProcessor a | Set-VMProcessor -Reserve 5; (Get-VMProcessor a).Reserve\n"
        "Set-VMMemory a -Buffer 30 -Priority 80 -DynamicMemoryEnabled $true -MinimumBytes 512MB -MaximumBytes 4GB\n"
        '$m = Get-VMMemory a; "$($m.Buffer) $($m.Priority) $($m.DynamicMemoryEnabled) $($m.Maximum / 1GB) $($m.Maximum -eq (Get-VMProcessor a).Maximum)"'
    )
    assert not errors(r)
    assert lines(r) == ["2 10 75 200 True 2 True", "5", "30 80 True 4 False"]
    assert errors(ps("Set-VMProcessor a -Turbo $true")) == [
        "A parameter cannot be found that matches parameter name 'Turbo'."
    ]


def test_network_adapter_mac_and_settings(ps: Run) -> None:
    r = ps(
        "New-VM a | Out-Null\n"
        "Set-VMNetworkAdapter -VMName a -StaticMacAddress 00155DAABBCC -DhcpGuard On -RouterGuard On "
        "-VmqWeight 0 -PortMirroring Source -MaximumBandwidth 100000000 -MacAddressSpoofing On\n"
        '$n = Get-VMNetworkAdapter a; "$($n.MacAddress) $($n.DynamicMacAddressEnabled) $($n.DhcpGuard) '
        '$($n.RouterGuard) $($n.VmqWeight) $($n.PortMirroringMode) $($n.MacAddressSpoofing)"\n'
        "Get-VMNetworkAdapter a | Set-VMNetworkAdapter -DynamicMacAddress -PortMirroring None\n"
        "$n = Get-VMNetworkAdapter a; \"$($n.DynamicMacAddressEnabled) $($n.PortMirroringMode) $($n.MacAddress -ne '00155DAABBCC')\"\n"
        "Start-VM a; Set-VMNetworkAdapter -VMName a -StaticMacAddress 00155DAABBCD\n"
        "Set-VMNetworkAdapter -VMName a -MacAddressSpoofing Maybe"
    )
    assert lines(r) == ["00155DAABBCC False On On 0 Source On", "True None True"]
    assert errors(r)[0].startswith("Failed to modify device 'Synthetic Ethernet Port'.")
    assert errors(r)[1].startswith("Cannot bind parameter 'MacAddressSpoofing'.")


def test_switch_settings_and_management_os(ps: Run) -> None:
    r = ps(
        "New-VMSwitch -Name i -SwitchType Internal -MinimumBandwidthMode Weight -EnableIov $true | Out-Null\n"
        '$s = Get-VMSwitch i; "$($s.SwitchType) $($s.BandwidthReservationMode) $($s.IovEnabled)"\n'
        "Set-VMSwitch i -AllowManagementOS $false; (Get-VMSwitch i).SwitchType\n"
        "@(Get-NetAdapter | Where-Object Name -eq 'vEthernet (i)').Count\n"
        'Set-VMSwitch i -SwitchType Internal -DefaultFlowMinimumBandwidthWeight 10 -Passthru | ForEach-Object { "$($_.SwitchType) $($_.DefaultFlowMinimumBandwidthWeight)" }\n'
        "Set-VMSwitch External -AllowManagementOS $false; (Get-NetIPAddress -InterfaceAlias Ethernet).IPAddress\n"
        "Set-VMSwitch i -NetAdapterName Ethernet"
    )
    assert lines(r) == ["Internal Weight True", "Private", "0", "Internal 10", "10.0.0.10"]
    assert errors(r) == [
        "A parameter cannot be found that matches parameter name 'NetAdapterName'."
    ]


def test_get_cmdlets_take_windows_positions_and_filters(ps: Run) -> None:
    r = ps(
        "New-VMSwitch -Name i -SwitchType Internal | Out-Null; New-VM a | Out-Null\n"
        "(Get-VMNetworkAdapter -ManagementOS -SwitchName i).Name\n"
        "@(Get-VMNetworkAdapter -ManagementOS).Count\n"
        "(Get-VMNetworkAdapter a 'Network Adapter').VMName\n"
        "(Get-VMSwitch i Primordial).Name"
    )
    assert not errors(r)
    assert lines(r) == ["i", "2", "a", "i"]
