"""Get-/Enable-/Disable-VMIntegrationService and Copy-VMFile."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hypervsim.powershell.api import Invocation, Param, ParamKind, PSObject, cmdlet
from hypervsim.powershell.cmdlets.world_bridge import (
    HYPERV_MODULE,
    apply_to_each,
    as_bool,
    flatten,
    hyperv_host,
    report,
    strings,
    target_vms,
)
from hypervsim.powershell.values import to_string
from hypervsim.world.errors import WorldError
from hypervsim.world.guest_services import INTEGRATION_SERVICES, service_enabled
from hypervsim.world.model import VM, Computer

L = ParamKind.LIST
S = ParamKind.SWITCH
VM_PARAMS = (
    Param("VMName", L, position=0),
    Param("VM", L, from_pipeline=True),
)


def service_object(host: Computer, vm: VM, name: str) -> PSObject:
    enabled = service_enabled(vm, name)
    if vm.state != "Running" or not enabled:
        status = None
    elif vm.guest is not None and vm.guest_up:
        status = "OK"
    else:
        status = "No Contact"
    return PSObject(
        {
            "VMName": vm.name,
            "VMId": vm.id,
            "ComputerName": host.name,
            "Name": name,
            "Enabled": enabled,
            "PrimaryStatusDescription": status,
            "SecondaryStatusDescription": None,
        },
        ["Microsoft.HyperV.PowerShell.VMIntegrationComponent", "System.Object"],
        ref=(vm, name),
    )


@cmdlet("Get-VMIntegrationService", *VM_PARAMS, Param("Name", L, position=1), module=HYPERV_MODULE)
def get_vm_integration_service(inv: Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    wanted = [n.lower() for n in strings(inv.bound.get("Name"))]
    return [
        service_object(host, vm, name)
        for vm in target_vms(inv, host, lookup=True, name_is_vm=False)
        for name in INTEGRATION_SERVICES
        if not wanted or name.lower() in wanted
    ]


def _targets(inv: Invocation, host: Computer) -> list[tuple[VM, str]]:
    """(VM, service name) pairs: service objects piped from Get-VMIntegrationService, or the
    VMs of -VMName / -VM with each -Name."""
    items = [
        *flatten(inv.bound.get("VMIntegrationService") or []),
        *flatten(inv.bound.get("VM") or []),
        *flatten(inv.input or []),
    ]
    services = [i.ref for i in items if isinstance(i, PSObject) and isinstance(i.ref, tuple)]
    if services:
        return [(vm, name) for vm, name in services]
    names = strings(inv.bound.get("Name"))
    return [(vm, name) for vm in target_vms(inv, host, name_is_vm=False) for name in names]


def _set(inv: Invocation, enabled: bool) -> list[Any]:
    host = hyperv_host(inv)
    changed = apply_to_each(
        inv,
        _targets(inv, host),
        lambda t: host.set_integration_service(*t, enabled),
        lambda t: service_object(host, t[0], host.integration_service_name(*t)),
    )
    return list(changed)


@cmdlet(
    "Enable-VMIntegrationService",
    *VM_PARAMS,
    Param("Name", L, position=1),
    Param("VMIntegrationService", L),
    Param("Passthru", S),
    module=HYPERV_MODULE,
)
def enable_vm_integration_service(inv: Invocation) -> Iterable[Any]:
    return _set(inv, True)


@cmdlet(
    "Disable-VMIntegrationService",
    *VM_PARAMS,
    Param("Name", L, position=1),
    Param("VMIntegrationService", L),
    Param("Passthru", S),
    module=HYPERV_MODULE,
)
def disable_vm_integration_service(inv: Invocation) -> Iterable[Any]:
    return _set(inv, False)


@cmdlet(
    "Copy-VMFile",
    Param("Name", L, position=0, aliases=("VMName",)),
    Param("VM", L, from_pipeline=True),
    Param("SourcePath", position=1),
    Param("DestinationPath", position=2),
    Param("FileSource"),
    Param("CreateFullPath", S),
    Param("Force", S),
    module=HYPERV_MODULE,
)
def copy_vm_file(inv: Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    b = inv.bound
    if to_string(b.get("FileSource") or "").lower() != "host":
        report(
            inv,
            WorldError(
                "Cannot process command because of one or more missing mandatory parameters: FileSource."
                if b.get("FileSource") is None
                else f"Cannot bind parameter 'FileSource'. Cannot convert value \"{b.get('FileSource')}\" to "
                'type "Microsoft.HyperV.PowerShell.CopyFileSourceType". Error: "Unable to match the identifier '
                f"name {b.get('FileSource')} to a valid enumerator name. Specify one of the following enumerator "
                'names and try again: Host"',
                reason="MissingMandatoryParameter"
                if b.get("FileSource") is None
                else "CannotConvertArgumentNoMessage",
                category="InvalidArgument",
                exception_type="System.Management.Automation.ParameterBindingException",
            ),
            terminating=True,
        )
    for vm in target_vms(inv, host, name_param="Name"):
        try:
            host.copy_vm_file(
                vm,
                to_string(b.get("SourcePath") or ""),
                to_string(b.get("DestinationPath") or ""),
                create_full_path=as_bool(b.get("CreateFullPath", False)),
                force=as_bool(b.get("Force", False)),
            )
        except WorldError as err:
            report(inv, err)
    return []
