"""Processor, memory and security settings of VMs, and the rules for nested virtualization."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hypervsim.world.errors import WorldError
from hypervsim.world.host_services import HostServices
from hypervsim.world.hyperv_base import HyperVBase
from hypervsim.world.hyperv_errors import (
    INVALID_STATE_TEXT,
    MEMORY_ALIGNMENT,
    MIN_MEMORY,
    NESTED_L1_VCPU_LIMIT,
    VBS_OPT_OUT_TEXT,
    MiB,
    max_memory,
    max_vcpus,
    memory_misaligned,
    modify_device_failed,
)
from hypervsim.world.profiles import version_tuple

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.world.model import VM


def check_nesting_supported(host: HostServices, vm: VM) -> None:
    """Prerequisites for exposing virtualization extensions (FACTS.md §1)."""
    if host.vbs and not vm.vbs_opt_out:
        raise WorldError(
            VBS_OPT_OUT_TEXT, reason="NotSupported", category="InvalidOperation", target=vm.name
        )
    if host.build < 14393:
        raise modify_device_failed(
            vm,
            "Processor",
            "Nested virtualization requires Windows Server 2016 / Windows 10 (build 14393) or later.",
        )
    if host.cpu_vendor == "AMD":
        if host.build < 20348:
            raise modify_device_failed(
                vm,
                "Processor",
                "The processor on this host does not support nested virtualization. Nested virtualization on AMD "
                "processors requires Windows Server 2022 / Windows 11 or later.",
            )
        if version_tuple(vm.version) < (9, 3):
            raise modify_device_failed(
                vm,
                "Processor",
                f"Nested virtualization on AMD processors requires virtual machine configuration version 9.3 or "
                f"later; the configuration version of '{vm.name}' is {vm.version}.",
            )
    elif version_tuple(vm.version) < (8, 0):
        raise modify_device_failed(
            vm,
            "Processor",
            f"Nested virtualization requires virtual machine configuration version 8.0 or later; the configuration "
            f"version of '{vm.name}' is {vm.version}.",
        )


def check_memory_amounts(
    host: HostServices, vm: VM, startup: int, minimum: int, maximum: int, dynamic: bool
) -> None:
    """The amounts New-VM and Set-VMMemory accept: multiples of 2 MB (the minimum and maximum
    count only with dynamic memory), startup at least 32 MB and at most the generation's
    per-VM maximum, and with dynamic memory minimum <= startup <= maximum."""
    for amount in (startup, minimum, maximum) if dynamic else (startup,):
        if amount % MEMORY_ALIGNMENT:
            raise memory_misaligned(vm, amount)
    if startup < MIN_MEMORY:
        raise modify_device_failed(
            vm,
            "Memory",
            f"Invalid startup memory amount specified for virtual machine '{vm.name}'. The amount must be at "
            "least 32 MB.",
        )
    limit = max_memory(vm.generation, host.build)
    if startup > limit or (dynamic and maximum > limit):
        raise modify_device_failed(
            vm,
            "Memory",
            f"The memory amount for virtual machine '{vm.name}' is out of range. A generation "
            f"{vm.generation} virtual machine can have at most {limit // MiB} MB.",
        )
    if dynamic and not (minimum <= startup <= maximum):
        raise modify_device_failed(
            vm,
            "Memory",
            f"The minimum amount of memory you set is greater than the startup memory, or the startup memory is "
            f"greater than the maximum for virtual machine '{vm.name}'.",
        )


def check_running_memory_change(
    vm: VM, startup: int, minimum: int, maximum: int, dynamic: bool
) -> None:
    """Memory changes Hyper-V makes while a VM runs. With dynamic memory only two: "Increase
    the maximum memory. Decrease the minimum memory." (Hyper-V Dynamic Memory Overview, Windows
    Server 2012 R2, "Run-time Dynamic Memory configuration changes"); switching dynamic memory
    on or off needs the VM Off; a VM without dynamic memory is resized at run time ("even if you
    haven't enabled Dynamic Memory", What's new in Hyper-V on Windows Server 2016) unless
    Hyper-V runs inside it (FACTS.md §1)."""
    nested_hyperv = vm.guest is not None and vm.guest_up and vm.guest.hyperv_active
    refused = nested_hyperv or dynamic != vm.dynamic_memory
    if dynamic and vm.dynamic_memory:
        refused = refused or (
            startup != vm.memory_startup
            or minimum > vm.memory_minimum
            or maximum < vm.memory_maximum
        )
    if refused:
        raise modify_device_failed(vm, "Memory", INVALID_STATE_TEXT)


class VmCompute(HyperVBase):
    """Set-VMProcessor, Set-VMMemory and Set-VMSecurity on this host's VMs."""

    def _check_vcpus(self, vm: VM, count: int, expose: bool) -> None:
        limit = min(self.logical_processors, max_vcpus(vm.generation, self.build))
        if count < 1 or count > limit:
            raise modify_device_failed(
                vm,
                "Processor",
                f"The number of virtual processors for virtual machine '{vm.name}' is out of range. "
                f"The range is 1 through {limit}. (Virtual machine ID {vm.id})",
            )
        image = self.boot_image(vm) if vm.guest is None else None
        os_build = vm.guest.build if vm.guest is not None else (image.os_build if image else None)
        if expose and count > NESTED_L1_VCPU_LIMIT and os_build is not None and os_build <= 17763:
            raise modify_device_failed(
                vm,
                "Processor",
                f"A virtual machine running Windows Server 2019 or older with nested virtualization supports at most "
                f"{NESTED_L1_VCPU_LIMIT} virtual processors.",
            )

    def set_vm_processor(
        self, vm: VM, count: int | None = None, expose: bool | None = None
    ) -> None:
        """Set-VMProcessor: processor count and the nesting flag change only while the VM is Off."""
        changes_expose = expose is not None and expose != vm.expose_virtualization_extensions
        changes_count = count is not None and count != vm.processor_count
        if (changes_expose or changes_count) and vm.state != "Off":
            raise modify_device_failed(vm, "Processor", INVALID_STATE_TEXT)
        if expose:
            check_nesting_supported(self, vm)
        new_count = vm.processor_count if count is None else count
        new_expose = vm.expose_virtualization_extensions if expose is None else expose
        self._check_vcpus(vm, new_count, new_expose)
        vm.processor_count = new_count
        vm.expose_virtualization_extensions = new_expose

    def set_vm_security(self, vm: VM, vbs_opt_out: bool) -> None:
        if vm.state != "Off":
            raise modify_device_failed(vm, "Security", INVALID_STATE_TEXT)
        vm.vbs_opt_out = vbs_opt_out

    # ---- memory ---------------------------------------------------------------------------
    def set_vm_memory(
        self,
        vm: VM,
        startup: int | None = None,
        minimum: int | None = None,
        maximum: int | None = None,
        dynamic: bool | None = None,
    ) -> None:
        """Set-VMMemory / Set-VM memory: a running L1 with Hyper-V inside can't change memory;
        switching dynamic memory needs the VM Off; the values must be ordered."""
        new_startup = vm.memory_startup if startup is None else startup
        new_min = vm.memory_minimum if minimum is None else minimum
        new_max = vm.memory_maximum if maximum is None else maximum
        new_dyn = vm.dynamic_memory if dynamic is None else dynamic
        changed = (new_startup, new_min, new_max, new_dyn) != (
            vm.memory_startup,
            vm.memory_minimum,
            vm.memory_maximum,
            vm.dynamic_memory,
        )
        if not changed:
            return
        if vm.state != "Off":
            check_running_memory_change(vm, new_startup, new_min, new_max, new_dyn)
        check_memory_amounts(self, vm, new_startup, new_min, new_max, new_dyn)
        vm.memory_startup, vm.memory_minimum, vm.memory_maximum, vm.dynamic_memory = (
            new_startup,
            new_min,
            new_max,
            new_dyn,
        )

    def memory_assigned(self, vm: VM) -> int:
        """Assigned memory: 0 when Off; startup otherwise (dynamic memory stays put while a
        nested hypervisor runs, and this model does not simulate guest demand)."""
        return 0 if vm.state == "Off" else vm.memory_startup
