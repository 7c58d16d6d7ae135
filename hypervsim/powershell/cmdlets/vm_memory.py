"""Get-/Set-VMMemory (startup/minimum/maximum, dynamic memory)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hypervsim.powershell.api import Invocation, Param, ParamKind, cmdlet
from hypervsim.powershell.cmdlets.hyperv_objects import memory_object
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
    "Get-VMMemory",
    Param("VMName", L, aliases=("Name",), position=0),
    Param("VM", L, from_pipeline=True),
    module=HYPERV_MODULE,
)
def get_vm_memory(inv: Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    return [memory_object(host, vm) for vm in target_vms(inv, host, lookup=True)]


@cmdlet(
    "Set-VMMemory",
    Param("VMName", L, aliases=("Name",), position=0),
    Param("VM", L, from_pipeline=True),
    Param("StartupBytes"),
    Param("MinimumBytes"),
    Param("MaximumBytes"),
    Param("DynamicMemoryEnabled"),
    Param("Buffer"),
    Param("Priority"),
    Param("Passthru", S),
    module=HYPERV_MODULE,
)
def set_vm_memory(inv: Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    b = inv.bound

    def num(key: str) -> int | None:
        return as_int(b[key]) if b.get(key) is not None else None

    dynamic = as_bool(b["DynamicMemoryEnabled"]) if "DynamicMemoryEnabled" in b else None
    for vm in target_vms(inv, host):
        try:
            host.set_vm_memory(
                vm,
                startup=num("StartupBytes"),
                minimum=num("MinimumBytes"),
                maximum=num("MaximumBytes"),
                dynamic=dynamic,
            )
        except WorldError as err:
            report(inv, err)
            continue
        if as_bool(b.get("Passthru", False)):
            yield memory_object(host, vm)
