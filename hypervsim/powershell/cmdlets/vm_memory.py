"""Get-/Set-VMMemory (startup/minimum/maximum, dynamic memory)."""

from __future__ import annotations

from collections.abc import Callable

from hypervsim.powershell import api
from hypervsim.powershell.cmdlets.hyperv_objects import memory_object
from hypervsim.powershell.cmdlets.hyperv_settings import MEMORY_SETTINGS, get_and_set_cmdlets
from hypervsim.powershell.cmdlets.world_bridge import as_bool, as_int
from hypervsim.world.model import VM, Computer


def _change(inv: api.Invocation, host: Computer) -> Callable[[VM], None]:
    b = inv.bound

    def num(key: str) -> int | None:
        return as_int(b[key]) if b.get(key) is not None else None

    dynamic = as_bool(b["DynamicMemoryEnabled"]) if "DynamicMemoryEnabled" in b else None

    def apply(vm: VM) -> None:
        host.set_vm_memory(
            vm,
            startup=num("StartupBytes"),
            minimum=num("MinimumBytes"),
            maximum=num("MaximumBytes"),
            dynamic=dynamic,
        )

    return apply


get_and_set_cmdlets(
    "Memory",
    MEMORY_SETTINGS,
    memory_object,
    (
        api.Param("StartupBytes"),
        api.Param("MinimumBytes"),
        api.Param("MaximumBytes"),
        api.Param("DynamicMemoryEnabled"),
    ),
    _change,
)
