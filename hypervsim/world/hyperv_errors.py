"""Hyper-V's limits and error texts, shared by the Hyper-V parts of a Computer (FACTS.md §1)."""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING

from hypervsim.world.errors import WorldError

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.world.model import VM

MAX_VCPUS = 240  # Hyper-V's per-VM maximum on Windows Server 2016 (generation 2)
MiB = 1024**2
TiB = 1024**4
MIN_MEMORY = 32 * MiB
MEMORY_ALIGNMENT = 2 * MiB
NESTED_L1_VCPU_LIMIT = 225  # Windows Server 2019 or older as L1 with nesting
VBS_OPT_OUT_TEXT = "Cannot modify property without enabling VirtualizationBasedSecurityOptOut"
INVALID_STATE_TEXT = (
    "The operation cannot be performed while the virtual machine is in its current state."
)


def max_vcpus(generation: int, build: int) -> int:
    """Virtual processors per VM ("Plan for Hyper-V scalability in Windows Server",
    learn.microsoft.com/windows-server/virtualization/hyper-v/maximum-scale-limits): 64 for
    generation 1; for generation 2, 240 on Windows Server 2016, 250 on 2019, 1,024 on 2022."""
    if generation == 1:
        return 64
    if build >= 20348:
        return 1024
    return 250 if build >= 17763 else MAX_VCPUS


def max_memory(generation: int, build: int) -> int:
    """Memory per VM (same page): 1 TB for generation 1; for generation 2, 12 TB on Windows
    Server 2016 and 2019, 240 TB on 2022."""
    if generation == 1:
        return 1 * TiB
    return 240 * TiB if build >= 20348 else 12 * TiB


def memory_misaligned(vm: VM, amount: int) -> WorldError:
    """New-VM / Set-VMMemory with an amount that is not a multiple of 2 MB; Windows' text as
    recorded in kubernetes/minikube#6964 (New-VM -MemoryStartupBytes 4077MB on Windows 10)."""
    return WorldError(
        "Failed to modify device 'Memory'.\n"
        f"Invalid memory value assigned for '{vm.name}'. Memory values must be properly aligned.\n"
        f"'{vm.name}' failed to modify device 'Memory'. (Virtual machine ID {vm.id})\n"
        f"Invalid memory value assigned for '{vm.name}'. The memory value assigned "
        f"('{amount // MiB}' MB) is not properly aligned. Try again with a memory value that is "
        f"properly aligned. (Virtual machine ID {vm.id})",
        target=vm.name,
    )


def vm_not_found(name: str, lookup: bool = True) -> WorldError:
    """Windows' text for an unknown VM name (Get-* use InvalidParameter, the rest ObjectNotFound)."""
    return WorldError(
        f'Hyper-V was unable to find a virtual machine with name "{name}".',
        reason="InvalidParameter" if lookup else "ObjectNotFound",
        category="InvalidArgument" if lookup else "ObjectNotFound",
        target=name,
    )


def modify_device_failed(vm: VM, device: str, detail: str) -> WorldError:
    return WorldError(
        f"Failed to modify device '{device}'.\n"
        f"'{vm.name}' failed to modify device '{device}'. (Virtual machine ID {vm.id})\n"
        f"{detail}",
        reason="InvalidState" if detail == INVALID_STATE_TEXT else "OperationFailed",
        category="InvalidOperation",
        target=vm.name,
    )


def invalid_state(vm: VM, action: str) -> WorldError:
    """ "'<vm>' failed to <action>. (Virtual machine ID ...)" + the invalid-state line."""
    return WorldError(
        f"'{vm.name}' failed to {action}. (Virtual machine ID {vm.id})\n{INVALID_STATE_TEXT}",
        reason="InvalidState",
        category="InvalidOperation",
        target=vm.name,
    )


def matches(name: str, patterns: list[str]) -> bool:
    """PowerShell wildcard match, case-insensitive."""
    return any(fnmatch.fnmatchcase(name.lower(), p.lower()) for p in patterns)
