"""Reachability answered from the model: outside from L0/L1, L2 via NAT or MAC spoofing."""

from __future__ import annotations

from hypervsim.world.model import World
from hypervsim.world.reachability import test_connection as probe

from ..guest_images import image_disk
from .conftest import make_l1, make_nat_lab


def ok(computer, target: str = "www.microsoft.com", port: int | None = 443) -> bool:
    t = probe(computer, target, port)
    return bool(t.tcp_succeeded if port else t.ping_succeeded)


def test_l0_reaches_outside_by_ip_and_name(world: World) -> None:
    assert ok(world.root, "8.8.8.8", None) and ok(world.root)
    assert not ok(world.root, "no.such.name", None)


def test_l1_on_external_switch_reaches_outside(world: World) -> None:
    vm = make_l1(world)
    assert ok(vm.guest)
    world.root.connect_vm_network_adapter(vm.adapters[0], None)
    assert not ok(vm.guest, "8.8.8.8", None)


def test_l2_via_nat_reaches_outside(world: World) -> None:
    _, _, _, g2 = make_nat_lab(world)
    t = probe(g2, "www.microsoft.com", 443)
    assert (
        t.tcp_succeeded and t.source_address == "192.168.100.2" and t.interface_alias == "Ethernet"
    )


def test_l2_fails_without_nat(world: World) -> None:
    _, g1, _, g2 = make_nat_lab(world)
    g1.remove_nat(g1.nats[0])
    assert not ok(g2, "8.8.8.8", None)


def test_l2_fails_when_nat_does_not_cover_it(world: World) -> None:
    _, g1, _, g2 = make_nat_lab(world)
    g1.remove_nat(g1.nats[0])
    g1.new_nat("Other", "192.168.200.0/24")
    assert not ok(g2, "8.8.8.8", None)


def test_l2_fails_without_gateway_address_on_l1(world: World) -> None:
    _, g1, _, g2 = make_nat_lab(world)
    rec = next(a for a in g1.ip_addresses if a.ip_address == "192.168.100.1")
    g1.remove_ip_address(rec)
    assert not ok(g2, "8.8.8.8", None)


def test_l2_fails_with_wrong_prefix_or_gateway(world: World) -> None:
    _, _, _, g2 = make_nat_lab(world)
    rec = next(a for a in g2.ip_addresses if a.ip_address == "192.168.100.2")
    g2.set_ip_prefix(rec, 30)  # gateway .1 still on-link in /30: ok
    assert ok(g2, "8.8.8.8", None)
    g2.set_ip_prefix(rec, 32)  # gateway no longer on-link
    assert not ok(g2, "8.8.8.8", None)
    g2.set_ip_prefix(rec, 24)
    g2.routes[0].next_hop = "192.168.100.254"
    assert not ok(g2, "8.8.8.8", None)


def test_l2_names_need_dns(world: World) -> None:
    _, _, _, g2 = make_nat_lab(world)
    g2.set_dns_servers(g2.adapter_by_name("Ethernet"), [])
    assert ok(g2, "8.8.8.8", None)
    t = probe(g2, "www.microsoft.com")
    assert not t.name_resolved and not t.ping_succeeded


def test_l2_fails_when_l1_loses_outside(world: World) -> None:
    l1, _, _, g2 = make_nat_lab(world)
    world.root.connect_vm_network_adapter(l1.adapters[0], None)
    assert not ok(g2, "8.8.8.8", None)


def test_l2_reaches_its_gateway_and_l1_reaches_l2(world: World) -> None:
    _, g1, _, g2 = make_nat_lab(world)
    assert ok(g2, "192.168.100.1", None)
    assert ok(g1, "192.168.100.2", 5985)


def test_bridged_l2_needs_mac_spoofing_on_l1(world: World) -> None:
    l1 = make_l1(world)
    g1 = l1.guest
    g1.install_features(["Hyper-V"], include_management_tools=True)
    g1.complete_restart()
    g1.new_switch("Bridge", "External", net_adapter_name="Ethernet")
    assert ok(g1)  # L1's own traffic uses the vNIC that took over its NIC
    l2 = g1.new_vm(
        "L2", generation=2, vhd_path=image_disk(g1, "C:\\VMs\\L2.vhdx"), switch_name="Bridge"
    )
    g1.start_vm(l2)
    g2 = l2.guest
    assert not ok(g2, "8.8.8.8", None)
    world.root.set_vm_network_adapter(l1.adapters[0], mac_spoofing=True)
    g2.dhcp_configure(g2.adapter_by_name("Ethernet"))  # renew the lease
    assert ok(g2)
    world.root.set_vm_network_adapter(l1.adapters[0], mac_spoofing=False)
    assert not ok(g2, "8.8.8.8", None)


def test_stopped_l2_is_unreachable(world: World) -> None:
    _, g1, l2, _ = make_nat_lab(world)
    g1.stop_vm(l2)
    assert not ok(g1, "192.168.100.2", None)
