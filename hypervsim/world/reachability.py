"""Who can reach what: answered from the model, never from a real network.

Layer 2: every connected adapter sits on a segment — "lan" (the physical network outside L0,
router/DNS 10.0.0.1, Internet beyond), or one Internal/Private switch of one host. A guest on
an External switch of a *nested* host is on that host's upstream segment only if the host's
own VM adapter allows MAC address spoofing (its frames carry the guest's MAC).
Layer 3: on-link delivery by subnet; otherwise the default route's gateway must be on-link
and forward: the LAN router forwards to the Internet; a Windows host forwards only through a
NetNat whose internal prefix covers the sender (WinNAT), and then only as far as it reaches.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hypervsim.world.tcpip import LAN_DNS, LAN_GATEWAY, LAN_NETWORK

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.world.model import Computer
    from hypervsim.world.records import NetAdapter

# Public names the outside DNS knows (and what they resolve to).
PUBLIC_NAMES: dict[str, str] = {
    "www.microsoft.com": "23.45.229.117",
    "microsoft.com": "20.70.246.20",
    "internetbeacon.msedge.net": "13.107.4.52",
    "www.google.com": "142.250.185.68",
    "google.com": "142.250.185.78",
    "www.bing.com": "204.79.197.200",
    "bing.com": "204.79.197.200",
    "github.com": "140.82.121.4",
    "dns.google": "8.8.8.8",
    "one.one.one.one": "1.1.1.1",
}
OPEN_PORTS_OUTSIDE = {53, 80, 443}
OPEN_PORTS_WINDOWS = {135, 445, 5985}


def segment_of(computer: Computer, adapter: NetAdapter) -> str | None:
    """The layer-2 segment the adapter is attached to, or None if it is cut off."""
    if adapter.kind == "physical":
        return "lan"
    if adapter.kind == "host-vnic":
        sw = computer.switch_by_id(adapter.switch_id)
        if sw is None:
            return None
        if sw.switch_type == "External":
            return _upstream(computer, sw.net_adapter_name, bridged_guest=False)
        return f"{_path(computer)}/{sw.id}"
    # a guest NIC: its VM must run and its VM adapter be connected
    vm, host = computer.vm, computer.host
    if vm is None or host is None or vm.state != "Running" or adapter.vm_adapter_id is None:
        return None
    va = vm.adapter(adapter.vm_adapter_id)
    if va is None or va.switch_id is None:
        return None
    sw = host.switch_by_id(va.switch_id)
    if sw is None:
        return None
    if sw.switch_type == "External":
        return _upstream(host, sw.net_adapter_name, bridged_guest=True)
    return f"{_path(host)}/{sw.id}"


def _upstream(host: Computer, nic_name: str | None, bridged_guest: bool) -> str | None:
    nic = host.adapter_by_name(nic_name) if nic_name else None
    if nic is None:
        return None
    if nic.kind == "guest" and bridged_guest:
        vm = host.vm
        va = vm.adapter(nic.vm_adapter_id) if vm is not None and nic.vm_adapter_id else None
        if va is None or not va.mac_spoofing:
            return None  # L0's switch drops frames with the nested guest's MAC
    return segment_of(host, nic)


def _path(computer: Computer) -> str:
    parts: list[str] = []
    c: Computer | None = computer
    while c is not None:
        parts.append(c.vm.id if c.vm is not None else "L0")
        c = c.host
    return "/".join(reversed(parts))


def _addresses_on(computer: Computer, seg: str) -> list[tuple[NetAdapter, ipaddress.IPv4Interface]]:
    out = []
    for nic in computer.net_adapters:
        if segment_of(computer, nic) == seg:
            for a in computer.addresses_of(nic):
                out.append((nic, ipaddress.IPv4Interface(f"{a.ip_address}/{a.prefix_length}")))
    return out


def _owner_on_segment(computer: Computer, seg: str, ip: ipaddress.IPv4Address) -> Computer | None:
    for c in computer.world.computers():
        if c.vm is not None and not c.vm.guest_up:
            continue
        if any(i.ip == ip for _, i in _addresses_on(c, seg)):
            return c
    return None


@dataclass
class Route:
    """How a packet to `target` leaves `computer` (or why it cannot)."""

    ok: bool
    interface_alias: str | None = None
    source_address: str | None = None
    target_kind: str = ""  # "outside" | "computer" | "self"
    target: Computer | None = None


def _own(computer: Computer, ip: ipaddress.IPv4Address) -> bool:
    return ip.is_loopback or any(
        ipaddress.IPv4Address(a.ip_address) == ip for a in computer.ip_addresses
    )


def route_to(computer: Computer, ip: ipaddress.IPv4Address, _depth: int = 0) -> Route:
    """Can `computer` deliver a packet to `ip`? (and which interface/source it would use)."""
    if _own(computer, ip):
        return Route(True, "Loopback Pseudo-Interface 1", "127.0.0.1", "self", computer)
    if _depth > 16:
        return Route(False)
    # on-link
    for nic in computer.net_adapters:
        seg = segment_of(computer, nic)
        if seg is None:
            continue
        for a in computer.addresses_of(nic):
            iface = ipaddress.IPv4Interface(f"{a.ip_address}/{a.prefix_length}")
            if ip in iface.network:
                src = Route(False, nic.name, a.ip_address)
                if seg == "lan" and (ip == ipaddress.IPv4Address(LAN_GATEWAY)):
                    return Route(True, nic.name, a.ip_address, "outside")
                owner = _owner_on_segment(computer, seg, ip)
                if owner is not None:
                    return Route(True, nic.name, a.ip_address, "computer", owner)
                return src
    # default gateway
    for r in sorted(computer.routes, key=lambda r: r.route_metric):
        if r.destination_prefix != "0.0.0.0/0":
            continue
        gw_nic = computer.adapter_by_index(r.interface_index)
        if gw_nic is None:
            continue
        seg = segment_of(computer, gw_nic)
        if seg is None:
            continue
        gw = ipaddress.IPv4Address(r.next_hop)
        gw_src = next(
            (
                a
                for a in computer.addresses_of(gw_nic)
                if gw in ipaddress.IPv4Interface(f"{a.ip_address}/{a.prefix_length}").network
            ),
            None,
        )
        if gw_src is None:
            continue  # gateway not on-link: Windows cannot use this route
        if seg == "lan" and str(gw) == LAN_GATEWAY:
            if ip.is_global or ip in LAN_NETWORK:
                return Route(True, gw_nic.name, gw_src.ip_address, "outside")
            continue
        router = _owner_on_segment(computer, seg, gw)
        if router is None:
            continue
        sender = ipaddress.IPv4Address(gw_src.ip_address)
        if any(sender in ipaddress.IPv4Network(n.internal_prefix) for n in router.nats if n.active):
            onward = route_to(router, ip, _depth + 1)
            if onward.ok:
                return Route(
                    True, gw_nic.name, gw_src.ip_address, onward.target_kind, onward.target
                )
    return Route(False)


def dns_servers(computer: Computer) -> list[str]:
    """DNS servers of connected adapters, in interface order."""
    out: list[str] = []
    for nic in computer.net_adapters:
        if segment_of(computer, nic) is not None:
            out += [s for s in nic.dns_servers if s not in out]
    return out


def resolve(computer: Computer, name: str) -> ipaddress.IPv4Address | None:
    """A name's address as `computer` would resolve it (None: resolution failed)."""
    try:
        return ipaddress.IPv4Address(name.strip())
    except ValueError:
        pass
    lowered = name.strip().lower().rstrip(".")
    if lowered in ("localhost", computer.name.lower()):
        return ipaddress.IPv4Address("127.0.0.1")
    for server in dns_servers(computer):
        try:
            server_ip = ipaddress.IPv4Address(server)
        except ValueError:
            continue
        if not route_to(computer, server_ip).ok:
            continue
        if not (server_ip.is_global or server == LAN_DNS):
            continue  # only the LAN's and public DNS servers answer in this model
        if lowered in PUBLIC_NAMES:
            return ipaddress.IPv4Address(PUBLIC_NAMES[lowered])
        return None
    return None


@dataclass
class ConnectionTest:
    """What Test-NetConnection / ping find out."""

    computer_name: str
    remote_address: str | None
    name_resolved: bool
    ping_succeeded: bool
    tcp_succeeded: bool | None
    interface_alias: str | None
    source_address: str | None


def test_connection(computer: Computer, target: str, port: int | None = None) -> ConnectionTest:
    ip = resolve(computer, target)
    if ip is None:
        return ConnectionTest(target, None, False, False, False if port else None, None, None)
    r = route_to(computer, ip)
    tcp: bool | None = None
    if port is not None:
        if not r.ok:
            tcp = False
        elif r.target_kind == "outside":
            tcp = ip.is_global and port in OPEN_PORTS_OUTSIDE
        else:
            tcp = port in OPEN_PORTS_WINDOWS
    return ConnectionTest(target, str(ip), True, r.ok, tcp, r.interface_alias, r.source_address)
