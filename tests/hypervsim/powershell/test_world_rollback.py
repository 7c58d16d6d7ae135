"""A command that fails half-way (an emulator bug injected mid-change) leaves the world as it was."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hypervsim.powershell.session import RunResult
from hypervsim.world.model import Computer, World

from .conftest import errors
from .test_files import IMAGE, state

Run = Callable[[str], RunResult]


def _fqids(result: RunResult) -> list[str]:
    return [r.error.fqid for r in result.records if r.kind == "error" and r.error is not None]


def _fail(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError("injected failure")


def test_switch_half_created_is_rolled_back(
    ps: Run, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = state(world)
    # New-VMSwitch -SwitchType Internal adds the switch and its host vNIC, then gives the vNIC
    # an APIPA address: fail there, after two changes.
    monkeypatch.setattr(Computer, "add_apipa", _fail)
    r = ps("New-VMSwitch -Name half -SwitchType Internal")
    assert _fqids(r) == ["EmulatorInternalError,New-VMSwitch"]
    assert "injected failure" in errors(r)[0]
    assert state(world) == before
    monkeypatch.undo()
    r = ps("(Get-VMSwitch).Name -join ','; (Get-NetAdapter).Name -join ','")
    assert "half" not in r.stdout
    assert not errors(ps("New-VMSwitch -Name half -SwitchType Internal | Out-Null"))
    assert "vEthernet (half)" in ps("(Get-NetAdapter).Name -join ','").stdout


def test_first_boot_failing_late_leaves_vm_off_and_disk_unspecialized(
    ps: Run, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = ps(
        "New-Item -ItemType Directory C:\\VMs | Out-Null\n"
        f"New-VHD -Path C:\\VMs\\a.vhdx -ParentPath '{IMAGE}' -Differencing | Out-Null\n"
        "New-VM -Name a -Generation 2 -MemoryStartupBytes 2GB -VHDPath C:\\VMs\\a.vhdx | Out-Null"
    )
    assert not errors(r)
    vm = world.root.vms[0]
    before = state(world)
    # Start-VM sets Running, creates the guest, specializes the disk and adds guest NICs
    # before DHCP configures them: fail at DHCP.
    monkeypatch.setattr(Computer, "dhcp_configure", _fail)
    r = ps("Start-VM -Name a")
    assert _fqids(r) == ["EmulatorInternalError,Start-VM"]
    assert state(world) == before
    assert world.root.vms[0] is vm and vm.state == "Off" and vm.guest is None
    monkeypatch.undo()
    assert not errors(ps("Start-VM -Name a"))
    assert vm.state == "Running" and vm.guest is not None and vm.guest.host is world.root


def test_live_objects_keep_their_identity_after_a_rollback(
    ps: Run, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not errors(ps("$vm = New-VM -Name keep -Generation 2"))
    original = world.root.vms[0]
    real_check = Computer.set_vm_notes

    def notes_then_fail(self: Computer, vm: object, notes: str) -> None:
        real_check(self, vm, notes)  # type: ignore[arg-type]
        raise RuntimeError("injected failure")

    monkeypatch.setattr(Computer, "set_vm_notes", notes_then_fail)
    r = ps("Set-VM -Name keep -ProcessorCount 2 -Notes changed")
    assert _fqids(r) == ["EmulatorInternalError,Set-VM"]
    assert original.processor_count == 1 and original.notes == ""
    monkeypatch.undo()
    # the object held in $vm is still the world's VM: changing it through $vm works
    r = ps("$vm | Set-VM -ProcessorCount 2; (Get-VM -Name keep).ProcessorCount")
    assert not errors(r)
    assert r.stdout.strip() == "2"
    assert world.root.vms == [original] and original.processor_count == 2


def test_a_refused_target_keeps_the_other_targets_changes(ps: Run, world: World) -> None:
    assert not errors(ps("New-VM -Name one | Out-Null; New-VM -Name two | Out-Null"))
    # one of two targets refused (an unknown name): the other still changes, as on Windows
    r = ps("Set-VM -Name one, nothere -Notes n")
    assert len(errors(r)) == 1
    assert [vm.notes for vm in world.root.vms] == ["n", ""]
