"""World construction, profiles, persistence, describe, reboot, identity determinism."""

from __future__ import annotations

import os

import pytest

from hypervsim.world.model import World
from hypervsim.world.profiles import PROFILES

from ..guest_images import image_disk
from .conftest import make_l1, make_nat_lab, snapshot


def test_default_host_has_hyperv_external_switch_and_lan_address(world: World) -> None:
    root = world.root
    assert root.name == "HV-HOST01" and root.build == 20348 and root.cpu_vendor == "Intel"
    assert root.hyperv_active
    assert [s.name for s in root.switches] == ["External"]
    vnic = root.adapter_by_name("VETHERNET (external)")
    assert vnic is not None and [a.ip_address for a in root.addresses_of(vnic)] == ["10.0.0.10"]


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_every_profile_builds(name: str) -> None:
    w = World.create(name)
    p = PROFILES[name]
    assert (w.root.build, w.root.cpu_vendor, w.root.vbs, w.root.edition) == (
        p.build,
        p.cpu_vendor,
        p.vbs,
        p.edition,
    )


def test_unknown_profile_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown host profile"):
        World.create("nope")


def test_save_load_round_trip_keeps_everything(tmp_path, world: World) -> None:
    make_nat_lab(world)
    world.record_execution("HV-HOST01", "Get-VM")
    path = tmp_path / "state" / "world.json"
    world.save(path)
    assert not [p for p in path.parent.iterdir() if p.suffix == ".tmp"]
    again = World.load(path)
    assert snapshot(again) == snapshot(world)
    assert again.executed == ["Get-VM"]
    assert again.describe() == world.describe()
    # links are restored: the L2 guest knows its VM and host
    g2 = again.root.vms[0].guest.vms[0].guest
    assert g2.host is again.root.vms[0].guest and g2.depth == 2 and g2.world is again


def test_save_is_atomic_on_failure(tmp_path, world: World, monkeypatch) -> None:
    path = tmp_path / "w.json"
    world.save(path)
    before = path.read_text()
    make_l1(world)

    real_fdopen = os.fdopen

    class FullDisk:
        """The temp file opens, but writing to it fails half-way."""

        def __init__(self, fd: int, *args: object, **kwargs: object) -> None:
            self._file = real_fdopen(fd, *args, **kwargs)  # type: ignore[call-overload]

        def __enter__(self) -> FullDisk:
            return self

        def __exit__(self, *exc: object) -> None:
            self._file.close()

        def write(self, text: str) -> int:
            self._file.write(text[: len(text) // 2])
            raise OSError("disk full")

    monkeypatch.setattr(os, "fdopen", FullDisk)
    with pytest.raises(OSError):
        world.save(path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["w.json"]


def test_ids_are_deterministic_under_seed() -> None:
    a, b, c = World.create(seed=1), World.create(seed=1), World.create(seed=2)
    for w in (a, b, c):
        make_l1(w)
    assert a.root.vms[0].id == b.root.vms[0].id != c.root.vms[0].id
    assert a.root.vms[0].adapters[0].mac_address.startswith("00155D")


def test_describe_shows_the_tree(world: World) -> None:
    make_nat_lab(world)
    text = world.describe()
    for needle in (
        "Computer HV-HOST01",
        "VM L1 [Running]",
        "nested=True",
        "switch VmNAT [Internal]",
        "netnat LocalNAT 192.168.100.0/24",
        "VM L2 [Running]",
        "192.168.100.2/24 gw=192.168.100.1 dns=1.1.1.1",
    ):
        assert needle in text, needle


def test_reboot_host_restarts_running_vms_and_completes_pending(world: World) -> None:
    vm = make_l1(world)
    off = world.root.new_vm("idle")
    world.reboot_host()
    assert world.host_reboots == 1 and vm.state == "Running" and off.state == "Off"
    assert vm.guest_up


def test_removing_a_vm_deletes_its_guest_world(world: World) -> None:
    l1, g1, l2, _ = make_nat_lab(world)
    world.root.stop_vm(l1, turn_off=True)
    assert l2.state == "Off"  # the nested VM went down with its host
    world.root.remove_vm(l1)
    assert world.root.vms == []
    assert all(c is not g1 for c in world.computers())
    assert len(world.computers()) == 1


def test_vm_names_may_repeat_like_hyperv(world: World) -> None:
    a = world.root.new_vm("dup")
    b = world.root.new_vm("dup")
    assert a.id != b.id and len(world.root.vms_named(["dup"])) == 2


def test_guest_os_comes_from_the_image_at_first_boot(world: World) -> None:
    vm = world.root.new_vm(
        "srv", generation=2, vhd_path=image_disk(world.root, "C:\\VMs\\srv.vhdx", "SRV")
    )
    assert vm.guest is None  # nothing has booted yet
    world.root.start_vm(vm)
    assert vm.guest is not None and (vm.guest.build, vm.guest.edition) == (20348, "server")
    client = World.create("win11-amd")
    disk = image_disk(client.root, "C:\\VMs\\c.vhdx", image="C:\\Images\\Win11-Enterprise.vhdx")
    vm2 = client.root.new_vm("client", generation=2, vhd_path=disk)
    client.root.start_vm(vm2)
    assert vm2.guest.edition == "client" and vm2.guest.build == 22621


def test_empty_disk_boots_nothing(world: World) -> None:
    vm = world.root.new_vm("bare", generation=2, new_vhd_path="C:\\VMs\\bare.vhdx")
    world.root.start_vm(vm)
    assert vm.state == "Running" and vm.guest is None and not vm.guest_up


def test_guest_boots_with_named_adapters_and_dhcp(world: World) -> None:
    vm = make_l1(world)
    world.root.add_vm_network_adapter(vm, "Second", "External")
    names = [n.name for n in vm.guest.net_adapters]
    assert names == ["Ethernet", "Ethernet 2"]
    eth = vm.guest.adapter_by_name("ethernet")
    assert vm.guest.addresses_of(eth)[0].prefix_origin == "Dhcp"


def test_vm_without_disk_never_has_a_guest_up(world: World) -> None:
    vm = world.root.new_vm("empty")
    world.root.start_vm(vm)
    assert vm.state == "Running" and not vm.guest_up
