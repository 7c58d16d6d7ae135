"""Virtual switches: Get/New/Remove-VMSwitch."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hypervsim.powershell.api import Invocation, Param, ParamKind, PSObject, cmdlet
from hypervsim.powershell.cmdlets.hyperv_objects import switch_object
from hypervsim.powershell.cmdlets.hyperv_settings import (
    SWITCH_DEFAULT_FLOW_SETTINGS,
    SWITCH_SETTINGS,
    collect,
)
from hypervsim.powershell.cmdlets.hyperv_settings import params as settings_params
from hypervsim.powershell.cmdlets.world_bridge import (
    HYPERV_MODULE,
    REMOTE_PARAMS,
    VMSwitchType,
    apply_to_each,
    as_bool,
    as_enum,
    flatten,
    hyperv_host,
    report,
    strings,
)
from hypervsim.world.errors import WorldError
from hypervsim.world.records import VMSwitch

L = ParamKind.LIST
S = ParamKind.SWITCH


def _not_found(name: str) -> WorldError:
    return WorldError(
        f'Hyper-V was unable to find a virtual switch with name "{name}".',
        reason="InvalidParameter",
        category="InvalidArgument",
        target=name,
    )


@cmdlet(
    "Get-VMSwitch",
    Param("Name", L, aliases=("SwitchName",), position=0),
    Param("ResourcePoolName", L, position=1),
    Param("SwitchType", enum=VMSwitchType),
    Param("Id"),
    *REMOTE_PARAMS,
    module=HYPERV_MODULE,
)
def get_vm_switch(inv: Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    found: list[VMSwitch] = []
    if inv.bound.get("Name") is not None:
        for n in strings(inv.bound["Name"]):
            hits = host.find_switches([n])
            if not hits and not any(c in n for c in "*?["):
                report(inv, _not_found(n))
            found += [s for s in hits if s not in found]
    else:
        found = list(host.switches)
    if inv.bound.get("SwitchType") is not None:
        wanted = str(inv.bound["SwitchType"]).lower()
        found = [s for s in found if s.switch_type.lower() == wanted]
    return [switch_object(host, s) for s in found]


@cmdlet(
    "New-VMSwitch",
    Param("Name", position=0, aliases=("SwitchName",)),
    Param("SwitchType", enum=VMSwitchType),
    Param("NetAdapterName"),
    Param("NetAdapterInterfaceDescription"),
    Param("AllowManagementOS"),
    Param("Notes"),
    *settings_params(SWITCH_SETTINGS),
    *REMOTE_PARAMS,
    module=HYPERV_MODULE,
)
def new_vm_switch(inv: Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    b = inv.bound
    settings = collect(inv, SWITCH_SETTINGS, "New-VMSwitch")
    nic_name = b.get("NetAdapterName")
    if nic_name is None and b.get("NetAdapterInterfaceDescription") is not None:
        desc = str(b["NetAdapterInterfaceDescription"]).lower()
        nic = next((n for n in host.net_adapters if n.interface_description.lower() == desc), None)
        nic_name = nic.name if nic else str(b["NetAdapterInterfaceDescription"])
    try:
        sw = host.new_switch(
            str(b.get("Name")),
            str(b.get("SwitchType") or ("External" if nic_name else "Private")),
            net_adapter_name=str(nic_name) if nic_name else None,
            allow_management_os=as_bool(b["AllowManagementOS"])
            if "AllowManagementOS" in b
            else None,
            notes="" if b.get("Notes") is None else str(b["Notes"]),
        )
        sw.settings.update(settings)
    except WorldError as err:
        report(inv, err)
        return []
    return [switch_object(host, sw)]


@cmdlet(
    "Set-VMSwitch",
    Param("Name", L, position=0, aliases=("SwitchName",)),
    Param("VMSwitch", L, from_pipeline=True),
    Param("SwitchType"),
    Param("AllowManagementOS"),
    Param("Notes"),
    *settings_params(SWITCH_DEFAULT_FLOW_SETTINGS),
    *REMOTE_PARAMS,
    Param("Passthru", S),
    module=HYPERV_MODULE,
)
def set_vm_switch(inv: Invocation) -> Iterable[Any]:
    """Set-VMSwitch: notes, Internal/Private and the management OS vNIC, and settings read
    back. Rebinding an External switch to another adapter (-NetAdapterName) is not modelled,
    so the binder refuses it rather than ignoring it."""
    host = hyperv_host(inv)
    b = inv.bound
    switch_type = (
        as_enum(inv, "SwitchType", VMSwitchType, "Set-VMSwitch").name
        if b.get("SwitchType") is not None
        else None
    )
    manage = as_bool(b["AllowManagementOS"]) if b.get("AllowManagementOS") is not None else None
    settings = collect(inv, SWITCH_DEFAULT_FLOW_SETTINGS, "Set-VMSwitch")

    def apply(sw: VMSwitch) -> None:
        host.set_switch(sw, switch_type, manage, settings)
        if b.get("Notes") is not None:
            sw.notes = str(b["Notes"])

    yield from apply_to_each(inv, _targets(inv, host), apply, lambda sw: switch_object(host, sw))


def _targets(inv: Invocation, host: Any) -> list[VMSwitch]:
    """Switches named by -Name (each unknown name a non-terminating error) or given by
    -VMSwitch / the pipeline."""
    targets: list[VMSwitch] = []
    if inv.bound.get("Name") is not None:
        for n in strings(inv.bound["Name"]):
            hits = host.find_switches([n])
            if not hits:
                report(inv, _not_found(n))
            targets += hits
    else:
        src = inv.bound.get("VMSwitch") if inv.bound.get("VMSwitch") is not None else inv.input
        for item in flatten(src):
            ref = item.ref if isinstance(item, PSObject) else item
            if isinstance(ref, VMSwitch):
                targets.append(ref)
    return targets


@cmdlet(
    "Remove-VMSwitch",
    Param("Name", L, position=0, aliases=("SwitchName",)),
    Param("VMSwitch", L, from_pipeline=True),
    Param("Force", S),
    module=HYPERV_MODULE,
)
def remove_vm_switch(inv: Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    for sw in _targets(inv, host):
        try:
            host.remove_switch(sw)
        except WorldError as err:
            report(inv, err)
    return []
