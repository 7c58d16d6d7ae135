"""Get-/Add-/Set-/Remove-VMDvdDrive: a VM's DVD drives and the ISO images in them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hypervsim.powershell.api import Invocation, Param, ParamKind, PSObject, cmdlet
from hypervsim.powershell.cmdlets.hyperv_objects import dvd_drive_object
from hypervsim.powershell.cmdlets.world_bridge import (
    HYPERV_MODULE,
    apply_to_each,
    as_int,
    each_with_result,
    hyperv_host,
    piped,
    target_vms,
)
from hypervsim.powershell.values import to_string
from hypervsim.world.model import VM, Computer
from hypervsim.world.records import DvdDrive

L = ParamKind.LIST
S = ParamKind.SWITCH
SLOT = (Param("ControllerNumber", position=1), Param("ControllerLocation", position=2))


def _int_or_none(inv: Invocation, name: str) -> int | None:
    value = inv.bound.get(name)
    return as_int(value) if value is not None else None


def _drives(inv: Invocation, host: Computer, lookup: bool) -> list[tuple[VM, DvdDrive]]:
    """Piped/-VMDvdDrive objects, else the VMs' drives filtered by -ControllerNumber/Location."""
    given = [
        v.ref
        for v in piped(inv, "VMDvdDrive")
        if isinstance(v, PSObject) and isinstance(v.ref, tuple) and isinstance(v.ref[1], DvdDrive)
    ]
    if given:
        return given
    number = _int_or_none(inv, "ControllerNumber")
    location = _int_or_none(inv, "ControllerLocation")
    return [
        (vm, d)
        for vm in target_vms(inv, host, lookup=lookup)
        for d in vm.dvd_drives
        if (number is None or d.controller_number == number)
        and (location is None or d.controller_location == location)
    ]


@cmdlet(
    "Get-VMDvdDrive",
    Param("VMName", L, position=0),
    Param("VM", L, from_pipeline=True),
    *SLOT,
    Param("ComputerName", L),
    module=HYPERV_MODULE,
)
def get_vm_dvd_drive(inv: Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    return [dvd_drive_object(host, vm, d) for vm, d in _drives(inv, host, lookup=True)]


@cmdlet(
    "Add-VMDvdDrive",
    Param("VMName", L, position=0),
    Param("VM", L, from_pipeline=True),
    *SLOT,
    Param("Path", position=3),
    Param("ResourcePoolName"),
    Param("AllowUnverifiedPaths", S),
    Param("ComputerName", L),
    Param("Passthru", S),
    module=HYPERV_MODULE,
)
def add_vm_dvd_drive(inv: Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    path = to_string(inv.bound["Path"]) if inv.bound.get("Path") else None
    number, location = (
        _int_or_none(inv, "ControllerNumber"),
        _int_or_none(inv, "ControllerLocation"),
    )
    added = each_with_result(
        inv,
        target_vms(inv, host),
        lambda vm: host.add_dvd_drive(vm, path, number, location),
        lambda vm, drive: dvd_drive_object(host, vm, drive),
    )
    return list(added)


@cmdlet(
    "Set-VMDvdDrive",
    Param("VMName", L, position=0),
    Param("VMDvdDrive", L, from_pipeline=True),
    *SLOT,
    Param("Path", position=3),
    Param("ToControllerNumber"),
    Param("ToControllerLocation"),
    Param("ResourcePoolName"),
    Param("AllowUnverifiedPaths", S),
    Param("ComputerName", L),
    Param("Passthru", S),
    module=HYPERV_MODULE,
)
def set_vm_dvd_drive(inv: Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    path = to_string(inv.bound["Path"]) if inv.bound.get("Path") else None

    def change(target: tuple[VM, DvdDrive]) -> None:
        if "Path" in inv.bound:
            host.set_dvd_drive(*target, path)

    return list(
        apply_to_each(
            inv, _drives(inv, host, lookup=False), change, lambda t: dvd_drive_object(host, *t)
        )
    )


@cmdlet(
    "Remove-VMDvdDrive",
    Param("VMName", L, position=0),
    Param("VMDvdDrive", L, from_pipeline=True),
    *SLOT,
    Param("ComputerName", L),
    Param("Passthru", S),
    module=HYPERV_MODULE,
)
def remove_vm_dvd_drive(inv: Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    removed = apply_to_each(
        inv,
        _drives(inv, host, lookup=False),
        lambda t: host.remove_dvd_drive(*t),
        lambda t: dvd_drive_object(host, *t),
    )
    return list(removed)
