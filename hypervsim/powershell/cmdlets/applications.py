"""Native programs run inside the emulated Windows: netsh, ping, hostname, ipconfig.

They print text lines and report their exit code through `inv.set_exit_code` ($LASTEXITCODE)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Any

from hypervsim.powershell.api import Invocation, cmdlet
from hypervsim.world.errors import WorldError
from hypervsim.world.model import Computer
from hypervsim.world.reachability import resolve, route_to

APP = "Application"
BAD_INTERFACE = "The filename, directory name, or volume label syntax is incorrect."


def _exit(inv: Invocation, code: int) -> None:
    """Report the program's exit code ($LASTEXITCODE) through the interpreter if it can."""
    setter = getattr(inv, "set_exit_code", None)
    if callable(setter):
        setter(code)


def _kv(args: list[str]) -> tuple[list[str], dict[str, str]]:
    """netsh arguments: positional words and key=value pairs (keys lower-cased)."""
    pos: list[str] = []
    kv: dict[str, str] = {}
    for a in args:
        m = re.fullmatch(r"([A-Za-z]+)=(.*)", a)
        if m:
            kv[m.group(1).lower()] = m.group(2).strip('"')
        else:
            pos.append(a.strip('"'))
    return pos, kv


def _mask_to_prefix(mask: str) -> int:
    return ipaddress.IPv4Network(f"0.0.0.0/{mask}").prefixlen


def _netsh(inv: Invocation, c: Computer, args: list[str]) -> list[str]:
    words = [a.lower() for a in args]
    if len(words) < 3 or words[0] not in ("interface", "int") or words[1] not in ("ip", "ipv4"):
        _exit(inv, 1)
        return ["The following command was not found: " + " ".join(args) + "."]
    verb, what = words[2], (words[3] if len(words) > 3 else "")
    pos, kv = _kv(args[4:])
    name = kv.get("name") or (pos[0] if pos else "")
    rest = pos if "name" in kv else pos[1:]  # positional words after the interface name
    if verb == "show":
        lines: list[str] = []
        for nic in c.net_adapters:
            lines += [
                "",
                f'Configuration for interface "{nic.name}"',
                f"    DHCP enabled:                         {'Yes' if nic.dhcp_enabled else 'No'}",
            ]
            for a in c.addresses_of(nic):
                lines.append(f"    IP Address:                           {a.ip_address}")
            for s in nic.dns_servers:
                lines.append(f"    Statically Configured DNS Servers:    {s}")
        _exit(inv, 0)
        return lines
    target = c.adapter_by_name(name)
    if target is None:
        _exit(inv, 1)
        return [BAD_INTERFACE, ""]
    try:
        if verb == "add" and what in ("dnsserver", "dnsservers", "dns"):
            address = kv.get("address") or (rest[0] if rest else "")
            index = int(kv["index"]) if "index" in kv else None
            c.add_dns_server(target, address, index)
        elif verb == "set" and what in ("dnsserver", "dnsservers", "dns"):
            source = (kv.get("source") or (rest[0] if rest else "static")).lower()
            address = kv.get("address") or (rest[1] if len(rest) > 1 else "")
            c.set_dns_servers(
                target, [] if source == "dhcp" or address.lower() == "none" else [address], "netsh"
            )
        elif verb == "set" and what == "address":
            source = (kv.get("source") or (rest[0] if rest else "static")).lower()
            if source == "dhcp":
                target.dhcp_enabled = True
                c.dhcp_configure(target)
            else:
                addr = kv.get("address") or kv.get("addr") or (rest[1] if len(rest) > 1 else "")
                mask = kv.get("mask") or (rest[2] if len(rest) > 2 else "255.255.255.0")
                gateway = kv.get("gateway") or (rest[3] if len(rest) > 3 else None)
                idx = target.interface_index
                prefix = int(mask[1:]) if mask.startswith("/") else _mask_to_prefix(mask)
                for rec in [a for a in c.ip_addresses if a.interface_index == idx]:
                    c.ip_addresses.remove(rec)
                c.routes[:] = [
                    r
                    for r in c.routes
                    if not (r.interface_index == idx and r.destination_prefix == "0.0.0.0/0")
                ]
                c.new_ip_address(
                    target, addr, prefix, gateway if gateway and gateway.lower() != "none" else None
                )
        else:
            _exit(inv, 1)
            return ["The following command was not found: " + " ".join(args) + "."]
    except (WorldError, ValueError) as err:
        _exit(inv, 1)
        text = err.message if isinstance(err, WorldError) else "The parameter is incorrect."
        return [
            text
            if text != "Instance MSFT_NetIPAddress already exists"
            else "The object already exists.",
            "",
        ]
    _exit(inv, 0)
    return []


