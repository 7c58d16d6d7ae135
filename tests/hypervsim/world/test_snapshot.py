"""WorldSnapshot: restoring puts every machine back as it was, in the same objects."""

from __future__ import annotations

from hypervsim.world.model import World

from .conftest import make_nat_lab, snapshot


def test_restore_undoes_changes_at_every_depth(world: World) -> None:
    l1, l1_guest, l2, _l2_guest = make_nat_lab(world)
    before = snapshot(world)
    counter = world.counter
    taken = world.snapshot()
    # changes on the host, in the L1 guest, in the L2 VM, and in the file systems (dicts)
    world.root.new_switch("extra", "Internal")
    world.root.fs_mkdir("C:\\Extra")
    world.root.set_vm_notes(l1, "changed")
    l1_guest.fs_mkdir("C:\\InGuest")
    l1_guest.stop_vm(l2, turn_off=True)
    l1_guest.remove_vm(l2)
    world.root.power_off(l1)
    assert snapshot(world) != before
    taken.restore()
    assert snapshot(world) == before
    assert world.counter == counter
    # the same objects, linked as before
    assert world.root.vms[0] is l1 and l1.guest is l1_guest
    assert l1_guest.vms == [l2] and l2.state == "Running"
    assert l1_guest.host is world.root and l1_guest.vm is l1
    assert l2.guest is not None and l2.guest.host is l1_guest


def test_restore_drops_a_guest_created_after_the_snapshot(world: World) -> None:
    l1, _guest, _l2, _ = make_nat_lab(world)
    world.root.stop_vm(l1, turn_off=True)
    world.root.remove_vm(l1)
    before = snapshot(world)
    taken = world.snapshot()
    world.root.new_vm("fresh")
    taken.restore()
    assert snapshot(world) == before
    assert world.root.vms == []
    assert taken.size > 0
