"""Mounting disk files on the host: Mount-VHD / Dismount-VHD (Hyper-V) and the Storage module's
Get-Disk, Get-Partition, Get-Volume, with the properties scripts read to find the drive letter.

Partitions are derived from the disk: a generation-2 Windows image has System (EFI), Reserved
and Basic (the Windows volume, the only one with a letter); generation 1 has System Reserved
and the Windows volume (MBR); an empty disk has none. Disk 0 is the machine's own system disk.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hypervsim.powershell.api import Invocation, Param, ParamKind, PSObject, cmdlet
from hypervsim.powershell.cmdlets.hyperv_objects import vhd_object
from hypervsim.powershell.cmdlets.world_bridge import (
    HYPERV_MODULE,
    as_bool,
    each_with_result,
    flatten,
    hyperv_host,
    report,
    strings,
    unwrap,
)
from hypervsim.powershell.values import PSChar, to_string
from hypervsim.world.errors import WorldError
from hypervsim.world.model import Computer
from hypervsim.world.records import Vhd

S = ParamKind.SWITCH
L = ParamKind.LIST
MiB = 1024**2
STORAGE = "Storage"
NS = "Microsoft.Management.Infrastructure.CimInstance#ROOT/Microsoft/Windows/Storage/"
NO_LETTER = PSChar("\0")
SYSTEM_DISK_SIZE = 1024**4


# ---- Mount-VHD / Dismount-VHD -----------------------------------------------------------------
@cmdlet(
    "Mount-VHD",
    Param("Path", L, position=0, from_pipeline=True),
    Param("ReadOnly", S),
    Param("NoDriveLetter", S),
    Param("Passthru", S),
    module=HYPERV_MODULE,
)
def mount_vhd(inv: Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    read_only = as_bool(inv.bound.get("ReadOnly", False))
    no_letter = as_bool(inv.bound.get("NoDriveLetter", False))
    mounted = each_with_result(
        inv,
        _paths(inv),
        lambda path: host.mount_vhd(path, read_only=read_only, no_drive_letter=no_letter),
        lambda _, disk: vhd_object(host, disk),
    )
    return list(mounted)


@cmdlet(
    "Dismount-VHD",
    Param("Path", L, position=0, from_pipeline=True),
    Param("DiskNumber"),
    Param("Passthru", S),
    module=HYPERV_MODULE,
)
def dismount_vhd(inv: Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    disks: list[Vhd] = []
    if inv.bound.get("DiskNumber") is not None:
        number = int(to_string(inv.bound["DiskNumber"]))
        found = host.mounted_disk(number)
        if found is None:
            report(
                inv,
                WorldError(
                    f"Failed to dismount the virtual disk.\nThe system failed to dismount the disk with number {number}: "
                    "The system cannot find the file specified. (0x80070002).",
                    reason="ObjectNotFound",
                    category="ObjectNotFound",
                    target=str(number),
                ),
            )
            return []
        disks.append(found)
    for path in _paths(inv):
        disk = host.vhd(path)
        if disk is None or disk.disk_number is None:
            report(
                inv,
                WorldError(
                    f"Failed to dismount the virtual disk.\nThe system failed to dismount '{path}': The virtual disk "
                    "is not attached. (0xC03A0015).",
                    reason="InvalidParameter",
                    category="InvalidArgument",
                    target=path,
                ),
            )
            continue
        disks.append(disk)
    for disk in disks:
        host.dismount_vhd(disk)
    return [vhd_object(host, d) for d in disks] if inv.bound.get("Passthru") else []


def _paths(inv: Invocation) -> list[str]:
    out: list[str] = []
    for v in flatten(inv.bound.get("Path")) or flatten(inv.input):
        obj = unwrap(v)
        if isinstance(obj, Vhd):
            out.append(obj.path)
        elif isinstance(v, PSObject) and v.has("Path"):
            out.append(to_string(v.get("Path")))
        elif isinstance(v, PSObject) and v.has("FullName"):
            out.append(to_string(v.get("FullName")))
        else:
            out.append(to_string(v))
    return out


# ---- the Storage module's view ----------------------------------------------------------------
def _layout(c: Computer, disk: Vhd | None) -> tuple[str, list[tuple[str, int, bool]]]:
    """(partition style, [(type, size, has the Windows volume)]) of a disk (None: disk 0)."""
    if disk is None:
        return "GPT", [
            ("System", 100 * MiB, False),
            ("Reserved", 16 * MiB, False),
            ("Basic", 0, True),
        ]
    if not c.disk_has_volume(disk):
        return "RAW", []
    image = c.os_image_of(disk)
    if image is not None and image.generation == 1:
        return "MBR", [("IFS", 500 * MiB, False), ("IFS", 0, True)]
    return "GPT", [("System", 100 * MiB, False), ("Reserved", 16 * MiB, False), ("Basic", 0, True)]


def _disks(c: Computer) -> list[tuple[int, Vhd | None]]:
    mounted = sorted(
        (d for d in c.vhds if d.disk_number is not None), key=lambda d: d.disk_number or 0
    )
    return [(0, None)] + [(d.disk_number or 0, d) for d in mounted]


def disk_object(c: Computer, number: int, disk: Vhd | None) -> PSObject:
    style, _ = _layout(c, disk)
    size = disk.size_bytes if disk is not None else SYSTEM_DISK_SIZE
    return PSObject(
        {
            "Number": number,
            "DiskNumber": number,
            "FriendlyName": "Msft Virtual Disk" if disk is not None else "Local Disk",
            "Location": disk.path if disk is not None else "",
            "Path": f"\\\\?\\disk#{number}",
            "Size": size,
            "PartitionStyle": style,
            "OperationalStatus": "Online",
            "HealthStatus": "Healthy",
            "IsOffline": False,
            "IsReadOnly": bool(disk is not None and disk.mounted_read_only),
            "IsSystem": disk is None,
            "IsBoot": disk is None,
            "BusType": "File Backed Virtual" if disk is not None else "SAS",
            "NumberOfPartitions": len(_layout(c, disk)[1]),
        },
        [NS + "MSFT_Disk", "System.Object"],
        ref=disk,
    )


def partition_objects(c: Computer, number: int, disk: Vhd | None) -> list[PSObject]:
    _, parts = _layout(c, disk)
    total = disk.size_bytes if disk is not None else SYSTEM_DISK_SIZE
    fixed = sum(size for _, size, _ in parts)
    out = []
    for i, (kind, size, windows) in enumerate(parts, start=1):
        letter = (
            "C" if disk is None and windows else (disk.drive_letter if disk and windows else None)
        )
        out.append(
            PSObject(
                {
                    "DiskNumber": number,
                    "PartitionNumber": i,
                    "Number": i,
                    "DriveLetter": PSChar(letter) if letter else NO_LETTER,
                    "AccessPaths": [f"{letter}:\\"] if letter else [],
                    "Type": kind,
                    "Size": size or total - fixed - MiB,
                    "Offset": MiB,
                    "IsReadOnly": bool(disk is not None and disk.mounted_read_only),
                    "IsOffline": False,
                    "IsSystem": kind == "System",
                    "IsBoot": windows and disk is None,
                    "IsHidden": kind == "Reserved",
                },
                [NS + "MSFT_Partition", "System.Object"],
                ref=(c, number, disk, windows),
            )
        )
    return out


def volume_object(c: Computer, disk: Vhd | None, size: int, windows: bool) -> PSObject:
    letter = "C" if disk is None else disk.drive_letter
    letter = letter if windows else None
    return PSObject(
        {
            "DriveLetter": PSChar(letter) if letter else None,
            "FileSystemLabel": "" if windows else "System",
            "FileSystem": "NTFS" if windows else "FAT32",
            "FileSystemType": "NTFS" if windows else "FAT32",
            "DriveType": "Fixed",
            "HealthStatus": "Healthy",
            "OperationalStatus": "OK",
            "Size": size,
            "SizeRemaining": size // 2,
            "Path": f"\\\\?\\Volume{{{c.world.new_id().lower()}}}\\",
        },
        [NS + "MSFT_Volume", "System.Object"],
    )


def _not_found(cls: str, prop: str, value: Any, command: str) -> WorldError:
    """The CIM cmdlets' "no objects found" error."""
    return WorldError(
        f"No {cls} objects found with property '{prop}' equal to '{value}'.  Verify the value of the "
        "property and retry.",
        reason=f"CmdletizationQuery_NotFound_{prop}",
        category="ObjectNotFound",
        exception_type="Microsoft.Management.Infrastructure.CimException",
        target=str(value),
        fqid=f"CmdletizationQuery_NotFound_{prop},{command}",
    )


