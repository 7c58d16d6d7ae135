"""Get-NetAdapter (incl. the "vEthernet (<switch>)" host vNICs; names are case-insensitive)."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import Any

from hypervsim.powershell.api import Invocation, Param, ParamKind, PSObject, cmdlet
from hypervsim.powershell.cmdlets.world_bridge import as_bool, flatten, report, strings
from hypervsim.world.model import Computer
from hypervsim.world.records import NetAdapter
from hypervsim.world.tcpip import adapter_not_found

L = ParamKind.LIST
S = ParamKind.SWITCH
MODULE = "NetAdapter"
CIM = "Microsoft.Management.Infrastructure.CimInstance"


def dashed_mac(mac: str) -> str:
    return "-".join(mac[i : i + 2] for i in range(0, 12, 2)).upper()


def net_adapter_object(c: Computer, nic: NetAdapter) -> PSObject:
    status = c.adapter_status(nic)
    return PSObject(
        {
            "Name": nic.name,
            "InterfaceDescription": nic.interface_description,
            "ifIndex": nic.interface_index,
            "InterfaceIndex": nic.interface_index,
            "Status": status,
            "MacAddress": dashed_mac(nic.mac_address),
            "LinkSpeed": "10 Gbps",
            "InterfaceAlias": nic.name,
            "ifAlias": nic.name,
            "MediaConnectionState": "Connected" if status == "Up" else "Disconnected",
            "Virtual": nic.kind == "host-vnic",
            "HardwareInterface": nic.kind != "host-vnic",
            "SystemName": c.name,
        },
        [
            f"{CIM}#ROOT/StandardCimv2/MSFT_NetAdapter",
            f"{CIM}#MSFT_NetAdapter",
            CIM,
            "System.Object",
        ],
        ref=nic,
    )


def adapters_named(inv: Invocation, c: Computer, param: str = "Name") -> list[NetAdapter]:
    if inv.bound.get(param) is None:
        return list(c.net_adapters)
    out: list[NetAdapter] = []
    for n in strings(inv.bound[param]):
        hits = [a for a in c.net_adapters if fnmatch.fnmatchcase(a.name.lower(), n.lower())]
        if not hits and not any(ch in n for ch in "*?["):
            report(inv, adapter_not_found(n, inv.name))
        out += [h for h in hits if h not in out]
    return out


@cmdlet(
    "Get-NetAdapter",
    Param("Name", L, position=0, aliases=("ifAlias", "InterfaceAlias")),
    Param("InterfaceIndex", L, aliases=("ifIndex",)),
    Param("InterfaceDescription", L),
    Param("Physical", S),
    Param("IncludeHidden", S),
    module=MODULE,
)
def get_net_adapter(inv: Invocation) -> Iterable[Any]:
    c = inv.computer
    nics = adapters_named(inv, c)
    if inv.bound.get("InterfaceIndex") is not None:
        wanted = {int(i) for i in flatten(inv.bound["InterfaceIndex"])}
        nics = [n for n in nics if n.interface_index in wanted]
    if inv.bound.get("InterfaceDescription") is not None:
        pats = [p.lower() for p in strings(inv.bound["InterfaceDescription"])]
        nics = [
            n
            for n in nics
            if any(fnmatch.fnmatchcase(n.interface_description.lower(), p) for p in pats)
        ]
    if as_bool(inv.bound.get("Physical", False)):
        nics = [n for n in nics if n.kind != "host-vnic"]
    return [net_adapter_object(c, n) for n in nics]
