"""Add-/Get-/Remove-VMHardDiskDrive: a VM's disks and their controller slots."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hypervsim.powershell.api import Invocation, Param, ParamKind, PSObject, cmdlet
from hypervsim.powershell.cmdlets.hyperv_objects import hard_drive_object
from hypervsim.powershell.cmdlets.world_bridge import (
    HYPERV_MODULE,
    apply_to_each,
    each_with_result,
    flatten,
    hyperv_host,
    target_vms,
)
from hypervsim.powershell.values import to_string

L = ParamKind.LIST
S = ParamKind.SWITCH
SLOT_PARAMS = (
    Param("ControllerType"),
    Param("ControllerNumber"),
    Param("ControllerLocation"),
)


def _slot(inv: Invocation) -> tuple[str | None, int | None, int | None]:
    b = inv.bound
    kind = to_string(b["ControllerType"]).upper() if b.get("ControllerType") is not None else None
    number = (
        int(to_string(b["ControllerNumber"])) if b.get("ControllerNumber") is not None else None
    )
    location = (
        int(to_string(b["ControllerLocation"])) if b.get("ControllerLocation") is not None else None
    )
    return kind, number, location


@cmdlet(
    "Add-VMHardDiskDrive",
    Param("VMName", L, position=0),
    Param("VM", L, from_pipeline=True),
    *SLOT_PARAMS,
    Param("Path", position=1),
    Param("Passthru", S),
    module=HYPERV_MODULE,
)
def add_vm_hard_disk_drive(inv: Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    kind, number, location = _slot(inv)
    path = to_string(inv.bound.get("Path") or "")
    added = each_with_result(
        inv,
        target_vms(inv, host),
        lambda vm: host.add_hard_disk_drive(vm, path, kind, number, location),
        lambda vm, drive: hard_drive_object(host, vm, drive),
    )
    return list(added)


@cmdlet(
    "Get-VMHardDiskDrive",
    Param("VMName", L, position=0),
    Param("VM", L, from_pipeline=True),
    *SLOT_PARAMS,
    module=HYPERV_MODULE,
)
def get_vm_hard_disk_drive(inv: Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    kind, number, location = _slot(inv)
    out = []
    for vm in target_vms(inv, host, lookup=True):
        for d in vm.hard_drives:
            if kind is not None and d.controller_type != kind:
                continue
            if number is not None and d.controller_number != number:
                continue
            if location is not None and d.controller_location != location:
                continue
            out.append(hard_drive_object(host, vm, d))
    return out


@cmdlet(
    "Remove-VMHardDiskDrive",
    Param("VMName", L, position=0),
    Param("VMHardDiskDrive", L, from_pipeline=True),
    *SLOT_PARAMS,
    Param("Passthru", S),
    module=HYPERV_MODULE,
)
def remove_vm_hard_disk_drive(inv: Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    targets = [
        v.ref
        for v in flatten(inv.bound.get("VMHardDiskDrive") or inv.input)
        if isinstance(v, PSObject) and isinstance(v.ref, tuple)
    ]
    if inv.bound.get("VMName") is not None:
        kind, number, location = _slot(inv)
        for vm in target_vms(inv, host):
            targets += [
                (vm, d)
                for d in vm.hard_drives
                if (kind is None or d.controller_type == kind)
                and (number is None or d.controller_number == number)
                and (location is None or d.controller_location == location)
            ]
    removed = apply_to_each(
        inv,
        targets,
        lambda t: host.remove_hard_disk_drive(*t),
        lambda t: hard_drive_object(host, *t),
    )
    return list(removed)