def _numbers_from(inv: Invocation, param: str, props: tuple[str, ...]) -> list[int] | None:
    values = flatten(inv.bound.get(param))
    if not values:
        values = [
            v.get(p)
            for v in flatten(inv.input)
            if isinstance(v, PSObject)
            for p in props[:1]
            if v.has(p)
        ] or [
            v.get(p)
            for v in flatten(inv.input)
            if isinstance(v, PSObject)
            for p in props[1:2]
            if v.has(p)
        ]
    if not values:
        return None
    return [int(to_string(v)) for v in values if v is not None]


@cmdlet("Get-Disk", Param("Number", L, position=0, aliases=("DeviceId",)), module=STORAGE)
def get_disk(inv: Invocation) -> Iterable[Any]:
    c = inv.computer
    disks = dict(_disks(c))
    numbers = _numbers_from(inv, "Number", ("DiskNumber", "Number"))
    if numbers is None:
        return [disk_object(c, n, d) for n, d in disks.items()]
    out = []
    for n in numbers:
        if n not in disks:
            report(inv, _not_found("MSFT_Disk", "Number", n, "Get-Disk"))
            continue
        out.append(disk_object(c, n, disks[n]))
    return out


@cmdlet(
    "Get-Partition",
    Param("DiskNumber", L, position=0),
    Param("PartitionNumber", L),
    Param("DriveLetter", L),
    Param("Disk", L),
    module=STORAGE,
)
def get_partition(inv: Invocation) -> Iterable[Any]:
    c = inv.computer
    disks = dict(_disks(c))
    letters = [s.upper() for s in strings(inv.bound.get("DriveLetter"))]
    if letters:
        out = []
        for letter in letters:
            hits = [
                p
                for n, d in disks.items()
                for p in partition_objects(c, n, d)
                if to_string(p.get("DriveLetter")).upper() == letter
            ]
            if not hits:
                report(inv, _not_found("MSFT_Partition", "DriveLetter", letter, "Get-Partition"))
            out += hits
        return out
    numbers = _numbers_from(inv, "DiskNumber", ("Number", "DiskNumber"))
    if numbers is None:
        numbers = list(disks)
    wanted = {int(to_string(v)) for v in flatten(inv.bound.get("PartitionNumber"))}
    out = []
    for n in numbers:
        if n not in disks:
            report(inv, _not_found("MSFT_Disk", "Number", n, "Get-Partition"))
            continue
        parts = [
            p
            for p in partition_objects(c, n, disks[n])
            if not wanted or p.get("PartitionNumber") in wanted
        ]
        if not parts and inv.bound.get("DiskNumber") is not None:
            report(inv, _not_found("MSFT_Partition", "DiskNumber", n, "Get-Partition"))
        out += parts
    return out


