"""Hyper-V on one Computer: the parts (VMs, devices, processor and memory, switches,
checkpoints, firmware) composed.

Every operation checks all its rules before it changes anything, so a refused operation
leaves the model exactly as it was. Error texts are Windows' own where known (FACTS.md §1).
What the parts use from the rest of `Computer` is declared in host_services.py.
"""

from __future__ import annotations

from hypervsim.world.hyperv_checkpoints import VmCheckpoints
from hypervsim.world.hyperv_compute import VmCompute
from hypervsim.world.hyperv_devices import VmDevices
from hypervsim.world.hyperv_errors import (
    INVALID_STATE_TEXT,
    MAX_VCPUS,
    NESTED_L1_VCPU_LIMIT,
    VBS_OPT_OUT_TEXT,
    modify_device_failed,
    vm_not_found,
)
from hypervsim.world.hyperv_firmware import VmFirmware
from hypervsim.world.hyperv_switches import SwitchHost
from hypervsim.world.hyperv_vms import HOST_MEMORY_RESERVE, VmLifecycle

__all__ = [
    "HOST_MEMORY_RESERVE",
    "INVALID_STATE_TEXT",
    "MAX_VCPUS",
    "NESTED_L1_VCPU_LIMIT",
    "VBS_OPT_OUT_TEXT",
    "HyperVHost",
    "modify_device_failed",
    "vm_not_found",
]


class HyperVHost(VmLifecycle, VmDevices, VmCompute, SwitchHost, VmCheckpoints, VmFirmware):
    """The Hyper-V half of a Computer (mixed into `Computer`)."""
