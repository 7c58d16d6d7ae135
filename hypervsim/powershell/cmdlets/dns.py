"""DnsClient: Get/Set-DnsClientServerAddress, Resolve-DnsName (answered from the model)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hypervsim.powershell.api import Invocation, Param, ParamKind, PSObject, cmdlet
from hypervsim.powershell.cmdlets.netip import target_adapters
from hypervsim.powershell.cmdlets.world_bridge import AddressFamily, as_bool, report, strings
from hypervsim.world.errors import WorldError
from hypervsim.world.model import Computer
from hypervsim.world.reachability import resolve
from hypervsim.world.records import NetAdapter

L = ParamKind.LIST
S = ParamKind.SWITCH
MODULE = "DnsClient"
CIM = "Microsoft.Management.Infrastructure.CimInstance"


def dns_object(c: Computer, nic: NetAdapter) -> PSObject:
    return PSObject(
        {
            "InterfaceAlias": nic.name,
            "InterfaceIndex": nic.interface_index,
            "AddressFamily": AddressFamily.IPv4,
            "ServerAddresses": list(nic.dns_servers),
        },
        [f"{CIM}#ROOT/StandardCimv2/MSFT_DNSClientServerAddress", CIM, "System.Object"],
        ref=nic,
    )


@cmdlet(
    "Get-DnsClientServerAddress",
    Param("InterfaceAlias", L, position=0, aliases=("ifAlias",)),
    Param("InterfaceIndex", L, aliases=("ifIndex",)),
    Param("AddressFamily"),
    module=MODULE,
)
def get_dns_client_server_address(inv: Invocation) -> Iterable[Any]:
    c = inv.computer
    has_filter = (
        inv.bound.get("InterfaceAlias") is not None or inv.bound.get("InterfaceIndex") is not None
    )
    nics = target_adapters(inv, c) if has_filter else list(c.net_adapters)
    return [dns_object(c, n) for n in nics]


@cmdlet(
    "Set-DnsClientServerAddress",
    Param("InterfaceAlias", L, position=0, aliases=("ifAlias",)),
    Param("InterfaceIndex", L, aliases=("ifIndex",)),
    Param("ServerAddresses", L),
    Param("ResetServerAddresses", S),
    Param("InputObject", L, from_pipeline=True),
    Param("PassThru", S),
    module=MODULE,
)
def set_dns_client_server_address(inv: Invocation) -> Iterable[Any]:
    c = inv.computer
    out = []
    for nic in target_adapters(inv, c):
        try:
            servers = (
                []
                if as_bool(inv.bound.get("ResetServerAddresses", False))
                else strings(inv.bound.get("ServerAddresses"))
            )
            c.set_dns_servers(nic, servers)
        except WorldError as err:
            report(inv, err)
            continue
        if as_bool(inv.bound.get("PassThru", False)):
            out.append(dns_object(c, nic))
    return out


@cmdlet("Resolve-DnsName", Param("Name", position=0), Param("Type"), Param("Server"), module=MODULE)
def resolve_dns_name(inv: Invocation) -> Iterable[Any]:
    name = str(inv.bound.get("Name"))
    ip = resolve(inv.computer, name)
    if ip is None:
        report(
            inv,
            WorldError(
                f"{name} : This operation returned because the timeout period expired",
                reason="ERROR_TIMEOUT",
                category="OperationStopped",
                exception_type="System.ComponentModel.Win32Exception",
                target=name,
                fqid="ERROR_TIMEOUT,Microsoft.DnsClient.Commands.ResolveDnsName",
            ),
        )
        return []
    return [
        PSObject(
            {"Name": name, "Type": "A", "TTL": 300, "Section": "Answer", "IPAddress": str(ip)},
            ["Microsoft.DnsClient.Commands.DnsRecord_A", "System.Object"],
        )
    ]
