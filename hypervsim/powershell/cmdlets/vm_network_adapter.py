"""VM network adapters: Get/Set/Add/Remove-VMNetworkAdapter, Connect-/Disconnect-VMNetworkAdapter."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import Any

from hypervsim.powershell import api
from hypervsim.powershell.cmdlets.hyperv_objects import adapter_object, management_adapter_object
from hypervsim.powershell.cmdlets.hyperv_settings import ADAPTER_SETTINGS, collect
from hypervsim.powershell.cmdlets.hyperv_settings import params as settings_params
from hypervsim.powershell.cmdlets.world_bridge import (
    HYPERV_MODULE,
    HYPERV_NS,
    REMOTE_PARAMS,
    OnOffState,
    apply_to_each,
    as_bool,
    as_enum,
    each_with_result,
    flatten,
    hyperv_host,
    report,
    strings,
    target_vms,
)
from hypervsim.powershell.values import to_string
from hypervsim.world.errors import WorldError
from hypervsim.world.model import VM, Computer
from hypervsim.world.records import VMNetworkAdapter

L = api.ParamKind.LIST
S = api.ParamKind.SWITCH


def _name_ok(adapter: VMNetworkAdapter, names: list[str] | None) -> bool:
    return not names or any(fnmatch.fnmatchcase(adapter.name.lower(), n.lower()) for n in names)


def _targets(
    inv: api.Invocation, host: Computer, lookup: bool = False
) -> list[tuple[VM, VMNetworkAdapter]]:
    """Adapters given as objects (-VMNetworkAdapter / pipeline) or by -VMName [+ -Name]."""
    names = strings(inv.bound["Name"]) if inv.bound.get("Name") is not None else None
    out: list[tuple[VM, VMNetworkAdapter]] = []
    objs = (
        flatten(inv.bound.get("VMNetworkAdapter"))
        if inv.bound.get("VMNetworkAdapter") is not None
        else []
    )
    if inv.bound.get("VM") is not None:  # Get-VMNetworkAdapter -VM $vm (by parameter)
        objs = objs + flatten(inv.bound["VM"])
    if not objs and "VMName" not in inv.bound:
        objs = flatten(inv.input)
    for item in objs:
        ref = item.ref if isinstance(item, api.PSObject) else item
        if isinstance(ref, VMNetworkAdapter):
            vm = host.owner_vm(ref)
            if vm is not None:
                out.append((vm, ref))
        elif isinstance(ref, VM):
            out += [(ref, a) for a in ref.adapters if _name_ok(a, names)]
    if "VMName" in inv.bound:
        for vm in target_vms(inv, host, lookup=lookup):
            out += [(vm, a) for a in vm.adapters if _name_ok(a, names)]
    return out


@api.cmdlet(
    "Get-VMNetworkAdapter",
    api.Param("VMName", L, position=0),
    api.Param("VM", L, from_pipeline=True),
    api.Param("Name", L, position=1),
    api.Param("ManagementOS", S),
    api.Param("SwitchName"),
    api.Param("All", S),
    api.Param("IsLegacy"),
    *REMOTE_PARAMS,
    module=HYPERV_MODULE,
)
def get_vm_network_adapter(inv: api.Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    out: list[Any] = []
    if as_bool(inv.bound.get("ManagementOS", False)) or as_bool(inv.bound.get("All", False)):
        names = strings(inv.bound["Name"]) if inv.bound.get("Name") is not None else None
        wanted_switch = inv.bound.get("SwitchName")
        for sw in host.switches:
            if wanted_switch is not None and sw.name.lower() != str(wanted_switch).lower():
                continue
            if sw.allow_management_os and (
                not names or any(fnmatch.fnmatchcase(sw.name.lower(), n.lower()) for n in names)
            ):
                out.append(management_adapter_object(host, sw))
        if not as_bool(inv.bound.get("All", False)):
            return out
        return out + [adapter_object(host, vm, a) for vm in host.vms for a in vm.adapters]
    if "VMName" not in inv.bound and not inv.bound.get("VM") and not inv.input:
        raise_missing(inv)
    if as_bool(inv.bound.get("IsLegacy", False)):
        return out  # -IsLegacy $true lists legacy adapters only; none are modelled
    return out + [adapter_object(host, vm, a) for vm, a in _targets(inv, host, lookup=True)]


def raise_missing(inv: api.Invocation) -> None:

    raise api.CmdletError(
        api.ErrorRecord(
            "Parameter set cannot be resolved using the specified named parameters.",
            api.ErrorCategory.InvalidArgument,
            f"AmbiguousParameterSet,{HYPERV_NS}GetVMNetworkAdapter",
            command=inv.name,
            exception_type="System.Management.Automation.ParameterBindingException",
        )
    )


@api.cmdlet(
    "Set-VMNetworkAdapter",
    api.Param("VMName", L, position=0),
    api.Param("VM", L),
    api.Param("VMNetworkAdapter", L, from_pipeline=True),
    api.Param("Name", L),
    api.Param("DynamicMacAddress", S),
    api.Param("StaticMacAddress"),
    api.Param("MacAddressSpoofing", enum=OnOffState),
    api.Param("AllowTeaming", enum=OnOffState),
    *settings_params(ADAPTER_SETTINGS),
    *REMOTE_PARAMS,
    api.Param("Passthru", S),
    module=HYPERV_MODULE,
)
def set_vm_network_adapter(inv: api.Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    b = inv.bound
    spoof = (
        as_enum(inv, "MacAddressSpoofing", OnOffState, "Set-VMNetworkAdapter") is OnOffState.On
        if b.get("MacAddressSpoofing") is not None
        else None
    )
    teaming = (
        as_enum(inv, "AllowTeaming", OnOffState, "Set-VMNetworkAdapter") is OnOffState.On
        if b.get("AllowTeaming") is not None
        else None
    )
    settings = collect(inv, ADAPTER_SETTINGS, "Set-VMNetworkAdapter")
    static = to_string(b["StaticMacAddress"]) if b.get("StaticMacAddress") else None
    out = []
    for vm, a in _targets(inv, host):
        try:
            host.set_vm_network_adapter(
                a,
                mac_spoofing=spoof,
                allow_teaming=teaming,
                static_mac=static,
                dynamic_mac=as_bool(b.get("DynamicMacAddress", False)),
                settings=settings,
            )
        except WorldError as err:
            report(inv, err)
            continue
        if as_bool(b.get("Passthru", False)):
            out.append(adapter_object(host, vm, a))
    return out


@api.cmdlet(
    "Add-VMNetworkAdapter",
    api.Param("VMName", L, position=0),
    api.Param("VM", L, from_pipeline=True),
    api.Param("Name"),
    api.Param("SwitchName"),
    api.Param("IsLegacy"),
    api.Param("Passthru", S),
    module=HYPERV_MODULE,
)
def add_vm_network_adapter(inv: api.Invocation) -> Iterable[Any]:
    """Adds a synthetic adapter (-IsLegacy $false is that too); legacy (emulated) adapters are
    not modelled, so -IsLegacy $true is refused rather than given a synthetic one."""
    host = hyperv_host(inv)
    if as_bool(inv.bound.get("IsLegacy", False)):
        raise api.CmdletError(
            api.ErrorRecord(
                "hypervsim does not model legacy network adapters (Add-VMNetworkAdapter"
                " -IsLegacy $true).",
                api.ErrorCategory.NotImplemented,
                "NotSupportedByEmulator",
                command=inv.name,
                exception_type="System.NotSupportedException",
            )
        )
    name = str(inv.bound.get("Name") or "Network Adapter")
    added = each_with_result(
        inv,
        target_vms(inv, host),
        lambda vm: host.add_vm_network_adapter(vm, name, inv.bound.get("SwitchName")),
        lambda vm, adapter: adapter_object(host, vm, adapter),
    )
    return list(added)


@api.cmdlet(
    "Remove-VMNetworkAdapter",
    api.Param("VMName", L, position=0),
    api.Param("VMNetworkAdapter", L, from_pipeline=True),
    api.Param("Name", L),
    api.Param("Passthru", S),
    module=HYPERV_MODULE,
)
def remove_vm_network_adapter(inv: api.Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    for vm, a in _targets(inv, host):
        try:
            host.remove_vm_network_adapter(vm, a)
        except WorldError as err:
            report(inv, err)
    return []


@api.cmdlet(
    "Connect-VMNetworkAdapter",
    api.Param("VMName", L, position=0),
    api.Param("VMNetworkAdapter", L, from_pipeline=True),
    api.Param("Name", L),
    api.Param("SwitchName", position=1),
    api.Param("Passthru", S),
    module=HYPERV_MODULE,
)
def connect_vm_network_adapter(inv: api.Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    return list(
        apply_to_each(
            inv,
            _targets(inv, host),
            lambda target: host.connect_vm_network_adapter(
                target[1], str(inv.bound.get("SwitchName") or "")
            ),
            lambda target: adapter_object(host, *target),
        )
    )


@api.cmdlet(
    "Disconnect-VMNetworkAdapter",
    api.Param("VMName", L, position=0),
    api.Param("VMNetworkAdapter", L, from_pipeline=True),
    api.Param("Name", L),
    api.Param("Passthru", S),
    module=HYPERV_MODULE,
)
def disconnect_vm_network_adapter(inv: api.Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    for _vm, a in _targets(inv, host):
        host.connect_vm_network_adapter(a, None)
    return []
