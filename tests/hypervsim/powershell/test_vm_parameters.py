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
