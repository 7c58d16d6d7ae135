"""Checkpoint-VM and *-VMSnapshot / *-VMCheckpoint as scripts use them."""

from __future__ import annotations

from collections.abc import Callable

from hypervsim.powershell.session import RunResult
from hypervsim.world.model import World

from .conftest import errors, lines
from .test_files import IMAGE

Run = Callable[[str], RunResult]


def _fqids(result: RunResult) -> list[str]:
    return [r.error.fqid for r in result.records if r.kind == "error" and r.error is not None]


def _vm(ps: Run, name: str = "a") -> None:
    r = ps(
        "New-Item -ItemType Directory C:\\VMs -Force | Out-Null\n"
        f"New-VHD -Path C:\\VMs\\{name}.vhdx -ParentPath '{IMAGE}' -Differencing | Out-Null\n"
        f"New-VM -Name {name} -Generation 2 -MemoryStartupBytes 2GB -VHDPath C:\\VMs\\{name}.vhdx"
        " | Out-Null"
    )
    assert not errors(r)


def test_checkpoint_list_restore_and_remove_through_the_aliases(ps: Run, world: World) -> None:
    _vm(ps)
    r = ps(
        "Checkpoint-VM -Name a -SnapshotName one\n"
        "Set-VM -Name a -ProcessorCount 2 -Notes later\n"
        "$c = Checkpoint-VM -VM (Get-VM a) -SnapshotName two -Passthru\n"
        '"$($c.Name) $($c.SnapshotType) $($c.ParentSnapshotName) $($c.VMName)"\n'
        "(Get-VMCheckpoint -VMName a).Name -join ','\n"
        "Get-VMSnapshot -VMName a -Name one | Restore-VMSnapshot -Confirm:$false\n"
        '$v = Get-VM a; "$($v.ProcessorCount) [$($v.Notes)] $($v.ParentCheckpointName)"\n'
        "Restore-VMCheckpoint -VMName a -Name two -Confirm:$false -Passthru | ForEach-Object Name\n"
        "(Get-VM a).ProcessorCount\n"
        "Remove-VMCheckpoint -VMName a -Name one -IncludeAllChildCheckpoints\n"
        "@(Get-VMSnapshot -VMName a).Count\n"
        "(Get-VMHardDiskDrive -VMName a).Path"
    )
    assert not errors(r)
    assert lines(r) == [
        "two Production one a",
        "one,two",
        "1 [] one",
        "two",
        "2",
        "0",
        "C:\\VMs\\a.vhdx",
    ]
    assert [d.path for d in world.root.vhds if d.path.startswith("C:\\VMs")] == ["C:\\VMs\\a.vhdx"]


def test_unknown_snapshot_names_and_checkpoint_types(ps: Run) -> None:
    _vm(ps)
    r = ps("Get-VMSnapshot -VMName a -Name nothere")
    assert errors(r) == ["Unable to find a snapshot matching the given criteria."]
    assert _fqids(r) == ["ObjectNotFound,Microsoft.HyperV.PowerShell.Commands.GetVMSnapshot"]
    # a wildcard that matches nothing, and Remove-VMSnapshot of an unknown name, say nothing
    assert not errors(ps("Get-VMSnapshot -VMName a -Name no*; Remove-VMSnapshot -VMName a -Name x"))
    r = ps("Set-VM -Name a -CheckpointType Snapshots")
    assert _fqids(r) == [
        "CannotConvertArgumentNoMessage,Microsoft.HyperV.PowerShell.Commands.SetVM"
    ]
    assert errors(r)[0].endswith(
        "Specify one of the following enumerator names and try again:\r\n"
        'Disabled, Production, ProductionOnly, Standard"'
    )
    r = ps(
        "Set-VM -Name a -CheckpointType productiononly -AutomaticCheckpointsEnabled $true\n"
        '$v = Get-VM a; "$($v.CheckpointType) $($v.AutomaticCheckpointsEnabled)"\n'
        "Set-VM -Name a -CheckpointType 2; (Get-VM a).CheckpointType\n"
        "Checkpoint-VM -Name a"
    )
    assert lines(r) == ["ProductionOnly True", "Disabled"]
    assert errors(r)[0].startswith("Checkpoint operation failed.\nCheckpoints have been disabled.")
    r = ps("Checkpoint-VM -Name a -Snapshot x -Bogus")
    assert errors(r) == ["A parameter cannot be found that matches parameter name 'Bogus'."]


def test_a_standard_checkpoint_of_a_running_vm_comes_back_saved(ps: Run) -> None:
    _vm(ps)
    r = ps(
        "Set-VM -Name a -CheckpointType Standard\n"
        "Start-VM -Name a\n"
        "Checkpoint-VM -Name a -SnapshotName live\n"
        "(Get-VMSnapshot -VMName a).State\n"
        "Restore-VMSnapshot -VMName a -Name live -Confirm:$false\n"
        "(Get-VM a).State\n"
        "Start-VM -Name a; (Get-VM a).State"
    )
    assert not errors(r)
    assert lines(r) == ["Saved", "Saved", "Running"]


def test_stop_vm_save_and_save_vm_keep_the_running_guest(ps: Run, world: World) -> None:
    _vm(ps)
    r = ps(
        "Start-VM a; Stop-VM a -Save; (Get-VM a).State\n"
        "Start-VM a; (Get-VM a).State; Save-VM a -Passthru | ForEach-Object State\n"
        "Save-VM a -WhatIf"
    )
    assert not errors(r)
    assert lines(r) == [
        "Saved",
        "Running",
        "Saved",
        'What if: Performing the operation "Save-VM" on target "a".',
    ]
    assert world.root.vms[0].guest is not None
