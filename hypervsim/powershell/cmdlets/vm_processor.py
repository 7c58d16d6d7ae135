"""Get-/Set-VMProcessor: processor count and the nesting flag (ExposeVirtualizationExtensions)."""

from __future__ import annotations

from collections.abc import Callable

from hypervsim.powershell import api
from hypervsim.powershell.cmdlets.hyperv_objects import processor_object
from hypervsim.powershell.cmdlets.hyperv_settings import PROCESSOR_SETTINGS, get_and_set_cmdlets
from hypervsim.powershell.cmdlets.world_bridge import as_bool, as_int
from hypervsim.world.model import VM, Computer


def _change(inv: api.Invocation, host: Computer) -> Callable[[VM], None]:
    b = inv.bound
    count = as_int(b["Count"]) if b.get("Count") is not None else None
    expose = (
        as_bool(b["ExposeVirtualizationExtensions"])
        if "ExposeVirtualizationExtensions" in b
        else None
    )
    return lambda vm: host.set_vm_processor(vm, count=count, expose=expose)


get_and_set_cmdlets(
    "Processor",
    PROCESSOR_SETTINGS,
    processor_object,
    (api.Param("Count", position=1), api.Param("ExposeVirtualizationExtensions")),
    _change,
)
