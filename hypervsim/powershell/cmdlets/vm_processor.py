"""Get-/Set-VMProcessor: processor count and the nesting flag (ExposeVirtualizationExtensions)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hypervsim.powershell.api import Invocation, Param, ParamKind, cmdlet
from hypervsim.powershell.cmdlets.hyperv_objects import processor_object
from hypervsim.powershell.cmdlets.world_bridge import (
    HYPERV_MODULE,
    apply_to_each,
    as_bool,
    as_int,
    hyperv_host,
    target_vms,
)

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
    yield from apply_to_each(
        inv,
        target_vms(inv, host),
        lambda vm: host.set_vm_processor(vm, count=count, expose=expose),
        lambda vm: processor_object(host, vm),
    )
