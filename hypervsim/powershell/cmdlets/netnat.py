"""WinNAT: Get/New/Remove-NetNat."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hypervsim.powershell.api import Invocation, Param, ParamKind, PSObject, cmdlet
from hypervsim.powershell.cmdlets.world_bridge import flatten, report, strings
from hypervsim.world.errors import WorldError
from hypervsim.world.model import Computer
from hypervsim.world.records import NetNat

L = ParamKind.LIST
S = ParamKind.SWITCH
MODULE = "NetNat"
CIM = "Microsoft.Management.Infrastructure.CimInstance"


def nat_object(nat: NetNat) -> PSObject:
    return PSObject(
        {
            "Name": nat.name,
            "ExternalIPInterfaceAddressPrefix": None,
            "InternalIPInterfaceAddressPrefix": nat.internal_prefix,
            "IcmpQueryTimeout": 30,
            "TcpEstablishedConnectionTimeout": 1800,
            "TcpTransientConnectionTimeout": 120,
            "TcpFilteringBehavior": "AddressDependentFiltering",
            "UdpFilteringBehavior": "AddressDependentFiltering",
            "UdpIdleSessionTimeout": 120,
            "UdpInboundRefresh": False,
            "Store": "Local",
            "Active": nat.active,
        },
        [f"{CIM}#root/StandardCimv2/MSFT_NetNat", f"{CIM}#MSFT_NetNat", CIM, "System.Object"],
        ref=nat,
    )


def _not_found(name: str, command: str) -> WorldError:
    return WorldError(
        f"No MSFT_NetNat objects found with property 'Name' equal to '{name}'.  Verify the value of the property and retry.",
        reason="CmdletizationQuery_NotFound_Name",
        category="ObjectNotFound",
        exception_type="Microsoft.Management.Infrastructure.CimException",
        target=name,
        fqid=f"CmdletizationQuery_NotFound_Name,{command}",
    )


def _named(inv: Invocation, computer: Computer) -> list[NetNat]:
    if inv.bound.get("Name") is None:
        return list(computer.nats)
    out: list[NetNat] = []
    for n in strings(inv.bound["Name"]):
        hits = computer.find_nats([n])
        if not hits and not any(c in n for c in "*?["):
            report(inv, _not_found(n, inv.name))
        out += [h for h in hits if h not in out]
    return out


@cmdlet("Get-NetNat", Param("Name", L, position=0), module=MODULE)
def get_net_nat(inv: Invocation) -> Iterable[Any]:
    return [nat_object(n) for n in _named(inv, inv.computer)]


@cmdlet(
    "New-NetNat",
    Param("Name", position=0, mandatory=True),
    Param("InternalIPInterfaceAddressPrefix"),
    Param("ExternalIPInterfaceAddressPrefix"),
    Param("Active"),
    module=MODULE,
)
def new_net_nat(inv: Invocation) -> Iterable[Any]:
    try:
        nat = inv.computer.new_nat(
            str(inv.bound.get("Name")), str(inv.bound.get("InternalIPInterfaceAddressPrefix") or "")
        )
    except WorldError as err:
        report(inv, err)
        return []
    return [nat_object(nat)]


@cmdlet(
    "Remove-NetNat",
    Param("Name", L, position=0),
    Param("InputObject", L, from_pipeline=True),
    Param("PassThru", S),
    module=MODULE,
)
def remove_net_nat(inv: Invocation) -> Iterable[Any]:
    c = inv.computer
    if inv.bound.get("Name") is None and (inv.bound.get("InputObject") is not None or inv.input):
        src = (
            inv.bound.get("InputObject") if inv.bound.get("InputObject") is not None else inv.input
        )
        targets = [
            i.ref for i in flatten(src) if isinstance(i, PSObject) and isinstance(i.ref, NetNat)
        ]
    else:
        targets = _named(inv, c)
    for nat in targets:
        if nat in c.nats:
            c.remove_nat(nat)
    return [nat_object(n) for n in targets] if inv.bound.get("PassThru") else []
