"""NetTCPIP: Get/New/Remove/Set-NetIPAddress, Get/New/Remove-NetRoute, Set-NetIPInterface.

New-NetIPAddress takes the interface from -InterfaceAlias / -InterfaceIndex or from a piped
Get-NetAdapter object (`Get-NetAdapter "vEthernet (VmNat)" | New-NetIPAddress ...`)."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import Any

from hypervsim.powershell.api import Invocation, Param, ParamKind, PSObject, cmdlet
from hypervsim.powershell.cmdlets.world_bridge import (
    AddressFamily,
    PrefixOrigin,
    as_bool,
    as_int,
    flatten,
    report,
    strings,
)
from hypervsim.world.errors import WorldError
from hypervsim.world.model import Computer
from hypervsim.world.records import IPAddress, NetAdapter, Route
from hypervsim.world.tcpip import adapter_not_found

L = ParamKind.LIST
S = ParamKind.SWITCH
MODULE = "NetTCPIP"
CIM = "Microsoft.Management.Infrastructure.CimInstance"


def ip_object(c: Computer, rec: IPAddress) -> PSObject:
    nic = c.adapter_by_index(rec.interface_index)
    return PSObject(
        {
            "IPAddress": rec.ip_address,
            "InterfaceIndex": rec.interface_index,
            "InterfaceAlias": nic.name if nic else None,
            "AddressFamily": AddressFamily.IPv4,
            "Type": "Unicast",
            "PrefixLength": rec.prefix_length,
            "PrefixOrigin": PrefixOrigin[rec.prefix_origin],
            "SuffixOrigin": PrefixOrigin.Manual
            if rec.prefix_origin == "Manual"
            else PrefixOrigin[rec.prefix_origin],
            "AddressState": "Preferred",
            "SkipAsSource": False,
            "PolicyStore": "ActiveStore",
        },
        [
            f"{CIM}#ROOT/StandardCimv2/MSFT_NetIPAddress",
            f"{CIM}#MSFT_NetIPAddress",
            CIM,
            "System.Object",
        ],
        ref=rec,
    )


def route_object(c: Computer, r: Route) -> PSObject:
    nic = c.adapter_by_index(r.interface_index)
    return PSObject(
        {
            "DestinationPrefix": r.destination_prefix,
            "NextHop": r.next_hop,
            "InterfaceIndex": r.interface_index,
            "InterfaceAlias": nic.name if nic else None,
            "RouteMetric": r.route_metric,
            "AddressFamily": AddressFamily.IPv4,
            "Protocol": "NetMgmt",
            "PolicyStore": "ActiveStore",
        },
        [f"{CIM}#ROOT/StandardCimv2/MSFT_NetRoute", f"{CIM}#MSFT_NetRoute", CIM, "System.Object"],
        ref=r,
    )


def target_adapters(inv: Invocation, c: Computer) -> list[NetAdapter]:
    """Interfaces named by -InterfaceAlias (case-insensitive, wildcards), -InterfaceIndex, or piped."""
    b = inv.bound
    out: list[NetAdapter] = []
    if b.get("InterfaceAlias") is not None:
        for n in strings(b["InterfaceAlias"]):
            hits = [a for a in c.net_adapters if fnmatch.fnmatchcase(a.name.lower(), n.lower())]
            if not hits:
                raise_err = adapter_not_found(n, inv.name)
                raise_err.message = f"No MSFT_NetAdapter objects found with property 'InterfaceAlias' equal to '{n}'.  Verify the value of the property and retry."
                report(inv, raise_err)
            out += hits
    if b.get("InterfaceIndex") is not None:
        for i in flatten(b["InterfaceIndex"]):
            nic = c.adapter_by_index(as_int(i))
            if nic is None:
                err = adapter_not_found(str(i), inv.name)
                err.message = f"No MSFT_NetAdapter objects found with property 'InterfaceIndex' equal to '{i}'.  Verify the value of the property and retry."
                report(inv, err)
            else:
                out.append(nic)
    src = b.get("InputObject") if b.get("InputObject") is not None else inv.input
    for item in flatten(src):
        ref = item.ref if isinstance(item, PSObject) else None
        if isinstance(ref, NetAdapter):
            out.append(ref)
        elif isinstance(item, PSObject) and item.has("InterfaceAlias"):
            nic = c.adapter_by_name(str(item.get("InterfaceAlias")))
            if nic is not None:
                out.append(nic)
    return out


def _selected_ips(inv: Invocation, c: Computer) -> list[IPAddress]:
    b = inv.bound
    recs = list(c.ip_addresses)
    piped = [
        i.ref
        for i in flatten(b.get("InputObject") if b.get("InputObject") is not None else inv.input)
        if isinstance(i, PSObject) and isinstance(i.ref, IPAddress)
    ]
    if piped:
        return piped
    if b.get("IPAddress") is not None:
        wanted = [s.lower() for s in strings(b["IPAddress"])]
        recs = [r for r in recs if any(fnmatch.fnmatchcase(r.ip_address, w) for w in wanted)]
    if b.get("InterfaceAlias") is not None or b.get("InterfaceIndex") is not None:
        idx = {n.interface_index for n in target_adapters(inv, c)}
        recs = [r for r in recs if r.interface_index in idx]
    if b.get("PrefixOrigin") is not None:
        recs = [r for r in recs if r.prefix_origin.lower() == str(b["PrefixOrigin"]).lower()]
    if b.get("AddressFamily") is not None and str(b["AddressFamily"]).lower() in ("ipv6", "23"):
        recs = []
    return recs


IP_FILTERS = (
    Param("IPAddress", L, position=0),
    Param("InterfaceAlias", L, aliases=("ifAlias",)),
    Param("InterfaceIndex", L, aliases=("ifIndex",)),
    Param("AddressFamily"),
    Param("PrefixOrigin"),
    Param("InputObject", L, from_pipeline=True),
)


@cmdlet("Get-NetIPAddress", *IP_FILTERS, Param("PrefixLength"), Param("Type"), module=MODULE)
def get_net_ip_address(inv: Invocation) -> Iterable[Any]:
    c = inv.computer
    recs = _selected_ips(inv, c)
    if not recs and inv.bound.get("IPAddress") is not None:
        for ip in strings(inv.bound["IPAddress"]):
            report(
                inv,
                WorldError(
                    f"No MSFT_NetIPAddress objects found with property 'IPAddress' equal to '{ip}'.  Verify the value of the property and retry.",
                    reason="CmdletizationQuery_NotFound_IPAddress",
                    category="ObjectNotFound",
                    exception_type="Microsoft.Management.Infrastructure.CimException",
                    target=ip,
                    fqid="CmdletizationQuery_NotFound_IPAddress,Get-NetIPAddress",
                ),
            )
    return [ip_object(c, r) for r in recs]


@cmdlet(
    "New-NetIPAddress",
    Param("IPAddress", position=0),
    Param("InterfaceAlias", aliases=("ifAlias",)),
    Param("InterfaceIndex", aliases=("ifIndex",)),
    Param("PrefixLength"),
    Param("DefaultGateway"),
    Param("AddressFamily"),
    Param("Type"),
    Param("SkipAsSource"),
    Param("PolicyStore"),
    Param("InputObject", L, from_pipeline=True),
    module=MODULE,
)
def new_net_ip_address(inv: Invocation) -> Iterable[Any]:
    c = inv.computer
    b = inv.bound
    nics = target_adapters(inv, c)
    if not nics:
        return []
    out = []
    for nic in nics[:1]:
        try:
            rec = c.new_ip_address(
                nic,
                str(b.get("IPAddress")),
                as_int(b.get("PrefixLength") if b.get("PrefixLength") is not None else 32),
                str(b["DefaultGateway"]) if b.get("DefaultGateway") else None,
            )
        except WorldError as err:
            report(inv, err)
            continue
        out.append(ip_object(c, rec))
    return out


@cmdlet(
    "Remove-NetIPAddress",
    *IP_FILTERS,
    Param("DefaultGateway"),
    Param("PrefixLength"),
    Param("PassThru", S),
    module=MODULE,
)
def remove_net_ip_address(inv: Invocation) -> Iterable[Any]:
    c = inv.computer
    recs = _selected_ips(inv, c)
    gw = str(inv.bound["DefaultGateway"]) if inv.bound.get("DefaultGateway") else None
    for r in recs:
        c.remove_ip_address(r, gw)
    return [ip_object(c, r) for r in recs] if as_bool(inv.bound.get("PassThru", False)) else []


@cmdlet("Set-NetIPAddress", *IP_FILTERS, Param("PrefixLength"), Param("PassThru", S), module=MODULE)
def set_net_ip_address(inv: Invocation) -> Iterable[Any]:
    c = inv.computer
    recs = _selected_ips(inv, c)
    for r in recs:
        if inv.bound.get("PrefixLength") is not None:
            try:
                c.set_ip_prefix(r, as_int(inv.bound["PrefixLength"]))
            except WorldError as err:
                report(inv, err)
    return [ip_object(c, r) for r in recs] if as_bool(inv.bound.get("PassThru", False)) else []


ROUTE_FILTERS = (
    Param("DestinationPrefix", L, position=0),
    Param("InterfaceAlias", L, aliases=("ifAlias",)),
    Param("InterfaceIndex", L, aliases=("ifIndex",)),
    Param("NextHop", L),
    Param("AddressFamily"),
    Param("InputObject", L, from_pipeline=True),
)


def _selected_routes(inv: Invocation, c: Computer) -> list[Route]:
    b = inv.bound
    piped = [
        i.ref
        for i in flatten(b.get("InputObject") if b.get("InputObject") is not None else inv.input)
        if isinstance(i, PSObject) and isinstance(i.ref, Route)
    ]
    if piped:
        return piped
    routes = list(c.routes)
    if b.get("DestinationPrefix") is not None:
        wanted = strings(b["DestinationPrefix"])
        routes = [r for r in routes if r.destination_prefix in wanted]
    if b.get("NextHop") is not None:
        hops = strings(b["NextHop"])
        routes = [r for r in routes if r.next_hop in hops]
    if b.get("InterfaceAlias") is not None or b.get("InterfaceIndex") is not None:
        idx = {n.interface_index for n in target_adapters(inv, c)}
        routes = [r for r in routes if r.interface_index in idx]
    return routes


@cmdlet("Get-NetRoute", *ROUTE_FILTERS, module=MODULE)
def get_net_route(inv: Invocation) -> Iterable[Any]:
    c = inv.computer
    return [route_object(c, r) for r in _selected_routes(inv, c)]


@cmdlet(
    "New-NetRoute",
    Param("DestinationPrefix", position=0),
    Param("InterfaceAlias", aliases=("ifAlias",)),
    Param("InterfaceIndex", aliases=("ifIndex",)),
    Param("NextHop"),
    Param("RouteMetric"),
    Param("InputObject", L, from_pipeline=True),
    module=MODULE,
)
def new_net_route(inv: Invocation) -> Iterable[Any]:
    c = inv.computer
    nics = target_adapters(inv, c)
    out = []
    for nic in nics[:1]:
        try:
            r = c.new_route(
                nic,
                str(inv.bound.get("DestinationPrefix")),
                str(inv.bound.get("NextHop") or "0.0.0.0"),
                as_int(inv.bound.get("RouteMetric") or 256),
            )
        except WorldError as err:
            report(inv, err)
            continue
        out.append(route_object(c, r))
    return out


@cmdlet("Remove-NetRoute", *ROUTE_FILTERS, Param("PassThru", S), module=MODULE)
def remove_net_route(inv: Invocation) -> Iterable[Any]:
    c = inv.computer
    for r in _selected_routes(inv, c):
        if r in c.routes:
            c.remove_route(r)
    return []


@cmdlet(
    "Set-NetIPInterface",
    Param("InterfaceAlias", L, aliases=("ifAlias",), position=0),
    Param("InterfaceIndex", L, aliases=("ifIndex",)),
    Param("Dhcp"),
    Param("AddressFamily"),
    Param("Forwarding"),
    Param("InputObject", L, from_pipeline=True),
    module=MODULE,
)
def set_net_ip_interface(inv: Invocation) -> Iterable[Any]:
    for nic in target_adapters(inv, inv.computer):
        if inv.bound.get("Dhcp") is not None:
            nic.dhcp_enabled = str(inv.bound["Dhcp"]).lower() in ("enabled", "1", "true")
    return []