@cmdlet(
    "Get-Volume",
    Param("DriveLetter", L, position=0),
    Param("Partition", L, from_pipeline=True),
    Param("FileSystemLabel", L),
    module=STORAGE,
)
def get_volume(inv: Invocation) -> Iterable[Any]:
    c = inv.computer
    disks = dict(_disks(c))
    letters = [s.upper() for s in strings(inv.bound.get("DriveLetter"))]
    out = []
    parts = [v for v in flatten(inv.bound.get("Partition") or inv.input) if isinstance(v, PSObject)]
    if parts:
        for p in parts:
            _, _number, disk, windows = p.ref
            if p.get("Type") == "Reserved":
                continue  # the Microsoft reserved partition has no volume
            out.append(volume_object(c, disk, int(to_string(p.get("Size"))), windows))
        return out
    for n, d in disks.items():
        for p in partition_objects(c, n, d):
            letter = to_string(p.get("DriveLetter")).upper()
            if letters and letter not in letters:
                continue
            if p.get("Type") != "Reserved" and (p.ref[3] or not letters):
                out.append(volume_object(c, d, int(to_string(p.get("Size"))), p.ref[3]))
    for letter in letters:
        if not any(to_string(v.get("DriveLetter")).upper() == letter for v in out):
            report(inv, _not_found("MSFT_Volume", "DriveLetter", letter, "Get-Volume"))
    return out
