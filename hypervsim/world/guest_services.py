"""Integration services of a VM and Copy-VMFile (the Guest Service Interface's file copy).

Hyper-V lists the same services for every VM; all but the Guest Service Interface are enabled
by default. A copy needs the VM running, its guest OS up, and that service enabled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hypervsim.world.errors import WorldError
from hypervsim.world.filesystem import parse_path
from hypervsim.world.host_services import HostServices

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.world.model import VM, Computer

GUEST_SERVICE_INTERFACE = "Guest Service Interface"
INTEGRATION_SERVICES = (
    GUEST_SERVICE_INTERFACE,
    "Heartbeat",
    "Key-Value Pair Exchange",
    "Shutdown",
    "Time Synchronization",
    "VSS",
)
DEFAULT_DISABLED = frozenset({GUEST_SERVICE_INTERFACE})


def service_enabled(vm: VM, name: str) -> bool:
    return vm.integration_services.get(name, name not in DEFAULT_DISABLED)


def copy_failed(vm: VM, detail: str, target: str) -> WorldError:
    """Copy-VMFile's error: the job could not be started in the guest."""
    return WorldError(
        "Failed to initiate copying files to the guest.\n"
        f"'{vm.name}' failed to initiate copying files to the guest: {detail} "
        f"(Virtual machine ID {vm.id})",
        reason="OperationFailed",
        category="NotSpecified",
        target=target,
    )


class GuestServices(HostServices):
    """Integration services and file copy into guests (mixed into `Computer`)."""

    def integration_service_name(self, vm: VM, name: str) -> str:
        """The service's canonical name; Windows' error for an unknown one."""
        hit = next((s for s in INTEGRATION_SERVICES if s.lower() == name.strip().lower()), None)
        if hit is None:
            raise WorldError(
                "No integration component with the given name could be found.",
                reason="InvalidParameter",
                category="InvalidArgument",
                target=name,
            )
        return hit

    def set_integration_service(self, vm: VM, name: str, enabled: bool) -> None:
        """Enable-/Disable-VMIntegrationService."""
        vm.integration_services[self.integration_service_name(vm, name)] = enabled

    def copy_vm_file(
        self,
        vm: VM,
        source: str,
        destination: str,
        *,
        create_full_path: bool = False,
        force: bool = False,
    ) -> None:
        """Copy-VMFile -FileSource Host: a host file into the running guest's file system."""
        host: Computer = self  # type: ignore[assignment]
        src = host.fs_item(source)
        if src is None or src.is_dir:
            raise copy_failed(
                vm, "The system cannot find the file specified. (0x80070002).", source
            )
        if vm.state != "Running":
            raise copy_failed(
                vm,
                "The operation cannot be performed while the virtual machine is in its current "
                "state. (0x80070015).",
                vm.name,
            )
        if not service_enabled(vm, GUEST_SERVICE_INTERFACE):
            raise copy_failed(
                vm,
                f"The '{GUEST_SERVICE_INTERFACE}' integration service is not enabled. "
                "(0x80070422).",
                vm.name,
            )
        guest = vm.guest
        if guest is None or not vm.guest_up:
            raise copy_failed(
                vm,
                "The guest operating system is not responding to the Guest Service Interface. "
                "(0x8007045B).",
                vm.name,
            )
        dest = parse_path(destination)
        existing = guest.fs_item(dest.full)
        if existing is not None and existing.is_dir:
            dest = parse_path(dest.full.rstrip("\\") + "\\" + src.name)
            existing = guest.fs_item(dest.full)
        if existing is not None and not force:
            raise copy_failed(vm, "The file exists. (0x80070050).", dest.full)
        folder = dest.full.rsplit("\\", 1)[0] or dest.full[:3]
        folder_item = guest.fs_item(folder)
        if folder_item is None and not create_full_path:
            raise copy_failed(
                vm, "The system cannot find the path specified. (0x80070003).", dest.full
            )
        if folder_item is None:
            guest.fs_mkdir(folder)
        host.fs_copy(src.full, dest.full, target=guest)
