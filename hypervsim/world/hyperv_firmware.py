"""Generation 2 firmware of VMs: secure boot and its template, and the boot order.

Generation 1 VMs have a BIOS instead and the VMFirmware cmdlets refuse them with Windows'
text. The boot order is kept as device keys (`model.device_key`): devices Hyper-V knows but
the stored order does not name yet come after it (a device added later boots last), and
removed devices drop out of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hypervsim.world.errors import WorldError
from hypervsim.world.hyperv_base import HyperVBase
from hypervsim.world.hyperv_errors import INVALID_STATE_TEXT

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.world.model import VM
    from hypervsim.world.records import DvdDrive, HardDrive, VMNetworkAdapter

SECURE_BOOT_TEMPLATES = (
    "MicrosoftWindows",
    "MicrosoftUEFICertificateAuthority",
    "OpenSourceShieldedVM",
)


def generation_1_refused(vm: VM) -> WorldError:
    return WorldError(
        f'The Generation 1 virtual machine or snapshot "{vm.name}" does not support the VMFirmware '
        "cmdlets. Use Get-VMBios and Set-VMBios instead.",
        reason="InvalidParameter",
        category="InvalidArgument",
        target=vm.name,
    )


class VmFirmware(HyperVBase):
    """Get-/Set-VMFirmware."""

    def require_generation_2(self, vm: VM) -> None:
        if vm.generation != 2:
            raise generation_1_refused(vm)

    def boot_devices(self, vm: VM) -> list[tuple[str, HardDrive | DvdDrive | VMNetworkAdapter]]:
        """The boot order: (key, device), stored order first, then devices it does not name
        (hard drives, DVD drives, network adapters, each in slot or creation order)."""
        from hypervsim.world.model import device_key

        devices: list[HardDrive | DvdDrive | VMNetworkAdapter] = [
            *sorted(vm.hard_drives, key=lambda d: (d.controller_number, d.controller_location)),
            *sorted(vm.dvd_drives, key=lambda d: (d.controller_number, d.controller_location)),
            *vm.adapters,
        ]
        by_key = {device_key(d): d for d in devices}
        ordered = [(k, by_key[k]) for k in vm.boot_order if k in by_key]
        named = {k for k, _ in ordered}
        return ordered + [(k, d) for k, d in by_key.items() if k not in named]

    def set_vm_firmware(
        self,
        vm: VM,
        secure_boot: bool | None = None,
        template: str | None = None,
        boot_order: list[str] | None = None,
        first_boot_device: str | None = None,
    ) -> None:
        """Set-VMFirmware: generation 2 only, and only while the VM is Off; the boot order
        names this VM's devices."""
        self.require_generation_2(vm)
        if vm.state != "Off":
            raise WorldError(
                f"'{vm.name}' failed to modify firmware settings. (Virtual machine ID {vm.id})\n"
                f"{INVALID_STATE_TEXT}",
                reason="InvalidState",
                category="InvalidOperation",
                target=vm.name,
            )
        if template is not None and template not in SECURE_BOOT_TEMPLATES:
            raise WorldError(
                f"Cannot find a secure boot template named '{template}'.",
                reason="InvalidParameter",
                category="InvalidArgument",
                target=template,
            )
        known = [k for k, _ in self.boot_devices(vm)]
        for key in [*(boot_order or []), *([first_boot_device] if first_boot_device else [])]:
            if key not in known:
                raise WorldError(
                    "The boot device does not belong to the virtual machine "
                    f"'{vm.name}'. (Virtual machine ID {vm.id})",
                    reason="InvalidParameter",
                    category="InvalidArgument",
                    target=vm.name,
                )
        if secure_boot is not None:
            vm.secure_boot = secure_boot
        if template is not None:
            vm.secure_boot_template = template
        if boot_order is not None:
            vm.boot_order = list(boot_order)
        if first_boot_device is not None:
            vm.boot_order = [first_boot_device] + [k for k in known if k != first_boot_device]
