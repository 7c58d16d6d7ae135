"""Checkpoints: types and their fallbacks, the AVHDX chain, apply and merge, nested limits."""

from __future__ import annotations

import pytest

from hypervsim.world.errors import WorldError
from hypervsim.world.model import VM, World

from .conftest import make_l1, make_nat_lab, snapshot

GiB = 1024**3


def _paths(world: World) -> list[str]:
    return sorted(d.path for d in world.root.vhds if d.path.startswith("C:\\VMs"))


def test_checkpoint_of_an_off_vm_freezes_its_disk_into_an_avhdx_chain(world: World) -> None:
    vm = make_l1(world, start=False)
    host = world.root
    base = vm.hard_drives[0].path
    c = host.checkpoint_vm(vm, "before")
    now = host.vhd(vm.hard_drives[0].path)
    assert now is not None and now.path.startswith("C:\\VMs\\L1_") and now.path.endswith(".avhdx")
    assert now.parent_path == base and now.vhd_type == "Differencing"
    assert (c.name, c.snapshot_type, c.state, c.disk_paths) == (
        "before",
        "Production",
        "Off",
        [base],
    )
    assert vm.current_checkpoint == c.id
    second = host.checkpoint_vm(vm)
    assert second.parent_id == c.id and second.name.startswith("L1 - (")


def test_standard_checkpoint_of_a_running_vm_restores_to_saved_with_the_old_guest(
    world: World,
) -> None:
    vm = make_l1(world)
    host = world.root
    host.set_checkpoint_type(vm, "Standard")
    guest = vm.guest
    assert guest is not None
    c = host.checkpoint_vm(vm, "clean")
    assert (c.snapshot_type, c.state) == ("Standard", "Saved")
    guest.fs_mkdir("C:\\AfterCheckpoint")
    host.set_vm_notes(vm, "changed")
    host.restore_checkpoint(vm, c)
    assert vm.state == "Saved" and vm.notes == ""
    assert vm.guest is not None and vm.guest.fs_item("C:\\AfterCheckpoint") is None
    assert vm.guest.vm is vm and vm.guest.host is host
    host.start_vm(vm)
    assert vm.state == "Running" and vm.guest_up


def test_production_checkpoint_restores_to_off_and_falls_back_when_the_guest_is_down(
    world: World,
) -> None:
    host = world.root
    vm = make_l1(world)
    prod = host.checkpoint_vm(vm, "prod")
    assert (prod.snapshot_type, prod.state) == ("Production", "Off")
    host.restore_checkpoint(vm, prod)
    assert vm.state == "Off" and vm.guest is not None
    # an empty disk boots nothing: no guest to run the volume shadow copy
    bare = host.new_vm("bare", memory_startup=1 * GiB, generation=2)
    host.start_vm(bare)
    fallback = host.checkpoint_vm(bare)
    assert (fallback.snapshot_type, fallback.state) == ("Standard", "Saved")
    host.set_checkpoint_type(bare, "ProductionOnly")
    before = snapshot(world)
    with pytest.raises(WorldError) as err:
        host.checkpoint_vm(bare)
    assert err.value.message == (
        "Checkpoint operation failed.\n"
        "Production checkpoints cannot be created for 'bare'.\n"
        f"Checkpoint operation for 'bare' failed. (Virtual machine ID {bare.id})\n"
        f"Production checkpoints cannot be created for 'bare'. (Virtual machine ID {bare.id})"
    )
    assert snapshot(world) == before


def test_disabled_checkpoints_are_refused_with_windows_text(world: World) -> None:
    vm = make_l1(world, start=False)
    world.root.set_checkpoint_type(vm, "Disabled")
    with pytest.raises(WorldError) as err:
        world.root.checkpoint_vm(vm)
    assert err.value.message == (
        "Checkpoint operation failed.\nCheckpoints have been disabled.\n"
        f"Checkpoint operation for 'L1' failed. (Virtual machine ID {vm.id})\n"
        f"Checkpoints have been disabled for 'L1'. (Virtual machine ID {vm.id})."
    )


def test_a_running_vm_hosting_vms_cannot_save_state_or_apply_a_checkpoint(world: World) -> None:
    l1, _g1, _l2, _g2 = make_nat_lab(world)
    host = world.root
    production = host.checkpoint_vm(l1, "vss")  # no memory captured: allowed
    assert production.snapshot_type == "Production"
    host.set_checkpoint_type(l1, "Standard")
    before = snapshot(world)
    with pytest.raises(WorldError) as err:
        host.checkpoint_vm(l1)
    assert "'L1' could not initiate a checkpoint operation" in err.value.message
    with pytest.raises(WorldError) as err:
        host.restore_checkpoint(l1, production)
    assert err.value.message.endswith(
        "The operation cannot be performed while the virtual machine is in its current state."
    )
    assert snapshot(world) == before
    host.stop_vm(l1)
    host.restore_checkpoint(l1, production)
    assert l1.state == "Off"


def _chain_ok(world: World, vm: VM) -> None:
    """Every disk file of the VM is reachable: a drive, a frozen disk, or a parent of one."""
    host = world.root
    needed: set[str] = set()
    for path in [d.path for d in vm.hard_drives] + [
        p for c in vm.checkpoints for p in c.disk_paths
    ]:
        disk = host.vhd(path)
        assert disk is not None
        needed |= {d.path for d in host.disk_chain(disk)}
    assert {p for p in _paths(world)} <= needed


def test_removing_checkpoints_merges_back_to_the_base_disk(world: World) -> None:
    vm = make_l1(world, start=False)
    host = world.root
    base = vm.hard_drives[0].path
    one = host.checkpoint_vm(vm, "one")
    two = host.checkpoint_vm(vm, "two")
    host.checkpoint_vm(vm, "three")
    host.restore_checkpoint(vm, one)  # a second branch off the base disk
    _chain_ok(world, vm)
    host.remove_checkpoint(vm, two)
    _chain_ok(world, vm)
    assert [c.name for c in vm.checkpoints] == ["one", "three"]
    assert vm.checkpoints[1].parent_id == one.id
    host.remove_checkpoint(vm, one, include_children=True)
    assert vm.checkpoints == [] and vm.current_checkpoint is None
    assert vm.hard_drives[0].path == base
    assert _paths(world) == [base]


def test_checkpoints_survive_save_and_load(tmp_path, world: World) -> None:
    vm = make_l1(world)
    world.root.checkpoint_vm(vm, "kept")
    path = tmp_path / "world.json"
    world.save(path)
    again = World.load(path)
    assert snapshot(again) == snapshot(world)
    loaded = again.root.vms[0]
    again.root.stop_vm(loaded)
    again.root.restore_checkpoint(loaded, loaded.checkpoints[0])
    assert loaded.guest is not None and loaded.guest.world is again


def test_save_keeps_the_guest_but_not_for_a_vm_hosting_vms(world: World) -> None:
    host = world.root
    vm = make_l1(world)
    guest = vm.guest
    host.save_vm(vm)
    assert (vm.state, vm.guest_up, vm.guest is guest) == ("Saved", False, True)
    host.start_vm(vm)
    assert vm.state == "Running" and vm.guest_up
    l1, _g1, _l2, _g2 = make_nat_lab(World.create())
    host = l1.guest.host if l1.guest is not None else None
    assert host is not None
    with pytest.raises(WorldError) as err:
        host.save_vm(l1)
    assert err.value.message == (
        "'L1' failed to change state.\n"
        "The operation cannot be performed while the object is in its current state."
    )
    assert l1.state == "Running"
