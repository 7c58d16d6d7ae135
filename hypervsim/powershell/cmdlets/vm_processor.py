"""Get-/Set-VMProcessor: processor count and the nesting flag (ExposeVirtualizationExtensions)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hypervsim.powershell.api import Invocation, Param, ParamKind, cmdlet
from hypervsim.powershell.cmdlets.hyperv_objects import processor_object
from hypervsim.powershell.cmdlets.hyperv_settings import PROCESSOR_SETTINGS, collect
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
    "Get-VMProcessor",
    *VM_BY_NAME_PARAMS,
    module=HYPERV_MODULE,
)
def get_vm_processor(inv: Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    return [processor_object(host, vm) for vm in target_vms(inv, host, lookup=True)]


@cmdlet(
    "Set-VMProcessor",
    *VM_BY_NAME_PARAMS,
    Param("VMProcessor", L),
    Param("Count", position=1),
    Param("ExposeVirtualizationExtensions"),
    *settings_params(PROCESSOR_SETTINGS),
    *REMOTE_PARAMS,
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
    settings = collect(inv, PROCESSOR_SETTINGS, "Set-VMProcessor")

    def apply(vm: VM) -> None:
        host.set_vm_processor(vm, count=count, expose=expose)
        if settings:
            host.set_vm_settings(vm, settings)

    vms = settings_vms(inv, host, "VMProcessor")
    yield from apply_to_each(inv, vms, apply, lambda vm: processor_object(host, vm))
