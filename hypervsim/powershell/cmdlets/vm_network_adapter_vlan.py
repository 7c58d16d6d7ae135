"""Get-/Set-VMNetworkAdapterVlan: a VM adapter's (or the management OS adapter's) VLAN mode,
Untagged, Access (-VlanId) or Trunk (-NativeVlanId, -AllowedVlanIdList), read back as
VMNetworkAdapterVlanSetting objects and as the adapters' VlanSetting property.

Private VLAN modes (-Isolated, -Community, -Promiscuous) are not modelled: refused with a
NotSupported error rather than accepted and ignored.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import Any

from hypervsim.powershell import api
from hypervsim.powershell.cmdlets.hyperv_objects import (
    adapter_object,
    management_adapter_object,
    vlan_object,
)
from hypervsim.powershell.cmdlets.world_bridge import (
    HYPERV_MODULE,
    HYPERV_NS,
    as_bool,
    flatten,
    hyperv_host,
    report,
    target_vms,
    unwrap,
)
from hypervsim.powershell.types import to_number
from hypervsim.powershell.values import to_string
from hypervsim.world.errors import WorldError
from hypervsim.world.model import VM, Computer
from hypervsim.world.records import VMNetworkAdapter, VMSwitch
from hypervsim.world.vlan import PortVlan, set_access, set_trunk, set_untagged

L = api.ParamKind.LIST
S = api.ParamKind.SWITCH
SET_CLASS = HYPERV_NS + "SetVMNetworkAdapterVlan"
PRIVATE_MODES = ("Isolated", "Community", "Promiscuous")

TARGET_PARAMS = (
    api.Param("VMName", L, position=0),
    api.Param("VM", L),
    api.Param("VMNetworkAdapter", L, from_pipeline=True),
    api.Param("ManagementOS", S),
    api.Param("VMNetworkAdapterName"),
    api.Param("CimSession", L),
    api.Param("ComputerName", L),
    api.Param("Credential", L),
)

Target = tuple[api.PSObject, PortVlan]


def _name_ok(name: str, wanted: str | None) -> bool:
    return wanted is None or fnmatch.fnmatchcase(name.lower(), wanted.lower())


def _targets(inv: api.Invocation, host: Computer) -> list[Target]:
    """The ports named by -ManagementOS, -VMNetworkAdapter objects, -VM or -VMName, each with
    the adapter object that is its ParentAdapter."""
    b = inv.bound
    wanted = to_string(b["VMNetworkAdapterName"]) if b.get("VMNetworkAdapterName") else None
    out: list[Target] = []

    def add_vm(vm: VM) -> None:
        for a in vm.adapters:
            if _name_ok(a.name, wanted):
                out.append((adapter_object(host, vm, a), a.vlan))

    if as_bool(b.get("ManagementOS", False)):
        for sw in host.switches:
            if sw.allow_management_os and _name_ok(sw.name, wanted):
                out.append((management_adapter_object(host, sw), sw.management_vlan))
        return out
    if "VMName" in b:
        for vm in target_vms(inv, host, lookup=True):
            add_vm(vm)
        return out
    given = flatten(b.get("VM")) or flatten(b.get("VMNetworkAdapter")) or flatten(inv.input)
    for item in given:
        ref = unwrap(item)
        if isinstance(ref, VM):
            add_vm(ref)
        elif isinstance(ref, VMNetworkAdapter):
            owner = host.owner_vm(ref)
            if owner is not None:
                out.append((adapter_object(host, owner, ref), ref.vlan))
        elif isinstance(ref, VMSwitch):
            out.append((management_adapter_object(host, ref), ref.management_vlan))
    return out


def _missing_target(inv: api.Invocation, command_class: str) -> api.CmdletError:
    return api.CmdletError(
        api.ErrorRecord(
            "Parameter set cannot be resolved using the specified named parameters.",
            api.ErrorCategory.InvalidArgument,
            f"AmbiguousParameterSet,{HYPERV_NS}{command_class}",
            command=inv.name,
            exception_type="System.Management.Automation.ParameterBindingException",
        )
    )


def _has_target(inv: api.Invocation) -> bool:
    b = inv.bound
    return bool(
        as_bool(b.get("ManagementOS", False))
        or "VMName" in b
        or b.get("VM")
        or b.get("VMNetworkAdapter")
        or inv.input
    )


@api.cmdlet("Get-VMNetworkAdapterVlan", *TARGET_PARAMS, module=HYPERV_MODULE)
def get_vm_network_adapter_vlan(inv: api.Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    if not _has_target(inv):
        # Windows lists every VM adapter's setting when no target is given
        return [
            vlan_object(host, a.vlan, adapter_object(host, vm, a))
            for vm in host.vms
            for a in vm.adapters
        ]
    return [vlan_object(host, port, parent) for parent, port in _targets(inv, host)]


def _invalid(message: str, target: Any = None) -> api.CmdletError:
    return api.CmdletError(
        api.ErrorRecord(
            message,
            api.ErrorCategory.InvalidArgument,
            f"InvalidParameter,{SET_CLASS}",
            target=to_string(target) if target is not None else None,
            exception_type="Microsoft.HyperV.PowerShell.VirtualizationException",
        )
    )


def _vlan_id(inv: api.Invocation, name: str) -> int:
    value = inv.bound.get(name)
    if value is None:
        raise _invalid(f"The {name} parameter is required for this VLAN mode.")
    return int(to_number(value))


def _mode_change(inv: api.Invocation) -> Any:
    """The change the mode switches ask for, checked before any port is touched."""
    b = inv.bound
    modes = [m for m in ("Untagged", "Access", "Trunk", *PRIVATE_MODES) if as_bool(b.get(m))]
    if len(modes) != 1:
        raise _invalid(
            "Specify exactly one VLAN mode: -Untagged, -Access, -Trunk, -Isolated, -Community"
            " or -Promiscuous."
        )
    mode = modes[0]
    if mode in PRIVATE_MODES:
        raise api.CmdletError(
            api.ErrorRecord(
                f"hypervsim does not model private VLANs (-{mode}).",
                api.ErrorCategory.NotImplemented,
                f"NotSupportedByEmulator,{SET_CLASS}",
                exception_type="System.NotSupportedException",
            )
        )
    if mode == "Untagged":
        return set_untagged
    if mode == "Access":
        vlan_id = _vlan_id(inv, "VlanId")
        return lambda port: set_access(port, vlan_id)
    native = _vlan_id(inv, "NativeVlanId")
    if b.get("AllowedVlanIdList") is None:
        raise _invalid("The AllowedVlanIdList parameter is required for this VLAN mode.")
    allowed = to_string(b["AllowedVlanIdList"])
    return lambda port: set_trunk(port, native, allowed)


@api.cmdlet(
    "Set-VMNetworkAdapterVlan",
    *TARGET_PARAMS,
    api.Param("Untagged", S),
    api.Param("Access", S),
    api.Param("VlanId", aliases=("AccessVlanId",), type_name="System.Int32"),
    api.Param("Trunk", S),
    api.Param("NativeVlanId", type_name="System.Int32"),
    api.Param("AllowedVlanIdList"),
    api.Param("Isolated", S),
    api.Param("Community", S),
    api.Param("Promiscuous", S),
    api.Param("PrimaryVlanId", type_name="System.Int32"),
    api.Param("SecondaryVlanId", type_name="System.Int32"),
    api.Param("SecondaryVlanIdList"),
    api.Param("Passthru", S),
    module=HYPERV_MODULE,
)
def set_vm_network_adapter_vlan(inv: api.Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    if not _has_target(inv):
        raise _missing_target(inv, "SetVMNetworkAdapterVlan")
    change = _mode_change(inv)
    out: list[Any] = []
    for parent, port in _targets(inv, host):
        try:
            change(port)
        except WorldError as err:
            report(inv, err)
            continue
        if as_bool(inv.bound.get("Passthru", False)):
            out.append(vlan_object(host, port, parent))
    return out
