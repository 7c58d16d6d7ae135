"""Get-/Set-VMProcessor: processor count and the nesting flag (ExposeVirtualizationExtensions)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hypervsim.powershell.api import Invocation, Param, ParamKind, cmdlet
from hypervsim.powershell.cmdlets.hyperv_objects import processor_object
from hypervsim.powershell.cmdlets.world_bridge import (
    HYPERV_MODULE,
    as_bool,
    as_int,
    hyperv_host,
    report,
    target_vms,
)
from hypervsim.world.errors import WorldError

L = ParamKind.LIST
S = ParamKind.SWITCH


@cmdlet(
    "Get-VMProcessor",
    Param("VMName", L, aliases=("Name",), position=0),
    Param("VM", L, from_pipeline=True),
    module=HYPERV_MODULE,
)
def get_vm_processor(inv: Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    return [processor_object(host, vm) for vm in target_vms(inv, host, lookup=True)]


@cmdlet(
    "Set-VMProcessor",
    Param("VMName", L, aliases=("Name",), position=0),
    Param("VM", L, from_pipeline=True),
    Param("Count", position=1),
    Param("ExposeVirtualizationExtensions"),
    Param("Maximum"),
    Param("Reserve"),
    Param("RelativeWeight"),
    Param("CompatibilityForMigrationEnabled"),
    Param("Passthru", S),
    module=HYPERV_MODULE,
)
def set_vm_processor(inv: Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    b = inv.bound
    count = as_int(b["Count"]) if b.get("Count") is not None else None
    expose = (
        as_bool(b["ExposeVirtualizationExtensions"])
        if "ExposeVirtualizationExtensions" in b
        else None
    )
    for vm in target_vms(inv, host):
        try:
            host.set_vm_processor(vm, count=count, expose=expose)
        except WorldError as err:
            report(inv, err)
            continue
        if as_bool(b.get("Passthru", False)):
            yield processor_object(host, vm)
