"""Get-/Set-VMMemory (startup/minimum/maximum, dynamic memory)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hypervsim.powershell.api import Invocation, Param, ParamKind, cmdlet
from hypervsim.powershell.cmdlets.hyperv_objects import memory_object
from hypervsim.powershell.cmdlets.hyperv_settings import MEMORY_SETTINGS, collect
from hypervsim.powershell.cmdlets.hyperv_settings import params as settings_params
from hypervsim.powershell.cmdlets.world_bridge import (
    HYPERV_MODULE,
    REMOTE_PARAMS,
    VM_BY_NAME_PARAMS,
    apply_to_each,
    as_bool,
    as_int,
    hyperv_host,
    settings_vms,
    target_vms,
)
from hypervsim.world.model import VM

L = ParamKind.LIST
S = ParamKind.SWITCH


@cmdlet(
    "Get-VMMemory",
    *VM_BY_NAME_PARAMS,
    module=HYPERV_MODULE,
)
def get_vm_memory(inv: Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    return [memory_object(host, vm) for vm in target_vms(inv, host, lookup=True)]


@cmdlet(
    "Set-VMMemory",
    *VM_BY_NAME_PARAMS,
    Param("VMMemory", L),
    Param("StartupBytes"),
    Param("MinimumBytes"),
    Param("MaximumBytes"),
    Param("DynamicMemoryEnabled"),
    *settings_params(MEMORY_SETTINGS),
    *REMOTE_PARAMS,
    Param("Passthru", S),
    module=HYPERV_MODULE,
)
def set_vm_memory(inv: Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    b = inv.bound

    def num(key: str) -> int | None:
        return as_int(b[key]) if b.get(key) is not None else None

    dynamic = as_bool(b["DynamicMemoryEnabled"]) if "DynamicMemoryEnabled" in b else None
    settings = collect(inv, MEMORY_SETTINGS, "Set-VMMemory")

    def apply(vm: VM) -> None:
        host.set_vm_memory(
            vm,
            startup=num("StartupBytes"),
            minimum=num("MinimumBytes"),
            maximum=num("MaximumBytes"),
            dynamic=dynamic,
        )
        if settings:
            host.set_vm_settings(vm, settings)

    vms = settings_vms(inv, host, "VMMemory")
    yield from apply_to_each(inv, vms, apply, lambda vm: memory_object(host, vm))
