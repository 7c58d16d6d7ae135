"""Disk files on a Computer: creation, mounting on the host (Mount-VHD), parent chains, and
what "in use" means (attached to a VM that is not Off, or mounted), so that a parent with
children in use cannot be written, mounted read-write or deleted, as Windows enforces.
"""

from __future__ import annotations

import string
from typing import TYPE_CHECKING

from hypervsim.world.errors import WorldError
from hypervsim.world.filesystem import (
    WINDOWS_DIRS,
    FsEntry,
    Volume,
    _now,
    default_volume,
    key_of,
    parse_path,
)
from hypervsim.world.host_services import HostServices
from hypervsim.world.profiles import GiB

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.world.records import Vhd

MiB = 1024**2
IN_USE_HRESULT = "The process cannot access the file because it is being used by another process."


def mount_failed(path: str, detail: str) -> WorldError:
    return WorldError(
        f"Failed to mount the virtual disk.\nThe system failed to mount '{path}': {detail}",
        reason="ObjectInUse" if "being used" in detail else "ObjectNotFound",
        category="ResourceBusy" if "being used" in detail else "ObjectNotFound",
        target=path,
    )


class DiskHost(HostServices):
    """Disk files of a Computer (mixed into `Computer`)."""

    def vhd(self, path: str) -> Vhd | None:
        wanted = key_of(parse_path(path).full)
        return next((v for v in self.vhds if key_of(v.path) == wanted), None)

    def parent_of_disk(self, disk: Vhd) -> Vhd | None:
        return self.vhd(disk.parent_path) if disk.parent_path else None

    def disk_chain(self, disk: Vhd) -> list[Vhd]:
        """The disk and its parents, child first (a missing parent ends the chain)."""
        chain = [disk]
        while (parent := self.parent_of_disk(chain[-1])) is not None and parent not in chain:
            chain.append(parent)
        return chain

    def os_image_of(self, disk: Vhd) -> Vhd | None:
        """The OS image a disk is, copies, or differences from (None: no OS on it)."""
        return next((d for d in self.disk_chain(disk) if d.os_build is not None), None)

    def disk_volume_layers(self, disk: Vhd) -> list[Volume]:
        return [d.volume for d in self.disk_chain(disk) if d.volume is not None]

    def disk_has_volume(self, disk: Vhd) -> bool:
        return bool(self.disk_volume_layers(disk))

    def disk_busy(self, disk: Vhd) -> bool:
        """Open by someone: attached to a VM that is not Off, or mounted on the host."""
        if disk.disk_number is not None:
            return True
        vm = self.vm_by_id(disk.attached_to) if disk.attached_to else None
        return vm is not None and vm.state != "Off"

    def disk_has_busy_children(self, disk: Vhd) -> bool:
        for child in self.vhds:
            if child.parent_path and key_of(child.parent_path) == key_of(disk.path):
                if self.disk_busy(child) or self.disk_has_busy_children(child):
                    return True
        return False

    def disk_write_refusal(self, disk: Vhd, reason: str, prefix: str = "") -> None:
        """Writing into a disk whose differencing children are in use is refused."""
        if self.disk_has_busy_children(disk):
            raise WorldError(
                prefix + f"The process cannot access the file '{disk.path}' because it is being "
                "used by another process.",
                reason=reason,
                category="WriteError",
                exception_type="System.IO.IOException",
                target=disk.path,
            )

    def new_content_id(self) -> str:
        return self.world._next("content").hex()[:32]

    def disk_written(self, disk: Vhd, grown: int) -> None:
        """The disk's content changed: a new identity, and a dynamic file grows."""
        disk.content_id = self.new_content_id()
        disk.modified = _now()
        if disk.vhd_type != "Fixed":
            disk.file_size += max(MiB, -(-grown // MiB) * MiB)

    def new_disk(
        self, path: str, size_bytes: int, vhd_type: str = "Dynamic", parent: Vhd | None = None
    ) -> Vhd:
        """A new disk record (callers check the rules): dynamic and differencing files start
        small, a fixed one is as large as the disk; a child of a disk with a Windows volume
        gets an empty overlay of it."""
        from hypervsim.world.records import Vhd

        disk = Vhd(
            path=parse_path(path).full,
            size_bytes=size_bytes,
            vhd_type=vhd_type,
            parent_path=parent.path if parent else None,
            file_size=size_bytes + 4 * MiB if vhd_type == "Fixed" else 4 * MiB,
            content_id=self.new_content_id(),
            modified=_now(),
            volume=Volume() if parent is not None and self.disk_has_volume(parent) else None,
        )
        self.vhds.append(disk)
        return disk

    def add_image(
        self,
        path: str,
        *,
        build: int,
        edition: str,
        family: str,
        generation: int,
        generalized: bool = True,
        admin_hash: str | None = None,
        size_bytes: int = 127 * GiB,
        file_size: int = 10 * GiB,
    ) -> Vhd:
        """Put an OS image file (a sysprepped or prepared Windows VHDX) on this machine."""
        from hypervsim.world.records import Vhd

        p = parse_path(path)
        parts = p.rel.strip("\\").split("\\")[:-1]
        for i in range(1, len(parts) + 1):
            rel = "\\" + "\\".join(parts[:i])
            self.files.entries.setdefault(key_of(rel), FsEntry(path=rel, is_dir=True))
        disk = Vhd(
            path=p.full,
            size_bytes=size_bytes,
            os_build=build,
            os_edition=edition,
            os_family=family,
            generation=generation,
            generalized=generalized,
            admin_hash=admin_hash,
            file_size=file_size,
            content_id=self.new_content_id(),
            modified=_now(),
            volume=default_volume(*WINDOWS_DIRS),
        )
        self.vhds.append(disk)
        return disk

    # ---- Mount-VHD / Dismount-VHD ---------------------------------------------------------------
    def mount_vhd(self, path: str, read_only: bool = False, no_drive_letter: bool = False) -> Vhd:
        """Mount-VHD: a disk number, and a drive letter for the Windows volume if it has one."""
        disk = self.vhd(path)
        if disk is None:
            raise mount_failed(
                parse_path(path).full, "The system cannot find the file specified. (0x80070002)."
            )
        if self.disk_busy(disk) or (not read_only and self.disk_has_busy_children(disk)):
            raise mount_failed(disk.path, IN_USE_HRESULT + " (0x80070020).")
        taken_numbers = {d.disk_number for d in self.vhds if d.disk_number is not None}
        disk.disk_number = next(n for n in range(1, 1000) if n not in taken_numbers)
        disk.mounted_read_only = read_only
        if self.disk_has_volume(disk) and not no_drive_letter:
            taken = {"A", "B", "C"} | {d.drive_letter for d in self.vhds if d.drive_letter}
            disk.drive_letter = next(
                (x for x in string.ascii_uppercase[3:] if x not in taken), None
            )
        return disk

    def dismount_vhd(self, disk: Vhd) -> None:
        disk.disk_number = None
        disk.drive_letter = None
        disk.mounted_read_only = False

    def mounted_disk(self, number: int) -> Vhd | None:
        return next((d for d in self.vhds if d.disk_number == number), None)

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
