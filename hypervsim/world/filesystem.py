"""Files and directories of a Computer, and of the Windows volumes inside its disk files.

A `Volume` is a flat map from a lower-cased volume-relative path ("\\images\\a.txt") to an
`FsEntry`. The Computer's C: drive is its `files` volume; a mounted disk's drive letter shows
that disk's volume, read through its parent chain (a differencing child overlays its parent,
with `deleted` entries hiding the parent's files) and written into the child only.

Disk files (.vhd/.vhdx) are not FsEntries: they are the Computer's `Vhd` records (their path,
file size and content identity), listed and copied here like any file. Text content is kept as
text plus its encoding, binary content as base64, large opaque files (ISOs) by size and a content
identity only, so the state file stays small.

Errors are PowerShell's FileSystem provider texts; `reason` is the first part of the
FullyQualifiedErrorId (the cmdlet adds ",<its class>").
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from hypervsim.world.errors import WorldError
from hypervsim.world.host_services import HostServices

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.world.records import Vhd

DISK_EXTENSIONS = (".vhd", ".vhdx", ".avhdx")
# Windows PowerShell 5.1 encodings: what each writes in front of the text, and its codec.
ENCODINGS: dict[str, tuple[bytes, str]] = {
    "ascii": (b"", "ascii"),
    "default": (b"", "cp1252"),
    "oem": (b"", "cp437"),
    "utf8": (b"\xef\xbb\xbf", "utf-8"),
    "utf8nobom": (b"", "utf-8"),
    "utf8bom": (b"\xef\xbb\xbf", "utf-8"),
    "unicode": (b"\xff\xfe", "utf-16-le"),
    "bigendianunicode": (b"\xfe\xff", "utf-16-be"),
    "utf32": (b"\xff\xfe\x00\x00", "utf-32-le"),
    "string": (b"\xff\xfe", "utf-16-le"),
}
IN_USE = "The process cannot access the file '{0}' because it is being used by another process."


def _now() -> str:
    return dt.datetime.now().isoformat(timespec="seconds")


class FsEntry(BaseModel):
    """A directory or file (or, in a differencing disk's volume, a deleted marker)."""

    path: str  # as created, without drive: "\\Images\\a.txt"
    is_dir: bool = False
    text: str | None = None  # text content, written with `encoding`
    encoding: str = "utf8nobom"
    data_b64: str | None = None  # binary content
    size: int = 0  # length of an opaque file (no stored content)
    content_id: str = ""  # identity of opaque content (its hash derives from it)
    modified: str = Field(default_factory=_now)
    deleted: bool = False

    def raw(self) -> bytes | None:
        """The file's bytes, or None for an opaque file."""
        if self.text is not None:
            bom, codec = ENCODINGS.get(self.encoding, (b"", "utf-8"))
            return bom + self.text.encode(codec, errors="replace")
        if self.data_b64 is not None:
            return base64.b64decode(self.data_b64)
        return None

    @property
    def length(self) -> int:
        data = self.raw()
        return len(data) if data is not None else self.size


class Volume(BaseModel):
    """A file system (NTFS volume): entries keyed by lower-case path; the root always exists."""

    entries: dict[str, FsEntry] = Field(default_factory=dict)


def key_of(rel: str) -> str:
    return rel.lower()


def parent_of(rel: str) -> str:
    head = rel.rsplit("\\", 1)[0]
    return head or "\\"


def leaf_of(rel: str) -> str:
    return rel.rsplit("\\", 1)[-1]


@dataclass
class FsPath:
    """A parsed absolute path: drive letter (upper case) and the volume-relative path."""

    drive: str
    rel: str  # "\\" for the root, else "\\a\\b" (no trailing separator)

    @property
    def full(self) -> str:
        return f"{self.drive}:{self.rel}" if self.rel != "\\" else f"{self.drive}:\\"


def parse_path(path: str, cwd: str = "C:\\") -> FsPath:
    """`C:\\a/b\\..\\c` -> FsPath('C', '\\a\\c'); relative paths resolve against `cwd`."""
    text = path.replace("/", "\\")
    for prefix in ("Microsoft.PowerShell.Core\\FileSystem::", "FileSystem::"):
        if text.lower().startswith(prefix.lower()):
            text = text[len(prefix) :]
    if len(text) >= 2 and text[1] == ":":
        drive, rest = text[0].upper(), text[2:]
        if not rest.startswith("\\"):
            rest = "\\" + rest
    elif text.startswith("\\"):
        drive, rest = cwd[:1].upper() or "C", text
    else:
        base = parse_path(cwd) if cwd else FsPath("C", "\\")
        drive, rest = base.drive, base.rel.rstrip("\\") + "\\" + text
    parts: list[str] = []
    for part in rest.split("\\"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part.rstrip(" ."))
    return FsPath(drive, "\\" + "\\".join(parts))


def _err(
    message: str, reason: str, category: str, exc: str, target: str | None = None
) -> WorldError:
    return WorldError(message, reason=reason, category=category, exception_type=exc, target=target)


def not_found(path: str) -> WorldError:
    return _err(
        f"Cannot find path '{path}' because it does not exist.",
        "PathNotFound",
        "ObjectNotFound",
        "System.Management.Automation.ItemNotFoundException",
        path,
    )


def part_not_found(path: str, reason: str) -> WorldError:
    return _err(
        f"Could not find a part of the path '{path}'.",
        reason,
        {"NewItemIOError": "WriteError", "FileOpenFailure": "OpenError"}.get(
            reason, "ObjectNotFound"
        ),
        "System.IO.DirectoryNotFoundException",
        path,
    )


def file_exists(path: str) -> WorldError:
    """New-Item -ItemType File on a file that is there (Windows' NewItemIOError)."""
    return _err(
        f"The file '{path}' already exists.",
        "NewItemIOError",
        "WriteError",
        "System.IO.IOException",
        path,
    )


def item_exists(name: str, target: str) -> WorldError:
    """New-Item -ItemType Directory on an item that is there (Windows' DirectoryExist)."""
    return _err(
        f"An item with the specified name {name} already exists.",
        "DirectoryExist",
        "ResourceExists",
        "System.IO.IOException",
        target,
    )


def in_use(path: str, reason: str, prefix: str = "") -> WorldError:
    return _err(prefix + IN_USE.format(path), reason, "WriteError", "System.IO.IOException", path)


class View:
    """Read/write access to one drive: a stack of volumes, the first the one written to."""

    def __init__(
        self,
        drive: str,
        layers: list[Volume],
        disk: Vhd | None = None,
        read_only: bool = False,
    ) -> None:
        self.drive = drive
        self.layers = layers
        self.disk = disk  # the disk whose volume this is (None for C:)
        self.read_only = read_only

    def get(self, rel: str) -> FsEntry | None:
        if rel == "\\":
            return FsEntry(path="\\", is_dir=True)
        for layer in self.layers:
            hit = layer.entries.get(key_of(rel))
            if hit is not None:
                return None if hit.deleted else hit
        return None

    def children(self, rel: str) -> list[FsEntry]:
        prefix = "\\" if rel == "\\" else key_of(rel) + "\\"
        seen: dict[str, FsEntry | None] = {}
        for layer in self.layers:
            for k, e in layer.entries.items():
                if k.startswith(prefix) and "\\" not in k[len(prefix) :] and k not in seen:
                    seen[k] = None if e.deleted else e
        return [e for e in seen.values() if e is not None]

    def put(self, entry: FsEntry) -> None:
        self.layers[0].entries[key_of(entry.path)] = entry

    def delete(self, rel: str) -> None:
        top = self.layers[0].entries
        if any(key_of(rel) in layer.entries for layer in self.layers[1:]):
            top[key_of(rel)] = FsEntry(path=rel, deleted=True)
        else:
            top.pop(key_of(rel), None)


@dataclass
class Item:
    """What Get-Item sees: a directory, a file, or a disk file (a `Vhd`)."""

    full: str
    name: str
    is_dir: bool
    length: int
    modified: str
    entry: FsEntry | None = None
    disk: Vhd | None = None


class FileSystem(HostServices):
    """The file system of a Computer (mixed into `Computer`; `files` is its C: volume)."""

    # ---- resolution -------------------------------------------------------------------------
    def view(self, drive: str) -> View | None:
        """The drive `drive`: C: is this machine's volume, others are mounted disks' volumes."""
        if drive == "C":
            return View("C", [self.files])
        for disk in self.vhds:
            if disk.drive_letter and disk.drive_letter.upper() == drive:
                return View(drive, self.disk_volume_layers(disk), disk, disk.mounted_read_only)
        return None

    def _resolve(self, path: str, cwd: str) -> tuple[FsPath, View]:
        p = parse_path(path, cwd)
        v = self.view(p.drive)
        if v is None:
            raise _err(
                f"Cannot find drive. A drive with the name '{p.drive}' does not exist.",
                "DriveNotFound",
                "ObjectNotFound",
                "System.Management.Automation.DriveNotFoundException",
                p.drive,
            )
        return p, v

    def _disk_at(self, p: FsPath) -> Vhd | None:
        return self.vhd(p.full) if p.drive == "C" else None

    def fs_item(self, path: str, cwd: str = "C:\\") -> Item | None:
        """The item at `path`, or None."""
        p, v = self._resolve(path, cwd)
        disk = self._disk_at(p)
        if disk is not None:
            return Item(
                disk.path, leaf_of(disk.path), False, disk.file_size, disk.modified, disk=disk
            )
        e = v.get(p.rel)
        if e is None:
            return None
        name = leaf_of(e.path) if p.rel != "\\" else f"{p.drive}:\\"
        return Item(p.full, name, e.is_dir, 0 if e.is_dir else e.length, e.modified, entry=e)

    def fs_require(self, path: str, cwd: str = "C:\\") -> Item:
        item = self.fs_item(path, cwd)
        if item is None:
            raise not_found(parse_path(path, cwd).full if ":" in path else path)
        return item

    def fs_children(self, path: str, cwd: str = "C:\\") -> list[Item]:
        """The items in a directory, directories first then files, each by name."""
        p, v = self._resolve(path, cwd)
        out: list[Item] = []
        for e in v.children(p.rel):
            full = f"{p.drive}:{e.path}"
            out.append(
                Item(full, leaf_of(e.path), e.is_dir, 0 if e.is_dir else e.length, e.modified, e)
            )
        if p.drive == "C":
            here = key_of(p.full.rstrip("\\"))
            for disk in self.vhds:
                if key_of(disk.path.rsplit("\\", 1)[0]) == here:
                    out.append(
                        Item(
                            disk.path,
                            leaf_of(disk.path),
                            False,
                            disk.file_size,
                            disk.modified,
                            disk=disk,
                        )
                    )
        return sorted(out, key=lambda i: (not i.is_dir, i.name.lower()))

    def fs_walk(self, path: str, cwd: str = "C:\\") -> list[Item]:
        """Every item below a directory (Get-ChildItem -Recurse order: each dir's items, then
        the items of its subdirectories)."""
        out: list[Item] = []
        for item in self.fs_children(path, cwd):
            out.append(item)
            if item.is_dir:
                out += self.fs_walk(item.full)
        return out

    # ---- changes ----------------------------------------------------------------------------
    def _writable(self, v: View, reason: str) -> None:
        if v.disk is None:
            return
        if v.read_only:
            raise _err(
                "The media is write protected.",
                reason,
                "WriteError",
                "System.IO.IOException",
                f"{v.drive}:\\",
            )
        self.disk_write_refusal(v.disk, reason)

    def _changed(self, v: View, grown: int) -> None:
        if v.disk is not None:
            self.disk_written(v.disk, grown)

    def fs_mkdir(self, path: str, cwd: str = "C:\\", force: bool = False) -> Item:
        """New-Item -ItemType Directory: parents are created too; an existing one is an error
        without -Force (and with it, returned as it is)."""
        p, v = self._resolve(path, cwd)
        existing = v.get(p.rel) if self._disk_at(p) is None else None
        if existing is not None or self._disk_at(p) is not None:
            if existing is not None and existing.is_dir and force:
                return self.fs_require(p.full)
            raise item_exists(p.full, p.full)
        self._writable(v, "CreateDirectoryIOError")
        parts = p.rel.strip("\\").split("\\")
        for i in range(1, len(parts) + 1):
            rel = "\\" + "\\".join(parts[:i])
            e = v.get(rel)
            if e is None:
                v.put(FsEntry(path=rel, is_dir=True))
            elif not e.is_dir:
                raise item_exists(f"{p.drive}:{rel}", p.full)
        self._changed(v, 0)
        return self.fs_require(p.full)

    def fs_write(
        self,
        path: str,
        content: str | bytes,
        *,
        cwd: str = "C:\\",
        encoding: str = "default",
        append: bool = False,
        reason: str = "GetContentWriterDirectoryNotFoundError",
        create_only: bool = False,
    ) -> Item:
        """Set-/Add-Content, Out-File, New-Item -ItemType File: the directory must exist."""
        p, v = self._resolve(path, cwd)
        disk = self._disk_at(p)
        if disk is not None and (
            create_only or self.disk_busy(disk) or self.disk_has_busy_children(disk)
        ):
            if create_only:
                raise file_exists(p.full)
            if self.disk_busy(disk) or self.disk_has_busy_children(disk):
                raise in_use(disk.path, reason.replace("DirectoryNotFound", "IO"))
        if disk is not None:
            # A disk file nobody holds open is overwritten like any file (it is no disk after).
            self.vhds.remove(disk)
        parent = v.get(parent_of(p.rel))
        if parent is None or not parent.is_dir:
            raise part_not_found(p.full, reason)
        old = v.get(p.rel)
        if old is not None and old.is_dir:
            raise _err(
                f"Access to the path '{p.full}' is denied.",
                "GetContentWriterUnauthorizedAccessError",
                "PermissionDenied",
                "System.UnauthorizedAccessException",
                p.full,
            )
        if create_only and old is not None:
            raise file_exists(p.full)
        self._writable(v, reason)
        enc = encoding.lower().replace("-", "")
        if enc not in ENCODINGS:
            enc = "default"
        entry = FsEntry(path=p.rel if old is None else old.path)
        if isinstance(content, bytes):
            prior = (old.raw() or b"") if (append and old is not None) else b""
            entry.data_b64 = base64.b64encode(prior + content).decode("ascii")
        elif append and old is not None and old.text is not None:
            entry.text, entry.encoding = old.text + content, old.encoding
        else:
            entry.text, entry.encoding = content, enc
        v.put(entry)
        self._changed(v, entry.length)
        return self.fs_require(p.full)

    def fs_read(self, path: str, cwd: str = "C:\\") -> str | bytes:
        """File content: text as written (decoded), or bytes."""
        item = self.fs_require(path, cwd)
        if item.is_dir:
            raise _err(
                f"Unable to get content because it is a directory: '{item.full}'. Please use "
                "'Get-ChildItem' instead.",
                "GetContentReaderUnauthorizedAccessError",
                "PermissionDenied",
                "System.UnauthorizedAccessException",
                item.full,
            )
        if item.disk is not None:
            self._check_readable(item.disk, "GetContentReaderIOError")
            return hashlib.sha256(item.disk.content_id.encode()).digest()
        assert item.entry is not None
        if item.entry.text is not None:
            return item.entry.text
        raw = item.entry.raw()
        return raw if raw is not None else b""

    def _check_readable(self, disk: Vhd, reason: str) -> None:
        if self.disk_busy(disk):
            raise in_use(disk.path, reason)

    def fs_hash(self, path: str, algorithm: str = "SHA256", cwd: str = "C:\\") -> str:
        """Get-FileHash: upper-case hex; a disk's or opaque file's from its content identity."""
        item = self.fs_require(path, cwd)
        if item.is_dir:
            raise not_found(item.full)
        algo = algorithm.lower().replace("-", "")
        if item.disk is not None:
            self._check_readable(item.disk, "FileReadError")
            data = ("disk:" + item.disk.content_id).encode()
        else:
            assert item.entry is not None
            raw = item.entry.raw()
            data = raw if raw is not None else ("file:" + item.entry.content_id).encode()
        return hashlib.new(algo, data).hexdigest().upper()

    def fs_remove(self, path: str, cwd: str = "C:\\", recurse: bool = False) -> None:
        """Remove-Item: a directory with children needs -Recurse; a busy disk is refused."""
        p, v = self._resolve(path, cwd)
        disk = self._disk_at(p)
        reason = "RemoveFileSystemItemIOError"
        if disk is not None:
            if self.disk_busy(disk) or self.disk_has_busy_children(disk):
                raise in_use(disk.path, reason, f"Cannot remove item {disk.path}: ")
            self.vhds.remove(disk)
            return
        e = v.get(p.rel)
        if e is None or p.rel == "\\":
            raise not_found(p.full)
        if e.is_dir:
            below = self.fs_walk(p.full)
            if below and not recurse:
                # Remove-Item asks to confirm; a remote (non-interactive) host cannot prompt.
                raise _err(
                    "Windows PowerShell is in NonInteractive mode. Read and Prompt functionality "
                    "is not available.",
                    "HostFunctionPromptNotImplemented",
                    "NotImplemented",
                    "System.Management.Automation.Host.HostException",
                    p.full,
                )
            for item in below:
                if item.disk is not None and (
                    self.disk_busy(item.disk) or self.disk_has_busy_children(item.disk)
                ):
                    raise in_use(item.disk.path, reason, f"Cannot remove item {item.disk.path}: ")
        self._writable(v, reason)
        if e.is_dir:
            for item in reversed(self.fs_walk(p.full)):
                if item.disk is not None:
                    self.vhds.remove(item.disk)
                else:
                    v.delete(parse_path(item.full).rel)
        v.delete(p.rel)
        self._changed(v, 0)

    def fs_copy(
        self,
        src: str,
        dst: str,
        *,
        cwd: str = "C:\\",
        target: FileSystem | None = None,
        recurse: bool = False,
        reason: str = "CopyItemIOError",
    ) -> Item:
        """Copy-Item (also across machines: `target`): into an existing directory it keeps its
        name; an existing file is overwritten; a disk copy is an independent disk with the
        same content identity."""
        dest_fs = target or self
        item = self.fs_require(src, cwd)
        dp, dv = dest_fs._resolve(dst, cwd)
        existing = dest_fs.fs_item(dp.full)
        if existing is not None and existing.is_dir:
            dp = parse_path(dp.full.rstrip("\\") + "\\" + item.name)
            existing = dest_fs.fs_item(dp.full)
        parent = dv.get(parent_of(dp.rel))
        if parent is None or not parent.is_dir:
            raise part_not_found(dp.full, "System.IO.DirectoryNotFoundException")
        if existing is not None and existing.disk is not None:
            if dest_fs.disk_busy(existing.disk) or dest_fs.disk_has_busy_children(existing.disk):
                raise in_use(existing.disk.path, reason)
        if item.disk is not None:
            self._check_readable(item.disk, reason)
        dest_fs._writable(dv, reason)
        if item.is_dir:
            if existing is None:
                dv.put(FsEntry(path=dp.rel, is_dir=True))
            if recurse:
                for child in self.fs_children(item.full):
                    self.fs_copy(child.full, dp.full, target=dest_fs, recurse=True)
        elif item.disk is not None and dp.drive == "C":
            if existing is not None and existing.disk is not None:
                dest_fs.vhds.remove(existing.disk)
            elif existing is not None:
                dv.delete(dp.rel)
            dest_fs.vhds.append(self.copied_disk(item.disk, dp.full))
        else:
            if existing is not None and existing.disk is not None:
                dest_fs.vhds.remove(existing.disk)
            assert item.entry is not None or item.disk is not None
            if item.entry is not None:
                entry = item.entry.model_copy(deep=True)
                entry.path = dp.rel
                entry.modified = _now()
            else:
                assert item.disk is not None
                entry = FsEntry(
                    path=dp.rel, size=item.disk.file_size, content_id=item.disk.content_id
                )
            dv.put(entry)
            dest_fs._changed(dv, entry.length)
        return dest_fs.fs_require(dp.full)

    def copied_disk(self, disk: Vhd, path: str) -> Vhd:
        """An independent copy of a disk file at `path` (same content, nothing attached)."""
        twin = copy.deepcopy(disk)
        twin.path = path
        twin.attached_to = None
        twin.disk_number = None
        twin.drive_letter = None
        twin.mounted_read_only = False
        twin.modified = _now()
        return twin

    def fs_move(self, src: str, dst: str, cwd: str = "C:\\") -> Item:
        """Move-Item: the destination must not exist (or be a directory to move into)."""
        item = self.fs_require(src, cwd)
        dp, dv = self._resolve(dst, cwd)
        existing = self.fs_item(dp.full)
        if existing is not None and existing.is_dir:
            dp = parse_path(dp.full.rstrip("\\") + "\\" + item.name)
            existing = self.fs_item(dp.full)
        if existing is not None:
            raise _err(
                "Cannot create a file when that file already exists.",
                "MoveFileInfoItemIOError" if not item.is_dir else "MoveDirectoryItemIOError",
                "WriteError",
                "System.IO.IOException",
                item.full,
            )
        parent = dv.get(parent_of(dp.rel))
        if parent is None or not parent.is_dir:
            raise part_not_found(dp.full, "MoveFileInfoItemIOError")
        if item.disk is not None and (
            self.disk_busy(item.disk) or self.disk_has_busy_children(item.disk)
        ):
            raise in_use(item.disk.path, "MoveFileInfoItemIOError")
        self.fs_copy(item.full, dp.full, recurse=True)
        self.fs_remove(item.full, recurse=True)
        return self.fs_require(dp.full)


def default_volume(*dirs: str) -> Volume:
    """A volume with these directories (and their parents)."""
    vol = Volume()
    for d in dirs:
        parts = d.strip("\\").split("\\")
        for i in range(1, len(parts) + 1):
            rel = "\\" + "\\".join(parts[:i])
            vol.entries.setdefault(key_of(rel), FsEntry(path=rel, is_dir=True))
    return vol


WINDOWS_DIRS = (
    "\\Users\\Administrator\\Documents",
    "\\Windows\\System32\\Sysprep",
    "\\Windows\\Panther",
    "\\Windows\\Temp",
    "\\Users\\Public",
    "\\Program Files",
    "\\ProgramData\\Microsoft\\Windows\\Hyper-V",
    "\\ProgramData\\Microsoft\\Windows\\Virtual Hard Disks",
)
