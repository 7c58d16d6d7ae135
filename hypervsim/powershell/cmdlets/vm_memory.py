"""Get-/Set-VMMemory (startup/minimum/maximum, dynamic memory)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hypervsim.powershell.api import Invocation, Param, ParamKind, cmdlet
from hypervsim.powershell.cmdlets.hyperv_objects import memory_object
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
    yield from apply_to_each(
        inv,
        target_vms(inv, host),
        lambda vm: host.set_vm_memory(
            vm,
            startup=num("StartupBytes"),
            minimum=num("MinimumBytes"),
            maximum=num("MaximumBytes"),
            dynamic=dynamic,
        ),
        lambda vm: memory_object(host, vm),
    )
