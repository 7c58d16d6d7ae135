"""Devices of VMs: hard disk drives (controller slots) and network adapters."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hypervsim.world.errors import WorldError
from hypervsim.world.filesystem import parse_path
from hypervsim.world.hyperv_base import HyperVBase, mac_address
from hypervsim.world.hyperv_errors import INVALID_STATE_TEXT, modify_device_failed
from hypervsim.world.records import DvdDrive, HardDrive, VMNetworkAdapter

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.world.model import VM


def free_slot(
    vm: VM,
    device: str,
    controller_type: str | None = None,
    number: int | None = None,
    location: int | None = None,
) -> tuple[str, int, int]:
    """Where a new drive goes: the given slot, else the first free one (IDE 0:0, 0:1, 1:0,
    1:1 on generation 1; SCSI 0:0, 0:1, ... on generation 2). Hard drives and DVD drives
    share the controllers; `device` names the device in the error."""
    kind = (controller_type or ("IDE" if vm.generation == 1 else "SCSI")).upper()
    drives: list[HardDrive | DvdDrive] = [*vm.hard_drives, *vm.dvd_drives]
    taken = {
        (d.controller_number, d.controller_location) for d in drives if d.controller_type == kind
    }
    per_controller = 2 if kind == "IDE" else 64
    numbers = [number] if number is not None else list(range(2 if kind == "IDE" else 4))
    for n in numbers:
        locations = [location] if location is not None else list(range(per_controller))
        for loc in locations:
            if (n, loc) not in taken:
                return kind, n, loc
    raise modify_device_failed(
        vm,
        device,
        f"The specified controller location is already in use. ({kind} {numbers[0]}:"
        f"{location if location is not None else 0})",
    )


WantedSlot = tuple[str | None, int | None, int | None]
"""(controller type, number, location) as asked for; None: the first free (see free_slot)."""


def drive_slot(vm: VM, path: str, wanted: WantedSlot = (None, None, None)) -> HardDrive:
    """A new hard drive for `path` in the wanted or first free slot (see free_slot)."""
    kind, n, loc = free_slot(vm, "Virtual Hard Disk", *wanted)
    return HardDrive(path=path, controller_type=kind, controller_number=n, controller_location=loc)


def ensure_guest_nic(vm: VM, a: VMNetworkAdapter) -> None:
    """The guest OS of a running VM sees a new NIC for each VM network adapter."""
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


class VmDevices(HyperVBase):
    """Add-/Remove-VMHardDiskDrive, *-VMDvdDrive and the *-VMNetworkAdapter operations."""

    # ---- DVD drives ---------------------------------------------------------------------
    def _check_iso(self, path: str | None, action: str) -> None:
        if path and self.fs_item(path) is None:
            raise WorldError(
                f"Failed to {action} device 'Virtual CD/DVD Disk'.\nThe system cannot find the file "
                f"specified. ('{path}')",
                reason="ObjectNotFound",
                category="ObjectNotFound",
                target=path,
            )

    def add_dvd_drive(
        self,
        vm: VM,
        path: str | None = None,
        number: int | None = None,
        location: int | None = None,
    ) -> DvdDrive:
        """Add-VMDvdDrive: IDE (generation 1, only while Off) or SCSI; the ISO must exist."""
        kind = "IDE" if vm.generation == 1 else "SCSI"
        if vm.state != "Off" and kind == "IDE":
            raise modify_device_failed(vm, "DVD Drive", INVALID_STATE_TEXT)
        self._check_iso(path, "add")
        kind, n, loc = free_slot(vm, "DVD Drive", kind, number, location)
        drive = DvdDrive(
            path=parse_path(path).full if path else None,
            controller_type=kind,
            controller_number=n,
            controller_location=loc,
        )
        vm.dvd_drives.append(drive)
        return drive

    def set_dvd_drive(self, vm: VM, drive: DvdDrive, path: str | None) -> None:
        """Set-VMDvdDrive -Path (None or empty: eject); media changes in any state."""
        self._check_iso(path, "modify")
        drive.path = parse_path(path).full if path else None

    def remove_dvd_drive(self, vm: VM, drive: DvdDrive) -> None:
        """Remove-VMDvdDrive: IDE drives only while Off."""
        if vm.state != "Off" and drive.controller_type == "IDE":
            raise modify_device_failed(vm, "DVD Drive", INVALID_STATE_TEXT)
        vm.dvd_drives.remove(drive)

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
        drive = drive_slot(vm, disk.path, (kind, number, location))
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
            mac_address=self.new_vm_mac(),
        )
        vm.adapters.append(a)
        if vm.state == "Running":
            ensure_guest_nic(vm, a)
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
        static_mac: str | None = None,
        dynamic_mac: bool = False,
        settings: dict[str, Any] | None = None,
    ) -> None:
        """Set-VMNetworkAdapter: the MAC address (static or back to dynamic) changes only
        while the VM is Off; the other settings any time."""
        vm = self.owner_vm(adapter)
        mac = mac_address(static_mac) if static_mac is not None else None
        if (mac is not None or dynamic_mac) and vm is not None and vm.state != "Off":
            raise modify_device_failed(vm, "Synthetic Ethernet Port", INVALID_STATE_TEXT)
        if mac is not None:
            adapter.mac_address, adapter.dynamic_mac = mac, False
        elif dynamic_mac and not adapter.dynamic_mac:
            adapter.mac_address, adapter.dynamic_mac = self.new_vm_mac(), True
        if vm is not None and vm.guest is not None:
            for nic in vm.guest.net_adapters:
                if nic.vm_adapter_id == adapter.id:
                    nic.mac_address = adapter.mac_address
        if mac_spoofing is not None:
            adapter.mac_spoofing = mac_spoofing
        if allow_teaming is not None:
            adapter.allow_teaming = allow_teaming
        adapter.settings.update(settings or {})