@cmdlet("netsh", accepts_args=True, kind=APP, aliases=("netsh.exe",), module="")
def netsh(inv: Invocation) -> Iterable[Any]:
    return _netsh(inv, inv.computer, [str(a) for a in inv.args])


@cmdlet("ping", accepts_args=True, kind=APP, aliases=("ping.exe",), module="")
def ping(inv: Invocation) -> Iterable[Any]:
    args = [str(a) for a in inv.args]
    count = 4
    target = None
    i = 0
    while i < len(args):
        a = args[i]
        if a.lower() in ("-n", "/n") and i + 1 < len(args):
            count = int(args[i + 1])
            i += 2
            continue
        if a.lower() in ("-4", "-t", "/4"):
            i += 1
            continue
        if a.lower() in ("-w", "-l", "/w", "/l") and i + 1 < len(args):
            i += 2
            continue
        target = a
        i += 1
    c = inv.computer
    if target is None:
        _exit(inv, 1)
        return [
            "",
            "Usage: ping [-t] [-a] [-n count] [-l size] [-f] [-i TTL] [-v TOS]",
            "            [-r count] [-s count] [[-j host-list] | [-k host-list]]",
            "            [-w timeout] [-R] [-S srcaddr] [-c compartment] [-p]",
            "            [-4] [-6] target_name",
            "",
        ]
    ip = resolve(c, target)
    if ip is None:
        _exit(inv, 1)
        return [f"Ping request could not find host {target}. Please check the name and try again."]
    shown = f"{target} [{ip}]" if target != str(ip) else str(ip)
    ok = route_to(c, ip).ok
    lines = ["", f"Pinging {shown} with 32 bytes of data:"]
    lines += [
        f"Reply from {ip}: bytes=32 time=12ms TTL=117" if ok else "Request timed out."
        for _ in range(count)
    ]
    received = count if ok else 0
    lines += [
        "",
        f"Ping statistics for {ip}:",
        f"    Packets: Sent = {count}, Received = {received}, Lost = {count - received} ({100 * (count - received) // max(count, 1)}% loss),",
    ]
    if ok:
        lines += [
            "Approximate round trip times in milli-seconds:",
            "    Minimum = 12ms, Maximum = 12ms, Average = 12ms",
        ]
    _exit(inv, 0 if ok else 1)
    return lines


@cmdlet("hostname", accepts_args=True, kind=APP, aliases=("hostname.exe",), module="")
def hostname(inv: Invocation) -> Iterable[Any]:
    _exit(inv, 0)
    return [inv.computer.name]


@cmdlet("ipconfig", accepts_args=True, kind=APP, aliases=("ipconfig.exe",), module="")
def ipconfig(inv: Invocation) -> Iterable[Any]:
    c = inv.computer
    lines = ["", "Windows IP Configuration", ""]
    for nic in c.net_adapters:
        lines += [f"Ethernet adapter {nic.name}:", ""]
        if c.adapter_status(nic) != "Up":
            lines += ["   Media State . . . . . . . . . . . : Media disconnected", ""]
            continue
        for a in c.addresses_of(nic):
            label = (
                "Autoconfiguration IPv4 Address"
                if a.prefix_origin == "WellKnown"
                else "IPv4 Address"
            )
            mask = str(ipaddress.IPv4Network(f"0.0.0.0/{a.prefix_length}").netmask)
            lines += [
                f"   {label}. . : {a.ip_address}",
                f"   Subnet Mask . . . . . . . . . . . : {mask}",
            ]
        gws = [
            r.next_hop
            for r in c.routes
            if r.interface_index == nic.interface_index and r.destination_prefix == "0.0.0.0/0"
        ]
        lines += [f"   Default Gateway . . . . . . . . . : {gws[0] if gws else ''}", ""]
    _exit(inv, 0)
    return lines
