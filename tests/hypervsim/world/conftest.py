"""Shared builders for world-model tests: a fresh world and the nested-NAT lab of FACTS.md §1."""

from __future__ import annotations

import json

import pytest

from hypervsim.world.model import VM, Computer, World

from ..guest_images import image_disk

GiB = 1024**3


def snapshot(world: World) -> str:
    """Everything persisted, to show that a refused operation changed nothing."""
    data = world.to_json()
    data.pop("executed")
    data.pop("executed_total")
    return json.dumps(data, sort_keys=True)


def make_l1(world: World, name: str = "L1", expose: bool = True, start: bool = True) -> VM:
    host = world.root
    vm = host.new_vm(
        name,
        memory_startup=8 * GiB,
        generation=2,
        vhd_path=image_disk(host, f"C:\\VMs\\{name}.vhdx"),
        switch_name="External",
    )
    if expose:
        host.set_vm_processor(vm, count=4, expose=True)
    if start:
        host.start_vm(vm)
    return vm


def make_nat_lab(world: World) -> tuple[VM, Computer, VM, Computer]:
    """L1 with Hyper-V, an internal switch + NetNat, and a running L2 with a static address."""
    l1 = make_l1(world)
    g1 = l1.guest
    assert g1 is not None
    g1.install_features(["Hyper-V"], include_management_tools=True)
    g1.complete_restart()
    g1.new_switch("VmNAT", "Internal")
    g1.new_nat("LocalNAT", "192.168.100.0/24")
    g1.new_ip_address(g1.adapter_by_name("vEthernet (VmNat)"), "192.168.100.1", 24)
    l2 = g1.new_vm(
        "L2",
        memory_startup=2 * GiB,
        generation=2,
        vhd_path=image_disk(g1, "C:\\VMs\\L2.vhdx"),
        switch_name="VmNAT",
    )
    g1.start_vm(l2)
    g2 = l2.guest
    assert g2 is not None
    eth = g2.adapter_by_name("Ethernet")
    g2.new_ip_address(eth, "192.168.100.2", 24, "192.168.100.1")
    g2.add_dns_server(eth, "1.1.1.1")
    return l1, g1, l2, g2


@pytest.fixture
def world() -> World:
    return World.create()
