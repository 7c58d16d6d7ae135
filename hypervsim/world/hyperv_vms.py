"""The life of a VM: New-VM, start (first boot and Windows Setup), stop, restart, remove."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hypervsim.world import timing
from hypervsim.world.errors import WorldError
from hypervsim.world.filesystem import View, parse_path
from hypervsim.world.guest_os import UNATTEND_PATH, administrator, hash_password, parse_unattend
from hypervsim.world.hyperv_base import HyperVBase, hosts_running_vms, turn_off
from hypervsim.world.hyperv_compute import check_memory_amounts, check_nesting_supported
from hypervsim.world.hyperv_devices import drive_slot, ensure_guest_nic
from hypervsim.world.hyperv_errors import INVALID_STATE_TEXT
from hypervsim.world.profiles import GiB, default_vm_version, supported_vm_versions, version_tuple
from hypervsim.world.records import DvdDrive, InstalledOs, Vhd, VMNetworkAdapter

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.world.model import VM

HOST_MEMORY_RESERVE = 2 * GiB


class VmLifecycle(HyperVBase):
    """New-VM, Start-/Stop-/Restart-/Remove-VM, Set-VM's name and notes, Update-VMVersion."""

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
        """New-VM. VM names may repeat on one host (Hyper-V identifies VMs by Id). The startup
        memory is checked like Set-VMMemory's (a multiple of 2 MB, at least 32 MB)."""
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
        if new_vhd_path and not (":" in new_vhd_path or new_vhd_path.startswith("\\")):
            new_vhd_path = f"{self.virtual_hard_disk_path}\\{new_vhd_path}"  # the host's default
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
        # All checks done but the memory amount, which names the new VM: create.
        world = self.world
        vm = VM(
            id=world.new_id(),
            name=name,
            generation=generation,
            version=version,
            path=path or self.virtual_machine_path,
            memory_startup=1 * GiB if memory_startup is None else memory_startup,
        )
        # Hyper-V realizes the VM (its ID is in the error), then fails to set its memory and
        # removes it again: nothing is left (kubernetes/minikube#6964, Get-VM after New-VM).
        check_memory_amounts(
            self, vm, vm.memory_startup, vm.memory_minimum, vm.memory_maximum, vm.dynamic_memory
        )
        vm.adapters.append(
            VMNetworkAdapter(
                id=world.new_id(),
                switch_id=switch.id if switch else None,
                mac_address=self.new_vm_mac(),
            )
        )
        if generation == 1:
            # Hyper-V gives a generation 1 VM an empty DVD drive on IDE 1:0
            vm.dvd_drives.append(DvdDrive(controller_type="IDE", controller_number=1))
        if new_vhd_path:
            # New-VM creates the folder of a new disk (as Hyper-V's wizard does). The disk is
            # empty: the VM will run, but nothing boots from it.
            folder = parse_path(new_vhd_path).full.rsplit("\\", 1)[0]
            if self.fs_item(folder) is None:
                self.fs_mkdir(folder)
            disk = self.new_disk(new_vhd_path, new_vhd_size or 127 * GiB)
            disk.attached_to = vm.id
            vm.hard_drives.append(drive_slot(vm, disk.path))
        elif base is not None:
            base.attached_to = vm.id
            vm.hard_drives.append(drive_slot(vm, base.path))
        self.vms.append(vm)
        return vm

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
        own_vm = self.vm
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
            check_nesting_supported(self, vm)
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
            ensure_guest_nic(vm, a)
        for na in guest.net_adapters:
            if na.kind == "guest":
                guest.dhcp_configure(na)

    def power_off(self, vm: VM) -> None:
        """Turn off (no checks): the guest is down, its DHCP leases go."""
        turn_off(vm)

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

    def save_vm(self, vm: VM) -> None:
        """Save-VM / Stop-VM -Save: the VM keeps its guest, ready to resume with Start-VM;
        a VM hosting running VMs cannot be saved (nested virtualization)."""
        if vm.state == "Saved":
            return
        if vm.state != "Running" or hosts_running_vms(vm):
            raise WorldError(
                f"'{vm.name}' failed to change state.\nThe operation cannot be performed while "
                "the object is in its current state.",
                reason="InvalidState",
                category="InvalidOperation",
                target=vm.name,
            )
        vm.state = "Saved"
        vm.guest_up = False

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

    def set_vm_settings(
        self, vm: VM, values: dict[str, Any], off_only: frozenset[str] = frozenset()
    ) -> None:
        """Settings kept only to read back (by Windows property name); those in `off_only`
        change only while the VM is Off."""
        if vm.state != "Off" and any(
            k in off_only and vm.settings.get(k) != v for k, v in values.items()
        ):
            raise WorldError(
                f"'{vm.name}' failed to modify settings. (Virtual machine ID {vm.id})\n"
                f"{INVALID_STATE_TEXT}",
                reason="InvalidState",
                category="InvalidOperation",
                target=vm.name,
            )
        vm.settings.update(values)

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
