"""Hyper-V on one Computer: VMs, processors, memory, VM adapters, switches, VHDs, and its rules.

Every operation checks all its rules before it changes anything, so a refused operation
leaves the model exactly as it was. Error texts are Windows' own where known (FACTS.md §1).
"""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING

from hypervsim.world import timing
from hypervsim.world.errors import WorldError
from hypervsim.world.filesystem import View, parse_path
from hypervsim.world.guest_os import UNATTEND_PATH, administrator, hash_password, parse_unattend
from hypervsim.world.profiles import GiB, default_vm_version, supported_vm_versions, version_tuple
from hypervsim.world.records import (
    HardDrive,
    InstalledOs,
    NetAdapter,
    Vhd,
    VMNetworkAdapter,
    VMSwitch,
)

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.world.filesystem import Item, Volume
    from hypervsim.world.model import VM, World

MAX_VCPUS = 240  # Hyper-V's per-VM maximum (generation 2, Server 2022)
NESTED_L1_VCPU_LIMIT = 225  # Windows Server 2019 or older as L1 with nesting
HOST_MEMORY_RESERVE = 2 * GiB
VBS_OPT_OUT_TEXT = "Cannot modify property without enabling VirtualizationBasedSecurityOptOut"
INVALID_STATE_TEXT = (
    "The operation cannot be performed while the virtual machine is in its current state."
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


def _matches(name: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(name.lower(), p.lower()) for p in patterns)


class HyperVHost:
    """The Hyper-V half of a Computer (mixed into `Computer`)."""

    if TYPE_CHECKING:  # pragma: no cover - fields live on Computer
        name: str
        build: int
        edition: str
        cpu_vendor: str
        vbs: bool
        memory_bytes: int
        logical_processors: int
        is_physical: bool
        switches: list[VMSwitch]
        vms: list[VM]
        vhds: list[Vhd]
        net_adapters: list[NetAdapter]

        @property
        def world(self) -> World: ...

        hyperv_active: bool
        hyperv_pending: bool

        def add_net_adapter(self, name: str, kind: str, description: str = "") -> NetAdapter: ...
        def physical_memory(self) -> int: ...
        def adapter_by_name(self, name: str) -> NetAdapter | None: ...
        def add_apipa(self, adapter: NetAdapter) -> None: ...
        def move_ip_config(self, src: NetAdapter, dst: NetAdapter) -> None: ...
        def remove_net_adapter(self, adapter: NetAdapter) -> None: ...
        def dhcp_configure(self, adapter: NetAdapter) -> None: ...
        def complete_restart(self) -> None: ...
        def _link_guest(self, vm: VM) -> None: ...
        def vhd(self, path: str) -> Vhd | None: ...
        def fs_item(self, path: str, cwd: str = "C:\\") -> Item | None: ...
        def fs_mkdir(self, path: str, cwd: str = "C:\\", force: bool = False) -> Item: ...
        def new_disk(
            self, path: str, size_bytes: int, vhd_type: str = "Dynamic", parent: Vhd | None = None
        ) -> Vhd: ...
        def disk_chain(self, disk: Vhd) -> list[Vhd]: ...
        def os_image_of(self, disk: Vhd) -> Vhd | None: ...
        def disk_volume_layers(self, disk: Vhd) -> list[Volume]: ...
        def disk_written(self, disk: Vhd, grown: int) -> None: ...
        def disk_busy(self, disk: Vhd) -> bool: ...
        def disk_has_busy_children(self, disk: Vhd) -> bool: ...

    # ---- the Hyper-V service itself ------------------------------------------------------
    def require_hyperv(self, command: str) -> None:
        """Hyper-V cmdlets need the role installed and (for the service) a restart done."""
        if self.hyperv_active:
            return
        if self.hyperv_pending:
            raise WorldError(
                f"Hyper-V encountered an error trying to access an object on computer '{self.name}' because the "
                "object was not found. The object might have been deleted, or you might not have permission to "
                "perform the task. Verify that the Virtual Machine Management service on the computer is running. "
                "If the service is running, try to perform the task again by using Run as Administrator.",
                reason="ObjectNotFound",
                category="ObjectNotFound",
            )
        raise WorldError(
            f"The term '{command}' is not recognized as the name of a cmdlet, function, script file, or operable "
            "program. Check the spelling of the name, or if a path was included, verify that the path is correct "
            "and try again.",
            reason="CommandNotFoundException",
            category="ObjectNotFound",
            exception_type="System.Management.Automation.CommandNotFoundException",
            target=command,
            fqid="CommandNotFoundException",
        )

    # ---- lookups ---------------------------------------------------------------------------
    def find_vms(self, patterns: list[str] | None = None) -> list[VM]:
        """VMs whose names match any pattern (wildcards, case-insensitive); all if None."""
        if not patterns:
            return list(self.vms)
        return [vm for vm in self.vms if _matches(vm.name, patterns)]

    def vms_named(self, patterns: list[str], lookup: bool = True) -> list[VM]:
        """Like find_vms, but a plain name that matches nothing is Windows' not-found error."""
        found: list[VM] = []
        for p in patterns:
            hits = self.find_vms([p])
            if not hits and not any(c in p for c in "*?["):
                raise vm_not_found(p, lookup)
            found += [vm for vm in hits if vm not in found]
        return found

    def vm_by_id(self, vm_id: str) -> VM | None:
        return next((vm for vm in self.vms if vm.id.lower() == str(vm_id).lower()), None)

    def switch_by_name(self, name: str) -> VMSwitch | None:
        return next((s for s in self.switches if s.name.lower() == name.lower()), None)

    def switch_by_id(self, switch_id: str | None) -> VMSwitch | None:
        return next((s for s in self.switches if s.id == switch_id), None)

    def find_switches(self, patterns: list[str] | None = None) -> list[VMSwitch]:
        if not patterns:
            return list(self.switches)
        return [s for s in self.switches if _matches(s.name, patterns)]

    def require_switch(self, name: str) -> VMSwitch:
        sw = self.switch_by_name(name)
        if sw is None:
            raise WorldError(
                f'Hyper-V was unable to find a virtual switch with name "{name}".',
                reason="InvalidParameter",
                category="InvalidArgument",
                target=name,
            )
        return sw

    def owner_vm(self, adapter: VMNetworkAdapter) -> VM | None:
        return next((vm for vm in self.vms if any(a is adapter for a in vm.adapters)), None)

    # ---- VMs -------------------------------------------------------------------------------
    def new_vm(
        self,
        name: str,
        *,
        memory_startup: int | None = None,
        generation: int = 1,
        version: str | None = None,
        new_vhd_path: str | None = None,
        new_vhd_size: int | None = None,
        vhd_path: str | None = None,
        switch_name: str | None = None,
        path: str | None = None,
    ) -> VM:
        """New-VM. VM names may repeat on one host (Hyper-V identifies VMs by Id)."""
        from hypervsim.world.model import VM

        self.require_hyperv("New-VM")
        if generation not in (1, 2):
            raise WorldError(
                "Cannot validate argument on parameter 'Generation'. The argument \""
                f'{generation}" does not belong to the set "1,2" specified by the ValidateSet attribute. '
                "Supply an argument that is in the set and then try the command again.",
                reason="ParameterArgumentValidationError",
                category="InvalidData",
                exception_type="System.Management.Automation.ParameterBindingValidationException",
            )
        version = version or default_vm_version(self.build)
        if version not in supported_vm_versions(self.build):
            raise WorldError(
                f"'{name}' failed to create the virtual machine. The configuration version '{version}' is not "
                "supported on this host. Use Get-VMHostSupportedVersion to list the supported versions.",
                reason="InvalidParameter",
                category="InvalidArgument",
                target=version,
            )
        switch = self.require_switch(switch_name) if switch_name else None
        if new_vhd_path and vhd_path:
            raise WorldError(
                "Parameter set cannot be resolved using the specified named parameters.",
                reason="AmbiguousParameterSet",
                category="InvalidArgument",
                exception_type="System.Management.Automation.ParameterBindingException",
            )
        if new_vhd_path and self.fs_item(new_vhd_path) is not None:
            raise WorldError(
                f"Failed to create the virtual hard disk.\nThe system failed to create '{new_vhd_path}': "
                "The file exists. (0x80070050).",
                reason="OperationFailed",
                category="ResourceExists",
                target=new_vhd_path,
            )
        base = self.vhd(vhd_path) if vhd_path else None
        if vhd_path and base is None:
            raise WorldError(
                f"Failed to add device 'Virtual Hard Disk'.\nThe system cannot find the file specified. "
                f"('{vhd_path}')",
                reason="ObjectNotFound",
                category="ObjectNotFound",
                target=vhd_path,
            )
        if base is not None and base.attached_to:
            raise WorldError(
                f"Failed to add device 'Virtual Hard Disk'.\nThe process cannot access the file '{vhd_path}' "
                "because it is being used by another process.",
                reason="ResourceBusy",
                category="ResourceBusy",
                target=vhd_path,
            )
        # All checks done: create.
        world = self.world
        vm = VM(
            id=world.new_id(),
            name=name,
            generation=generation,
            version=version,
            path=path or "C:\\ProgramData\\Microsoft\\Windows\\Hyper-V",
            memory_startup=memory_startup or 1 * GiB,
        )
        vm.adapters.append(
            VMNetworkAdapter(
                id=world.new_id(),
                switch_id=switch.id if switch else None,
                mac_address=world.new_mac(),
            )
        )
        if new_vhd_path:
            # New-VM creates the folder of a new disk (as Hyper-V's wizard does). The disk is
            # empty: the VM will run, but nothing boots from it.
            folder = parse_path(new_vhd_path).full.rsplit("\\", 1)[0]
            if self.fs_item(folder) is None:
                self.fs_mkdir(folder)
            disk = self.new_disk(new_vhd_path, new_vhd_size or 127 * GiB)
            disk.attached_to = vm.id
            vm.hard_drives.append(self._drive_for(vm, disk.path))
        elif base is not None:
            base.attached_to = vm.id
            vm.hard_drives.append(self._drive_for(vm, base.path))
        self.vms.append(vm)
        return vm

    def _drive_for(
        self,
        vm: VM,
        path: str,
        controller_type: str | None = None,
        number: int | None = None,
        location: int | None = None,
    ) -> HardDrive:
        """Where a new drive goes: the given slot, else the first free one (IDE 0:0, 0:1, 1:0,
        1:1 on generation 1; SCSI 0:0, 0:1, ... on generation 2)."""
        kind = (controller_type or ("IDE" if vm.generation == 1 else "SCSI")).upper()
        taken = {
            (d.controller_number, d.controller_location)
            for d in vm.hard_drives
            if d.controller_type == kind
        }
        per_controller = 2 if kind == "IDE" else 64
        numbers = [number] if number is not None else list(range(2 if kind == "IDE" else 4))
        for n in numbers:
            locations = [location] if location is not None else list(range(per_controller))
            for loc in locations:
                if (n, loc) not in taken:
                    return HardDrive(
                        path=path,
                        controller_type=kind,
                        controller_number=n,
                        controller_location=loc,
                    )
        raise modify_device_failed(
            vm,
            "Virtual Hard Disk",
            f"The specified controller location is already in use. ({kind} {numbers[0]}:"
            f"{location if location is not None else 0})",
        )

    def add_hard_disk_drive(
        self,
        vm: VM,
        path: str,
        controller_type: str | None = None,
        number: int | None = None,
        location: int | None = None,
    ) -> HardDrive:
        """Add-VMHardDiskDrive: the file must exist; IDE only on generation 1 and only while
        Off; a disk open elsewhere cannot go into a running VM."""
        kind = (controller_type or ("IDE" if vm.generation == 1 else "SCSI")).upper()
        if kind == "IDE" and vm.generation == 2:
            raise WorldError(
                f"Failed to add device 'Virtual Hard Disk'.\n'{vm.name}': Generation 2 virtual machines do not "
                "support IDE controllers.",
                reason="InvalidParameter",
                category="InvalidArgument",
                target=vm.name,
            )
        disk = self.vhd(path)
        if disk is None:
            raise WorldError(
                f"Failed to add device 'Virtual Hard Disk'.\nThe system cannot find the file specified. ('{path}')",
                reason="ObjectNotFound",
                category="ObjectNotFound",
                target=path,
            )
        if vm.state != "Off" and kind == "IDE":
            raise modify_device_failed(vm, "Virtual Hard Disk", INVALID_STATE_TEXT)
        if vm.state != "Off" and (self.disk_busy(disk) or (self.disk_has_busy_children(disk))):
            raise WorldError(
                f"Failed to add device 'Virtual Hard Disk'.\nThe process cannot access the file '{disk.path}' "
                "because it is being used by another process.",
                reason="ResourceBusy",
                category="ResourceBusy",
                target=disk.path,
            )
        drive = self._drive_for(vm, disk.path, kind, number, location)
        vm.hard_drives.append(drive)
        disk.attached_to = vm.id
        return drive

    def remove_hard_disk_drive(self, vm: VM, drive: HardDrive) -> None:
        """Remove-VMHardDiskDrive: IDE drives only while Off; the file stays."""
        if vm.state != "Off" and drive.controller_type == "IDE":
            raise modify_device_failed(vm, "Virtual Hard Disk", INVALID_STATE_TEXT)
        vm.hard_drives.remove(drive)
        disk = self.vhd(drive.path)
        if disk is not None and disk.attached_to == vm.id:
            disk.attached_to = None

    def boot_image(self, vm: VM) -> Vhd | None:
        """The OS image the VM's first disk boots (a copy of / a child of one), if its
        generation matches the VM's: otherwise the firmware finds nothing to boot."""
        drive = vm.boot_drive()
        disk = self.vhd(drive.path) if drive is not None else None
        image = self.os_image_of(disk) if disk is not None else None
        if image is None or image.generation != vm.generation:
            return None
        return image

    def _first_boot(self, vm: VM) -> None:
        """A VM without a guest starts: if its disk boots Windows, that Windows comes up (and,
        the first time on this disk, Setup specializes it from the answer file)."""
        from hypervsim.world.features import default_features
        from hypervsim.world.model import Computer

        image = self.boot_image(vm)
        if image is None:
            return
        drive = vm.boot_drive()
        disk = self.vhd(drive.path) if drive is not None else None
        assert disk is not None
        installed = next((d.installed for d in self.disk_chain(disk) if d.installed), None)
        if installed is None:
            installed = self._specialize(disk, image)
            disk.installed = installed
            self.disk_written(disk, 2 * GiB)
        guest = Computer(
            name=installed.computer_name,
            build=installed.build,
            edition=installed.edition,
            cpu_vendor=self.cpu_vendor,
            features=default_features(installed.edition, hyperv_installed=False),
            accounts=[a.model_copy() for a in installed.accounts],
            time_zone=installed.time_zone,
        )
        vm.guest = guest
        self._link_guest(vm)

    def _specialize(self, disk: Vhd, image: Vhd) -> InstalledOs:
        """Windows Setup's first boot of an image on `disk` (FACTS: answer file passes)."""
        assert image.os_build is not None and image.os_edition is not None
        installed = InstalledOs(
            computer_name=self.world.new_computer_name(),
            build=image.os_build,
            edition=image.os_edition,
        )
        if not image.generalized:
            installed.accounts = [administrator(image.admin_hash)] if image.admin_hash else []
            return installed
        view = View("C", self.disk_volume_layers(disk), disk)
        entry = view.get(UNATTEND_PATH)
        answer = parse_unattend(entry.text or "") if entry is not None else None
        if answer is None:
            installed.oobe = True
            return installed
        if answer.computer_name and answer.computer_name != "*":
            installed.computer_name = answer.computer_name[:15]
        if answer.time_zone:
            installed.time_zone = answer.time_zone
        if answer.admin_password is not None:
            installed.accounts = [administrator(hash_password(answer.admin_password))]
        else:
            installed.oobe = True
        return installed

    def remove_vm(self, vm: VM) -> None:
        """Remove-VM: the VM must be Off; its guest world goes with it (disks stay, as on Windows)."""
        if vm.state != "Off":
            raise WorldError(
                f"'{vm.name}' failed to delete. (Virtual machine ID {vm.id})\n{INVALID_STATE_TEXT}",
                reason="InvalidState",
                category="InvalidOperation",
                target=vm.name,
            )
        for disk in self.vhds:
            if disk.attached_to == vm.id:
                disk.attached_to = None
        self.vms.remove(vm)

    def start_vm(self, vm: VM) -> None:
        """Start-VM: checks memory, then the guest boots (instantly in this model)."""
        if vm.state == "Running":
            return
        own_vm = self.vm  # type: ignore[attr-defined]
        if own_vm is not None and not own_vm.expose_virtualization_extensions:
            raise WorldError(
                f"'{vm.name}' failed to start. (Virtual machine ID {vm.id})\n"
                f"Virtual machine '{vm.name}' could not be started because the hypervisor is not running.",
                reason="OperationFailed",
                category="NotSpecified",
                target=vm.name,
            )
        running = sum(v.memory_startup for v in self.vms if v.state == "Running")
        if running + vm.memory_startup + HOST_MEMORY_RESERVE > self.physical_memory():
            raise WorldError(
                f"'{vm.name}' failed to start. (Virtual machine ID {vm.id})\n"
                f"Not enough memory in the system to start the virtual machine {vm.name}.",
                reason="OutOfMemory",
                category="ResourceUnavailable",
                target=vm.name,
            )
        if vm.expose_virtualization_extensions:
            self._check_nesting_supported(vm)
        self._check_disks_free(vm)
        vm.state = "Running"
        first = vm.guest is None
        if first:
            self._first_boot(vm)
        self._boot_guest(vm)
        self.world.timing.guest_booting(vm, timing.FIRST_BOOT if first else timing.BOOT)

    def _check_disks_free(self, vm: VM) -> None:
        """A VM's disk (or a parent of it) open elsewhere (mounted on the host, or a disk of a
        running VM) cannot be opened by the starting VM."""
        controller = "Synthetic SCSI Controller" if vm.generation == 2 else "IDE Controller"
        for drive in vm.hard_drives:
            disk = self.vhd(drive.path)
            if disk is None:
                continue
            for i, d in enumerate(self.disk_chain(disk)):
                other = self.vm_by_id(d.attached_to) if d.attached_to else None
                busy = (d.disk_number is not None and (i == 0 or not d.mounted_read_only)) or (
                    other is not None and other is not vm and other.state != "Off"
                )
                if busy:
                    text = "The process cannot access the file because it is being used by another process."
                    raise WorldError(
                        f"'{vm.name}' failed to start. (Virtual machine ID {vm.id})\n"
                        f"'{vm.name}' {controller}: Failed to Power on with Error '{text}' (0x80070020). "
                        f"(Virtual machine ID {vm.id})\n"
                        f"'{vm.name}': Failed to open attachment '{d.path}'. Error: '{text}' (0x80070020). "
                        f"(Virtual machine ID {vm.id})",
                        reason="OperationFailed",
                        category="ResourceBusy",
                        target=vm.name,
                    )

    def _boot_guest(self, vm: VM) -> None:
        guest = vm.guest
        vm.guest_up = guest is not None
        if guest is None:
            return
        for a in vm.adapters:
            self._ensure_guest_nic(vm, a)
        for na in guest.net_adapters:
            if na.kind == "guest":
                guest.dhcp_configure(na)

    def _ensure_guest_nic(self, vm: VM, a: VMNetworkAdapter) -> None:
        guest = vm.guest
        if guest is None or any(n.vm_adapter_id == a.id for n in guest.net_adapters):
            return
        taken = {n.name.lower() for n in guest.net_adapters}
        k = 1
        while (nic_name := "Ethernet" if k == 1 else f"Ethernet {k}").lower() in taken:
            k += 1
        nic = guest.add_net_adapter(
            nic_name,
            "guest",
            description="Microsoft Hyper-V Network Adapter" + ("" if k == 1 else f" #{k}"),
        )
        nic.vm_adapter_id = a.id
        nic.mac_address = a.mac_address

    def power_off(self, vm: VM) -> None:
        """Turn off (no checks): the guest is down, its DHCP leases go."""
        vm.state = "Off"
        vm.guest_up = False
        if vm.guest is not None:
            for inner in vm.guest.vms:
                vm.guest.power_off(inner)

    def stop_vm(self, vm: VM, turn_off: bool = False) -> None:
        """Stop-VM (-TurnOff or a guest shutdown; -Force only skips prompts)."""
        if vm.state == "Off":
            return
        if not turn_off and vm.guest is not None and vm.guest_up:
            # a clean shutdown completes pending feature installs like a restart does
            pending = [f for f in vm.guest.features if f.install_state == "InstallPending"]
            for f in pending:
                f.install_state = "Installed"
        self.power_off(vm)

    def restart_vm(self, vm: VM) -> None:
        if vm.state != "Running":
            raise WorldError(
                f"'{vm.name}' failed to change state.\nThe operation cannot be performed while the object is in its "
                "current state.",
                reason="InvalidState",
                category="InvalidOperation",
                target=vm.name,
            )
        kind = timing.RESTART
        if vm.guest is not None:
            if vm.guest.hyperv_pending:
                kind = timing.FEATURE_RESTART
            vm.guest.complete_restart()
        self._boot_guest(vm)
        self.world.timing.guest_booting(vm, kind)

    def set_vm_notes(self, vm: VM, notes: str) -> None:
        vm.notes = notes

    def rename_vm(self, vm: VM, new_name: str) -> None:
        vm.name = new_name

    def update_vm_version(self, vm: VM) -> None:
        if vm.state != "Off":
            raise WorldError(
                f"'{vm.name}' failed to upgrade configuration version. (Virtual machine ID {vm.id})\n"
                f"{INVALID_STATE_TEXT}",
                reason="InvalidState",
                category="InvalidOperation",
                target=vm.name,
            )
        target = default_vm_version(self.build)
        if version_tuple(vm.version) < version_tuple(target):
            vm.version = target

    # ---- processor ------------------------------------------------------------------------
    def _check_nesting_supported(self, vm: VM) -> None:
        """Prerequisites for exposing virtualization extensions (FACTS.md §1)."""
        if self.vbs and not vm.vbs_opt_out:
            raise WorldError(
                VBS_OPT_OUT_TEXT, reason="NotSupported", category="InvalidOperation", target=vm.name
            )
        if self.build < 14393:
            raise modify_device_failed(
                vm,
                "Processor",
                "Nested virtualization requires Windows Server 2016 / Windows 10 (build 14393) or later.",
            )
        if self.cpu_vendor == "AMD":
            if self.build < 20348:
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

    def _check_vcpus(self, vm: VM, count: int, expose: bool) -> None:
        limit = min(self.logical_processors, MAX_VCPUS)
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
            self._check_nesting_supported(vm)
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
            nested_hyperv = vm.guest is not None and vm.guest_up and vm.guest.hyperv_active
            if nested_hyperv or new_dyn != vm.dynamic_memory:
                raise modify_device_failed(vm, "Memory", INVALID_STATE_TEXT)
        if new_startup % (2 * 1024**2) or new_startup < 32 * 1024**2:
            raise modify_device_failed(
                vm,
                "Memory",
                f"Invalid startup memory amount specified for virtual machine '{vm.name}'. The amount must be a multiple of 2 MB and at least 32 MB.",
            )
        if new_dyn and not (new_min <= new_startup <= new_max):
            raise modify_device_failed(
                vm,
                "Memory",
                f"The minimum amount of memory you set is greater than the startup memory, or the startup memory is "
                f"greater than the maximum for virtual machine '{vm.name}'.",
            )
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

    # ---- VM network adapters ------------------------------------------------------------
    def add_vm_network_adapter(
        self, vm: VM, name: str = "Network Adapter", switch_name: str | None = None
    ) -> VMNetworkAdapter:
        switch = self.require_switch(switch_name) if switch_name else None
        if vm.state != "Off" and vm.generation == 1:
            raise WorldError(
                f"Failed to add device 'Synthetic Ethernet Port'.\n'{vm.name}' failed to add device 'Synthetic Ethernet "
                f"Port'. (Virtual machine ID {vm.id})\n{INVALID_STATE_TEXT}",
                reason="InvalidState",
                category="InvalidOperation",
                target=vm.name,
            )
        a = VMNetworkAdapter(
            id=self.world.new_id(),
            name=name,
            switch_id=switch.id if switch else None,
            mac_address=self.world.new_mac(),
        )
        vm.adapters.append(a)
        if vm.state == "Running":
            self._ensure_guest_nic(vm, a)
        return a

    def remove_vm_network_adapter(self, vm: VM, adapter: VMNetworkAdapter) -> None:
        if vm.state != "Off" and vm.generation == 1:
            raise WorldError(
                f"Failed to remove device 'Synthetic Ethernet Port'.\n{INVALID_STATE_TEXT}",
                reason="InvalidState",
                category="InvalidOperation",
                target=vm.name,
            )
        vm.adapters.remove(adapter)
        if vm.guest is not None:
            for nic in [n for n in vm.guest.net_adapters if n.vm_adapter_id == adapter.id]:
                vm.guest.remove_net_adapter(nic)

    def connect_vm_network_adapter(
        self, adapter: VMNetworkAdapter, switch_name: str | None
    ) -> None:
        """Connect-VMNetworkAdapter (None = Disconnect-VMNetworkAdapter)."""
        switch = self.require_switch(switch_name) if switch_name else None
        adapter.switch_id = switch.id if switch else None

    def set_vm_network_adapter(
        self,
        adapter: VMNetworkAdapter,
        mac_spoofing: bool | None = None,
        allow_teaming: bool | None = None,
    ) -> None:
        if mac_spoofing is not None:
            adapter.mac_spoofing = mac_spoofing
        if allow_teaming is not None:
            adapter.allow_teaming = allow_teaming

    # ---- switches -----------------------------------------------------------------------
    def new_switch(
        self,
        name: str,
        switch_type: str = "Private",
        net_adapter_name: str | None = None,
        allow_management_os: bool | None = None,
        notes: str = "",
    ) -> VMSwitch:
        """New-VMSwitch: Internal creates the host vNIC "vEthernet (<name>)"; External binds a NIC
        (and, with AllowManagementOS, moves that NIC's IP configuration onto a host vNIC)."""
        if self.switch_by_name(name) is not None:
            raise WorldError(
                f"Failed while adding virtual Ethernet switch connections.\nCannot create the virtual switch "
                f"'{name}': a virtual switch with this name already exists.",
                reason="ResourceExists",
                category="ResourceExists",
                target=name,
            )
        bound: NetAdapter | None = None
        if net_adapter_name is not None:
            switch_type = "External"
            bound = self.adapter_by_name(net_adapter_name)
            if bound is None or bound.kind == "host-vnic":
                raise WorldError(
                    f"No MSFT_NetAdapter objects found with property 'Name' equal to '{net_adapter_name}'.  "
                    "Verify the value of the property and retry.",
                    reason="ObjectNotFound",
                    category="ObjectNotFound",
                    target=net_adapter_name,
                )
            if any(
                s.net_adapter_name and s.net_adapter_name.lower() == bound.name.lower()
                for s in self.switches
            ):
                raise WorldError(
                    "Failed while adding virtual Ethernet switch connections.\n"
                    f"External Ethernet adapter '{bound.name}' is already bound to the Microsoft Virtual Switch protocol.",
                    reason="InvalidParameter",
                    category="InvalidArgument",
                    target=net_adapter_name,
                )
        elif switch_type == "External":
            raise WorldError(
                "Parameter set cannot be resolved using the specified named parameters.",
                reason="AmbiguousParameterSet",
                category="InvalidArgument",
                exception_type="System.Management.Automation.ParameterBindingException",
            )
        mgmt = switch_type == "Internal" or (
            switch_type == "External" and allow_management_os is not False
        )
        sw = VMSwitch(
            id=self.world.new_id(),
            name=name,
            switch_type=switch_type,
            net_adapter_name=bound.name if bound else None,
            allow_management_os=mgmt,
            notes=notes,
        )
        self.switches.append(sw)
        if mgmt:
            vnic = self.add_net_adapter(
                f"vEthernet ({name})", "host-vnic", description="Hyper-V Virtual Ethernet Adapter"
            )
            vnic.switch_id = sw.id
            if bound is not None:
                vnic.mac_address = bound.mac_address
                self.move_ip_config(bound, vnic)
            else:
                self.add_apipa(vnic)
        return sw

    def switch_users(self, sw: VMSwitch) -> list[VM]:
        return [vm for vm in self.vms if any(a.switch_id == sw.id for a in vm.adapters)]

    def remove_switch(self, sw: VMSwitch) -> None:
        """Remove-VMSwitch: refused while running VMs use it; Off VMs' adapters disconnect."""
        if any(vm.state != "Off" for vm in self.switch_users(sw)):
            raise WorldError(
                "Failed while removing virtual Ethernet switch.\n"
                f"The virtual switch '{sw.name}' cannot be deleted because it is being used by running virtual "
                "machines or assigned to child pools.\nThe operation cannot be performed while the object is in use.",
                reason="ObjectInUse",
                category="ResourceBusy",
                target=sw.name,
            )
        for vm in self.switch_users(sw):
            for a in vm.adapters:
                if a.switch_id == sw.id:
                    a.switch_id = None
        for vnic in [
            n for n in self.net_adapters if n.kind == "host-vnic" and n.switch_id == sw.id
        ]:
            bound = self.adapter_by_name(sw.net_adapter_name) if sw.net_adapter_name else None
            if bound is not None:
                self.move_ip_config(vnic, bound)
            self.remove_net_adapter(vnic)
        self.switches.remove(sw)

    # ---- disks ----------------------------------------------------------------------------
    def new_vhd(
        self,
        path: str,
        size_bytes: int | None = None,
        parent_path: str | None = None,
        fixed: bool = False,
    ) -> Vhd:
        """New-VHD: the file is created (its folder must exist); a differencing child starts
        small and reads through its parent."""
        full = parse_path(path).full
        if self.fs_item(full) is not None:
            raise WorldError(
                f"Failed to create the virtual hard disk.\nThe system failed to create '{full}': The file exists. (0x80070050).",
                reason="OperationFailed",
                category="ResourceExists",
                target=full,
            )
        folder = self.fs_item(full.rsplit("\\", 1)[0] or full[:3])
        if folder is None or not folder.is_dir:
            raise WorldError(
                f"Failed to create the virtual hard disk.\nThe system failed to create '{full}': The system cannot "
                "find the path specified. (0x80070003).",
                reason="ObjectNotFound",
                category="ObjectNotFound",
                target=full,
            )
        parent = None
        if parent_path is not None:
            parent = self.vhd(parent_path)
            if parent is None:
                raise WorldError(
                    f"Failed to create the virtual hard disk.\nThe system failed to open '{parent_path}': The system "
                    "cannot find the file specified. (0x80070002).",
                    reason="ObjectNotFound",
                    category="ObjectNotFound",
                    target=parent_path,
                )
        return self.new_disk(
            full,
            size_bytes or (parent.size_bytes if parent else 127 * GiB),
            "Differencing" if parent else ("Fixed" if fixed else "Dynamic"),
            parent,
        )
