"""Hyper-V VM lifecycle cmdlets: Get/New/Remove/Start/Stop/Restart/Set-VM, Update-VMVersion,
Get/Set-VMSecurity."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hypervsim.powershell import api
from hypervsim.powershell.cmdlets.hyperv_objects import vm_object
from hypervsim.powershell.cmdlets.hyperv_settings import (
    OFF_ONLY_SETTINGS,
    VM_SETTINGS,
    collect,
)
from hypervsim.powershell.cmdlets.hyperv_settings import params as settings_params
from hypervsim.powershell.cmdlets.world_bridge import (
    HYPERV_MODULE,
    REMOTE_PARAMS,
    CheckpointType,
    apply_to_each,
    as_bool,
    as_enum,
    as_int,
    hyperv_host,
    report,
    strings,
    target_vms,
)
from hypervsim.world.errors import WorldError

S = api.ParamKind.SWITCH
L = api.ParamKind.LIST


@api.dotnet_enum("Microsoft.HyperV.PowerShell.BootDevice")
class BootDevice(api.PSEnum):
    Floppy = 0
    CD = 1
    IDE = 2
    LegacyNetworkAdapter = 3
    NetworkAdapter = 4
    VHD = 5


VM_PARAMS = (
    api.Param("Name", L, aliases=("VMName",), position=0),
    api.Param("VM", L, from_pipeline=True),
)


@api.cmdlet(
    "Get-VM",
    api.Param("Name", L, aliases=("VMName",), position=0),
    api.Param("Id", L),
    api.Param("ComputerName", L),
    api.Param("Credential", L),
    api.Param("CimSession", L),
    api.Param("ClusterObject", L),
    module=HYPERV_MODULE,
)
def get_vm(inv: api.Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    if "Id" in inv.bound:
        for vm_id in strings(inv.bound["Id"]):
            vm = host.vm_by_id(vm_id)
            if vm is None:
                report(
                    inv,
                    WorldError(
                        f'Hyper-V was unable to find a virtual machine with id "{vm_id}".',
                        reason="InvalidParameter",
                        category="InvalidArgument",
                        target=vm_id,
                    ),
                )
            else:
                yield vm_object(host, vm)
        return
    if "Name" not in inv.bound:
        yield from (vm_object(host, vm) for vm in host.vms)
        return
    for vm in target_vms(inv, host, lookup=True, name_param="Name"):
        yield vm_object(host, vm)


@api.cmdlet(
    "New-VM",
    api.Param("Name", position=0, aliases=("VMName",)),
    api.Param("MemoryStartupBytes", position=1),
    api.Param("Generation", position=2),
    api.Param("BootDevice"),
    api.Param("NoVHD", S),
    api.Param("NewVHDPath"),
    api.Param("NewVHDSizeBytes"),
    api.Param("VHDPath"),
    api.Param("SwitchName"),
    api.Param("Path"),
    api.Param("Version"),
    api.Param("Prerelease", S),
    api.Param("Force", S),
    *REMOTE_PARAMS,
    module=HYPERV_MODULE,
)
def new_vm(inv: api.Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    b = inv.bound
    if b.get("BootDevice") is not None:
        as_enum(inv, "BootDevice", BootDevice, "New-VM")
    name = str(b.get("Name") or "New Virtual Machine")
    try:
        vm = host.new_vm(
            name,
            memory_startup=as_int(b["MemoryStartupBytes"])
            if b.get("MemoryStartupBytes") is not None
            else None,
            generation=as_int(b.get("Generation") or 1),
            version=str(b["Version"]) if b.get("Version") is not None else None,
            new_vhd_path=str(b["NewVHDPath"]) if b.get("NewVHDPath") else None,
            new_vhd_size=as_int(b["NewVHDSizeBytes"])
            if b.get("NewVHDSizeBytes") is not None
            else None,
            vhd_path=str(b["VHDPath"]) if b.get("VHDPath") else None,
            switch_name=str(b["SwitchName"]) if b.get("SwitchName") else None,
            path=str(b["Path"]) if b.get("Path") else None,
        )
    except WorldError as err:
        report(inv, err, terminating=False)
        return
    yield vm_object(host, vm)


def _each_vm(inv: api.Invocation, action: Any) -> list[Any]:
    """Apply `action` to every targeted VM; failures are non-terminating; -Passthru outputs."""
    host = hyperv_host(inv)
    return list(
        apply_to_each(
            inv,
            target_vms(inv, host),
            lambda vm: action(host, vm),
            lambda vm: vm_object(host, vm),
        )
    )


@api.cmdlet("Start-VM", *VM_PARAMS, api.Param("Passthru", S), module=HYPERV_MODULE)
def start_vm(inv: api.Invocation) -> Iterable[Any]:
    return _each_vm(inv, lambda host, vm: host.start_vm(vm))


@api.cmdlet(
    "Stop-VM",
    *VM_PARAMS,
    api.Param("Force", S),
    api.Param("TurnOff", S),
    api.Param("Save", S),
    api.Param("Passthru", S),
    module=HYPERV_MODULE,
)
def stop_vm(inv: api.Invocation) -> Iterable[Any]:
    turn_off = as_bool(inv.bound.get("TurnOff", False))
    if as_bool(inv.bound.get("Save", False)):
        return _each_vm(inv, lambda host, vm: host.save_vm(vm))
    return _each_vm(inv, lambda host, vm: host.stop_vm(vm, turn_off=turn_off))


@api.cmdlet(
    "Save-VM",
    *VM_PARAMS,
    api.Param("ComputerName", L),
    api.Param("Passthru", S),
    module=HYPERV_MODULE,
)
def save_vm(inv: api.Invocation) -> Iterable[Any]:
    return _each_vm(inv, lambda host, vm: host.save_vm(vm))


@api.cmdlet(
    "Restart-VM", *VM_PARAMS, api.Param("Force", S), api.Param("Passthru", S), module=HYPERV_MODULE
)
def restart_vm(inv: api.Invocation) -> Iterable[Any]:
    return _each_vm(inv, lambda host, vm: host.restart_vm(vm))


@api.cmdlet(
    "Remove-VM", *VM_PARAMS, api.Param("Force", S), api.Param("Passthru", S), module=HYPERV_MODULE
)
def remove_vm(inv: api.Invocation) -> Iterable[Any]:
    return _each_vm(inv, lambda host, vm: host.remove_vm(vm))


@api.cmdlet(
    "Update-VMVersion",
    *VM_PARAMS,
    api.Param("Force", S),
    api.Param("Passthru", S),
    module=HYPERV_MODULE,
)
def update_vm_version(inv: api.Invocation) -> Iterable[Any]:
    return _each_vm(inv, lambda host, vm: host.update_vm_version(vm))


@api.cmdlet(
    "Set-VM",
    *VM_PARAMS,
    api.Param("ProcessorCount"),
    api.Param("DynamicMemory", S),
    api.Param("StaticMemory", S),
    api.Param("MemoryMinimumBytes"),
    api.Param("MemoryMaximumBytes"),
    api.Param("MemoryStartupBytes"),
    api.Param("AutomaticCheckpointsEnabled"),
    api.Param("Notes"),
    api.Param("NewVMName"),
    api.Param("CheckpointType"),
    *settings_params(VM_SETTINGS),
    api.Param("AllowUnverifiedPaths", S),
    *REMOTE_PARAMS,
    api.Param("Passthru", S),
    module=HYPERV_MODULE,
)
def set_vm(inv: api.Invocation) -> Iterable[Any]:
    b = inv.bound
    checkpoint_type = (
        as_enum(inv, "CheckpointType", CheckpointType, "Set-VM")
        if b.get("CheckpointType") is not None
        else CheckpointType.Production
    )
    settings = collect(inv, VM_SETTINGS, "Set-VM")

    def apply(host: Any, vm: Any) -> None:
        dynamic = (
            True
            if as_bool(b.get("DynamicMemory", False))
            else (False if as_bool(b.get("StaticMemory", False)) else None)
        )
        mem = {
            "startup": as_int(b["MemoryStartupBytes"])
            if b.get("MemoryStartupBytes") is not None
            else None,
            "minimum": as_int(b["MemoryMinimumBytes"])
            if b.get("MemoryMinimumBytes") is not None
            else None,
            "maximum": as_int(b["MemoryMaximumBytes"])
            if b.get("MemoryMaximumBytes") is not None
            else None,
            "dynamic": dynamic,
        }
        if any(v is not None for v in mem.values()):
            host.set_vm_memory(vm, **mem)
        if b.get("ProcessorCount") is not None:
            host.set_vm_processor(vm, count=as_int(b["ProcessorCount"]))
        if "Notes" in b:
            host.set_vm_notes(vm, str(b["Notes"] or ""))
        if b.get("NewVMName"):
            host.rename_vm(vm, str(b["NewVMName"]))
        if b.get("CheckpointType") is not None:
            host.set_checkpoint_type(vm, checkpoint_type.name)
        if b.get("AutomaticCheckpointsEnabled") is not None:
            host.set_automatic_checkpoints(vm, as_bool(b["AutomaticCheckpointsEnabled"]))
        if settings:
            host.set_vm_settings(vm, settings, OFF_ONLY_SETTINGS)

    return _each_vm(inv, apply)


def _security_object(vm: Any) -> api.PSObject:
    return api.PSObject(
        {
            "VMName": vm.name,
            "TpmEnabled": False,
            "KsdEnabled": False,
            "Shielded": False,
            "EncryptStateAndVmMigrationTraffic": False,
            "VirtualizationBasedSecurityOptOut": vm.vbs_opt_out,
        },
        ["Microsoft.HyperV.PowerShell.VMSecurity", "System.Object"],
        ref=vm,
    )


@api.cmdlet("Get-VMSecurity", *VM_PARAMS, module=HYPERV_MODULE)
def get_vm_security(inv: api.Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    return [_security_object(vm) for vm in target_vms(inv, host, lookup=True)]


@api.cmdlet(
    "Set-VMSecurity",
    *VM_PARAMS,
    api.Param("VirtualizationBasedSecurityOptOut"),
    api.Param("EncryptStateAndVmMigrationTraffic"),
    api.Param("Passthru", S),
    module=HYPERV_MODULE,
)
def set_vm_security(inv: api.Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)

    def apply(vm: Any) -> None:
        if "VirtualizationBasedSecurityOptOut" in inv.bound:
            host.set_vm_security(vm, as_bool(inv.bound["VirtualizationBasedSecurityOptOut"]))

    yield from apply_to_each(inv, target_vms(inv, host), apply, _security_object)
