"""Test-NetConnection, answered from the world model (no real network is ever touched)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hypervsim.powershell.api import Invocation, Param, ParamKind, PSObject, cmdlet
from hypervsim.powershell.cmdlets.world_bridge import as_int
from hypervsim.world.reachability import test_connection

COMMON_PORTS = {"http": 80, "rdp": 3389, "smb": 445, "winrm": 5985}
DEFAULT_TARGET = "internetbeacon.msedge.net"


@cmdlet(
    "Test-NetConnection",
    Param("ComputerName", position=0, aliases=("RemoteAddress", "cn")),
    Param("Port", aliases=("RemotePort",)),
    Param("CommonTCPPort"),
    Param("InformationLevel"),
    Param("TraceRoute", ParamKind.SWITCH),
    module="NetTCPIP",
    aliases=("TNC",),
)
def test_net_connection(inv: Invocation) -> Iterable[Any]:
    target = str(inv.bound.get("ComputerName") or DEFAULT_TARGET)
    port: int | None = None
    if inv.bound.get("Port") is not None:
        port = as_int(inv.bound["Port"])
    elif inv.bound.get("CommonTCPPort") is not None:
        port = COMMON_PORTS.get(str(inv.bound["CommonTCPPort"]).lower())
    t = test_connection(inv.computer, target, port)
    quiet = str(inv.bound.get("InformationLevel") or "").lower() == "quiet"
    if not t.name_resolved:
        inv.write_warning(f"Name resolution of {target} failed")
    elif port is not None and not t.tcp_succeeded:
        inv.write_warning(f"TCP connect to ({t.remote_address} : {port}) failed")
        if not t.ping_succeeded:
            inv.write_warning(f"Ping to {target} failed with status: TimedOut")
    elif port is None and not t.ping_succeeded:
        inv.write_warning(f"Ping to {target} failed with status: TimedOut")
    if quiet:
        return [bool(t.tcp_succeeded) if port is not None else t.ping_succeeded]
    props: dict[str, Any] = {
        "ComputerName": target,
        "RemoteAddress": t.remote_address,
        "InterfaceAlias": t.interface_alias,
        "SourceAddress": t.source_address,
        "NameResolutionSucceeded": t.name_resolved,
        "PingSucceeded": t.ping_succeeded,
        "PingReplyDetails": {"RoundtripTime": 12} if t.ping_succeeded else None,
    }
    if port is not None:
        props["RemotePort"] = port
        props["TcpTestSucceeded"] = bool(t.tcp_succeeded)
    return [PSObject(props, ["TestNetConnectionResult", "System.Object"])]
