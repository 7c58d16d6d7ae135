"""Virtual switches: Get/New/Remove-VMSwitch."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hypervsim.powershell.api import Invocation, Param, ParamKind, PSObject, cmdlet
from hypervsim.powershell.cmdlets.hyperv_objects import switch_object
from hypervsim.powershell.cmdlets.world_bridge import (
    HYPERV_MODULE,
    VMSwitchBandwidthMode,
    VMSwitchType,
    apply_to_each,
    as_bool,
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
    Param("SwitchType", enum=VMSwitchType),
    Param("Id"),
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
    Param("MinimumBandwidthMode"),
    Param("EnableEmbeddedTeaming"),
    Param("EnableIov"),
    Param("EnablePacketDirect"),
    module=HYPERV_MODULE,
)
def new_vm_switch(inv: Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    b = inv.bound
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
    except WorldError as err:
        report(inv, err)
        return []
    sw.embedded_teaming_enabled = as_bool(b.get("EnableEmbeddedTeaming") or False)
    sw.iov_enabled = as_bool(b.get("EnableIov") or False)
    sw.packet_direct_enabled = as_bool(b.get("EnablePacketDirect") or False)
    mode = str(b.get("MinimumBandwidthMode") or "Default")
    if mode.isdigit():
        mode = VMSwitchBandwidthMode(int(mode)).name
    # Microsoft: Default is Weight, or None when the switch is IOV-enabled.
    sw.bandwidth_reservation_mode = (
        ("None" if sw.iov_enabled else "Weight") if mode.lower() == "default" else mode
    )
    return [switch_object(host, sw)]


@cmdlet(
    "Set-VMSwitch",
    Param("Name", L, position=0, aliases=("SwitchName",)),
    Param("VMSwitch", L, from_pipeline=True),
    Param("Notes"),
    Param("DefaultFlowMinimumBandwidthAbsolute"),
    Param("DefaultFlowMinimumBandwidthWeight"),
    Param("DefaultQueueVmmqEnabled"),
    Param("DefaultQueueVmmqQueuePairs"),
    Param("DefaultQueueVrssEnabled"),
    Param("Passthru", S),
    module=HYPERV_MODULE,
)
def set_vm_switch(inv: Invocation) -> Iterable[Any]:
    """Set-VMSwitch: -Notes and the default-flow/queue settings (stored and read back, not
    acted on); other parameters are refused by the binder rather than ignored."""
    host = hyperv_host(inv)
    b = inv.bound

    def apply(sw: VMSwitch) -> None:
        if b.get("Notes") is not None:
            sw.notes = str(b["Notes"])
        if b.get("DefaultFlowMinimumBandwidthAbsolute") is not None:
            sw.default_flow_minimum_bandwidth_absolute = int(
                b["DefaultFlowMinimumBandwidthAbsolute"]
            )
        if b.get("DefaultFlowMinimumBandwidthWeight") is not None:
            sw.default_flow_minimum_bandwidth_weight = int(b["DefaultFlowMinimumBandwidthWeight"])
        if b.get("DefaultQueueVmmqEnabled") is not None:
            sw.default_queue_vmmq_enabled = as_bool(b["DefaultQueueVmmqEnabled"])
        if b.get("DefaultQueueVmmqQueuePairs") is not None:
            sw.default_queue_vmmq_queue_pairs = int(b["DefaultQueueVmmqQueuePairs"])
        if b.get("DefaultQueueVrssEnabled") is not None:
            sw.default_queue_vrss_enabled = as_bool(b["DefaultQueueVrssEnabled"])

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
