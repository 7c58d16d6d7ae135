"""Default views of Hyper-V and NetTCPIP objects, as Windows' format.ps1xml files define them.

Get-VM, Get-VMSwitch and Get-VMNetworkAdapter print a table of a few columns (with Windows'
computed headers such as "MemoryAssigned(M)"), not every property; Get-NetIPAddress prints its
list with the lifetimes. Get-NetNat has no view on Windows and prints all its properties.
"""

from __future__ import annotations

from typing import Any

from hypervsim.powershell.api import PSObject
from hypervsim.powershell.format_output import register_view
from hypervsim.powershell.types import to_number
from hypervsim.powershell.values import to_string

MiB = 1024 * 1024
INFINITE = "Infinite ([TimeSpan]::MaxValue)"
DHCP_LEASE = "8.00:00:00"  # Windows' DHCP server default lease, the model keeps no lease times


def _text(name: str) -> Any:
    """A column Windows left-aligns (a script block's text), whatever the property's type."""
    return lambda obj: to_string(obj.get(name))


def _mebibytes(obj: PSObject) -> str:
    return str(int(to_number(obj.get("MemoryAssigned") or 0)) // MiB)


def _lifetime(obj: PSObject) -> str:
    return DHCP_LEASE if to_string(obj.get("PrefixOrigin")) == "Dhcp" else INFINITE


register_view(
    "Microsoft.HyperV.PowerShell.VirtualMachine",
    [
        "Name",
        "State",
        ("CPUUsage(%)", lambda obj: to_string(obj.get("CPUUsage") or 0)),
        ("MemoryAssigned(M)", _mebibytes),
        ("Uptime", _text("Uptime")),
        "Status",
        ("Version", _text("Version")),
    ],
    "table",
)
register_view(
    "Microsoft.HyperV.PowerShell.VMSwitch",
    ["Name", "SwitchType", "NetAdapterInterfaceDescription"],
    "table",
)
register_view(
    "Microsoft.HyperV.PowerShell.VMNetworkAdapterBase",
    [
        "Name",
        ("IsManagementOs", _text("IsManagementOs")),
        "VMName",
        "SwitchName",
        "MacAddress",
        "Status",
        "IPAddresses",
    ],
    "table",
)


def _vlan_list(obj: PSObject) -> str:
    mode = to_string(obj.get("OperationMode"))
    if mode == "Access":
        return to_string(obj.get("AccessVlanId"))
    if mode == "Trunk":
        return (
            f"{to_string(obj.get('NativeVlanId'))},{to_string(obj.get('AllowedVlanIdListString'))}"
        )
    return ""


def _parent(name: str) -> Any:
    return lambda obj: to_string(obj.get("ParentAdapter").get(name))


register_view(
    "Microsoft.HyperV.PowerShell.VMNetworkAdapterVlanSetting",
    [
        ("VMName", _parent("VMName")),
        ("VMNetworkAdapterName", _parent("Name")),
        ("Mode", lambda obj: to_string(obj.get("OperationMode"))),
        ("VlanList", _vlan_list),
    ],
    "table",
)
register_view(
    "Microsoft.Management.Infrastructure.CimInstance#ROOT/StandardCimv2/MSFT_NetIPAddress",
    [
        "IPAddress",
        "InterfaceIndex",
        "InterfaceAlias",
        "AddressFamily",
        "Type",
        "PrefixLength",
        "PrefixOrigin",
        "SuffixOrigin",
        "AddressState",
        ("ValidLifetime", _lifetime),
        ("PreferredLifetime", _lifetime),
        "SkipAsSource",
        "PolicyStore",
    ],
    "list",
)
