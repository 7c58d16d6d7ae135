"""The Hyper-V service of a Computer and its lookups (VMs, switches, the image a VM boots)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hypervsim.world.errors import WorldError
from hypervsim.world.filesystem import parse_path
from hypervsim.world.host_services import HostServices
from hypervsim.world.hyperv_errors import matches, vm_not_found

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.world.model import VM
    from hypervsim.world.records import Vhd, VMNetworkAdapter, VMSwitch


def hosts_running_vms(vm: VM) -> bool:
    """A running VM with Hyper-V running inside: Microsoft's nested-virtualization guide says
    its state cannot be saved or restored (so no standard checkpoint, no Save-VM)."""
    return vm.state != "Off" and vm.guest is not None and vm.guest_up and vm.guest.hyperv_active


def turn_off(vm: VM) -> None:
    """Power a VM off with no checks: its guest goes down, and every VM inside it."""
    vm.state = "Off"
    vm.guest_up = False
    if vm.guest is not None:
        for inner in vm.guest.vms:
            turn_off(inner)


class HyperVBase(HostServices):
    """What every Hyper-V part builds on: the service check and lookups."""

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
        return [vm for vm in self.vms if matches(vm.name, patterns)]

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
        return [s for s in self.switches if matches(s.name, patterns)]

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

    def boot_image(self, vm: VM) -> Vhd | None:
        """The OS image the VM's first disk boots (a copy of / a child of one), if its
        generation matches the VM's: otherwise the firmware finds nothing to boot."""
        drive = vm.boot_drive()
        disk = self.vhd(drive.path) if drive is not None else None
        image = self.os_image_of(disk) if disk is not None else None
        if image is None or image.generation != vm.generation:
            return None
        return image

    # ---- host settings -------------------------------------------------------------------
    def new_vm_mac(self) -> str:
        """A dynamic MAC for a VM adapter, from this host's range (Set-VMHost -MacAddress*)."""
        mac = self.world.new_mac()
        low, high = int(self.mac_address_minimum, 16), int(self.mac_address_maximum, 16)
        if (low, high) == (0x00155D000000, 0x00155DFFFFFF):
            return mac
        return f"{low + int(mac, 16) % (high - low + 1):012X}"

    def set_vm_host(
        self,
        virtual_hard_disk_path: str | None = None,
        virtual_machine_path: str | None = None,
        mac_address_minimum: str | None = None,
        mac_address_maximum: str | None = None,
        enable_enhanced_session_mode: bool | None = None,
        numa_spanning_enabled: bool | None = None,
        other: dict[str, Any] | None = None,
    ) -> None:
        """Set-VMHost: default folders for new VMs and disks, the dynamic MAC range, and
        settings kept only to read back (`other`, by Windows property name)."""
        low = mac_address(mac_address_minimum) if mac_address_minimum is not None else None
        high = mac_address(mac_address_maximum) if mac_address_maximum is not None else None
        lo, hi = low or self.mac_address_minimum, high or self.mac_address_maximum
        if int(lo, 16) > int(hi, 16):
            raise WorldError(
                "The minimum MAC address must be less than or equal to the maximum MAC address.",
                reason="InvalidParameter",
                category="InvalidArgument",
            )
        if virtual_hard_disk_path is not None:
            self.virtual_hard_disk_path = parse_path(virtual_hard_disk_path).full
        if virtual_machine_path is not None:
            self.virtual_machine_path = parse_path(virtual_machine_path).full
        self.mac_address_minimum, self.mac_address_maximum = lo, hi
        if enable_enhanced_session_mode is not None:
            self.enable_enhanced_session_mode = enable_enhanced_session_mode
        if numa_spanning_enabled is not None:
            self.numa_spanning_enabled = numa_spanning_enabled
        self.host_settings.update(other or {})


def mac_address(text: str) -> str:
    """A MAC address as Hyper-V stores it: 12 hex digits (separators allowed on input)."""
    digits = text.replace("-", "").replace(":", "").upper()
    if len(digits) != 12 or any(c not in "0123456789ABCDEF" for c in digits):
        raise WorldError(
            f"The MAC address '{text}' is not valid.",
            reason="InvalidParameter",
            category="InvalidArgument",
            target=text,
        )
    return digits
