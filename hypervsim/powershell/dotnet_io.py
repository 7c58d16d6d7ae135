"""[System.IO.Path], [System.IO.File] and [System.IO.Directory] on the emulated file system,
and the StreamReader / FileStream that File.OpenText / OpenWrite return.

Path methods are string operations with .NET's rules; File and Directory read and write the
running computer's files through the world's FileSystem API and fail with .NET's exception
texts ("Exception calling "ReadAllText" with "1" argument(s): "Could not find file ...""),
which differ from the FileSystem provider's texts the cmdlets use.
"""

from __future__ import annotations

import random
import string
from typing import Any

from hypervsim.powershell.members import MemberContext, MemberError, dotnet_failure
from hypervsim.powershell.types import to_number
from hypervsim.powershell.values import (
    NO_SUCH_METHOD,
    NOTHING,
    DotNetObject,
    EncodingValue,
    to_string,
)
from hypervsim.world.errors import WorldError
from hypervsim.world.filesystem import parse_path

_IO = "System.IO."


def _text(value: Any) -> str:
    return to_string(value).replace("/", "\\")


def _rooted(path: str) -> bool:
    return path.startswith("\\") or (len(path) >= 2 and path[1] == ":")


def _leaf(path: str) -> str:
    return path.rsplit("\\", 1)[-1].split(":")[-1]


def _path_call(lowered: str, args: list[Any], ctx: MemberContext) -> Any:
    a = [None if x is None else _text(x) for x in args]
    if lowered == "combine":
        parts: list[Any] = args[0] if len(args) == 1 and isinstance(args[0], list) else args
        out = ""
        for part in (_text(p) for p in parts):
            if not part:
                continue
            out = part if _rooted(part) or not out else out.rstrip("\\") + "\\" + part
        return out
    if lowered == "getfilename":
        return None if a[0] is None else _leaf(a[0])
    if lowered == "getextension":
        if a[0] is None:
            return None
        leaf = _leaf(a[0])
        return "" if "." not in leaf or leaf.endswith(".") else "." + leaf.rsplit(".", 1)[1]
    if lowered == "getfilenamewithoutextension":
        if a[0] is None:
            return None
        leaf = _leaf(a[0])
        return leaf.rsplit(".", 1)[0] if "." in leaf else leaf
    if lowered == "getdirectoryname":
        path = a[0]
        if path is None or (path.rstrip("\\") in ("", path[:2]) and path[1:2] == ":"):
            return None
        head = path.rsplit("\\", 1)[0] if "\\" in path else ""
        return head + "\\" if len(head) == 2 and head[1] == ":" else head
    if lowered == "getpathroot":
        path = a[0] or ""
        return path[:3] if len(path) >= 3 and path[1] == ":" and path[2] == "\\" else path[:2]
    if lowered == "ispathrooted":
        return _rooted(a[0] or "")
    if lowered == "hasextension":
        return "." in _leaf(a[0] or "")
    if lowered == "changeextension":
        path, ext = a[0] or "", a[1] or ""
        stem = path.rsplit(".", 1)[0] if "." in _leaf(path) else path
        return stem + ("" if not ext else ext if ext.startswith(".") else "." + ext)
    if lowered == "gettemppath":
        return ctx.env.get("TMP", ctx.env.get("TEMP", "C:\\Windows\\TEMP")).rstrip("\\") + "\\"
    if lowered == "getrandomfilename":
        chars = string.ascii_lowercase + string.digits
        name = "".join(random.choices(chars, k=8))
        return name + "." + "".join(random.choices(chars, k=3))
    if lowered == "gettempfilename":
        temp = _path_call("gettemppath", [], ctx)
        name = f"{temp}tmp{random.randrange(0x10000):X}.tmp"
        _fs(ctx).fs_write(name, "", encoding="utf8nobom")
        return name
    if lowered == "getfullpath":
        return parse_path(a[0] or "", _cwd(ctx)).full
    return NO_SUCH_METHOD


def _path_get(lowered: str, ctx: MemberContext) -> Any:
    separators = {
        "directoryseparatorchar": "\\",
        "altdirectoryseparatorchar": "/",
        "pathseparator": ";",
        "volumeseparatorchar": ":",
    }
    return separators.get(lowered, NO_SUCH_METHOD)


def _fs(ctx: MemberContext) -> Any:
    if ctx.computer is None:  # pragma: no cover - every session runs on a computer
        raise MemberError("No file system.", "NotSupported")
    return ctx.computer


def _cwd(ctx: MemberContext) -> str:
    """.NET resolves relative paths against the process's directory, not PowerShell's $PWD:
    a remote session's process starts in the user's Documents folder."""
    return ctx.env.get("USERPROFILE", "C:\\Users\\Administrator") + "\\Documents"


def _full(ctx: MemberContext, value: Any) -> str:
    return parse_path(_text(value), _cwd(ctx)).full


def _file_fault(method: str, args: list[Any], message: str, kind: str) -> MemberError:
    return dotnet_failure(method, args, message, _IO + kind)


def _checked_file(
    ctx: MemberContext, method: str, args: list[Any], must_exist: bool
) -> tuple[str, Any]:
    """(path, item or None) of the file at args[0], with .NET's errors: its folder missing,
    the file missing (when `must_exist`), or the path a directory."""
    path = _full(ctx, args[0])
    fs = _fs(ctx)
    item = fs.fs_item(path)
    if item is None:
        parent = path.rsplit("\\", 1)[0] or path
        if fs.fs_item(parent if len(parent) > 2 else parent + "\\") is None:
            raise _file_fault(
                method,
                args,
                f"Could not find a part of the path '{path}'.",
                "DirectoryNotFoundException",
            )
        if must_exist:
            raise _file_fault(
                method, args, f"Could not find file '{path}'.", "FileNotFoundException"
            )
    elif item.is_dir:
        raise dotnet_failure(
            method,
            args,
            f"Access to the path '{path}' is denied.",
            "System.UnauthorizedAccessException",
        )
    return path, item


def _encoding(value: Any) -> str:
    if isinstance(value, EncodingValue):
        return value.name.lower()
    return "utf8nobom"


def _bytes_of(item: Any, fs: Any, path: str) -> bytes:
    if item.entry is not None:
        raw = item.entry.raw()
        return raw if raw is not None else b""
    data = fs.fs_read(path)
    return data if isinstance(data, bytes) else data.encode("utf-8")


def _decode(data: bytes) -> str:
    for bom, codec in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace")
    return data.decode("utf-8", errors="replace")


class StreamReader(DotNetObject):
    """File.OpenText's reader over the file's text as it was when opened."""

    type_name = _IO + "StreamReader"

    def __init__(self, text: str) -> None:
        self.lines = text.replace("\r\n", "\n").splitlines()
        self.position = 0

    def properties(self) -> dict[str, Any]:
        return {"EndOfStream": self.position >= len(self.lines)}

    def call(self, lowered: str, args: list[Any], ctx: Any) -> Any:
        if lowered == "readline" and not args:
            if self.position >= len(self.lines):
                return None
            self.position += 1
            return self.lines[self.position - 1]
        if lowered == "readtoend" and not args:
            rest = "\r\n".join(self.lines[self.position :])
            self.position = len(self.lines)
            return rest
        if lowered in ("close", "dispose") and not args:
            return NOTHING
        return NO_SUCH_METHOD


class FileStream(DotNetObject):
    """File.OpenWrite's stream: writes from position 0 over the existing bytes (OpenWrite does
    not truncate); they reach the file on Flush / Close / Dispose."""

    type_name = _IO + "FileStream"

    def __init__(self, fs: Any, path: str, old: bytes) -> None:
        self.fs, self.path, self.old = fs, path, old
        self.written = bytearray()

    def properties(self) -> dict[str, Any]:
        return {"Name": self.path, "Position": len(self.written)}

    def call(self, lowered: str, args: list[Any], ctx: Any) -> Any:
        if lowered == "write" and len(args) == 3:
            data = args[0]
            chunk = (
                bytes(data)
                if isinstance(data, bytes | bytearray)
                else bytes(int(to_number(b)) & 0xFF for b in data)
            )
            start = int(to_number(args[1]))
            self.written.extend(chunk[start : start + int(to_number(args[2]))])
            return NOTHING
        if lowered in ("flush", "close", "dispose") and not args:
            self.fs.fs_write(self.path, bytes(self.written) + self.old[len(self.written) :])
            return NOTHING
        return NO_SUCH_METHOD


def _open(lowered: str, method: str, args: list[Any], ctx: MemberContext) -> Any:
    """File.OpenText (the file must exist) / File.OpenWrite (created when missing)."""
    fs = _fs(ctx)
    path, item = _checked_file(ctx, method, args, must_exist=lowered == "opentext")
    if lowered == "opentext":
        return StreamReader(_decode(_bytes_of(item, fs, path)))
    if item is None:
        fs.fs_write(path, b"", reason="FileOpenFailure")
        return FileStream(fs, path, b"")
    return FileStream(fs, path, _bytes_of(item, fs, path))


def _file_call(lowered: str, args: list[Any], ctx: MemberContext) -> Any:
    method = {
        "opentext": "OpenText",
        "openwrite": "OpenWrite",
        "exists": "Exists",
        "readalltext": "ReadAllText",
        "readalllines": "ReadAllLines",
        "readallbytes": "ReadAllBytes",
        "writealltext": "WriteAllText",
        "writeallbytes": "WriteAllBytes",
        "writealllines": "WriteAllLines",
        "appendalltext": "AppendAllText",
        "delete": "Delete",
    }.get(lowered)
    if method is None or not args:
        return NO_SUCH_METHOD
    fs = _fs(ctx)
    if lowered == "exists":
        return _exists(ctx, args[0], directory=False)
    try:
        if lowered in ("opentext", "openwrite"):
            return _open(lowered, method, args, ctx)
        if lowered in ("readalltext", "readalllines", "readallbytes"):
            path, item = _checked_file(ctx, method, args, must_exist=True)
            data = _bytes_of(item, fs, path)
            if lowered == "readallbytes":
                return data
            text = _decode(data)
            return text if lowered == "readalltext" else text.replace("\r\n", "\n").splitlines()
        if lowered == "delete":
            path, item = _checked_file(ctx, method, args, must_exist=False)
            if item is None:
                return None  # deleting a missing file is no error in .NET
            fs.fs_remove(path)
            return None
        if len(args) < 2:
            return NO_SUCH_METHOD
        path = _full(ctx, args[0])
        if lowered == "writeallbytes":
            data = args[1]
            payload = (
                bytes(data)
                if isinstance(data, bytes | bytearray)
                else bytes(
                    int(to_number(b)) & 0xFF for b in (data if isinstance(data, list) else [data])
                )
            )
            fs.fs_write(path, payload, reason="FileOpenFailure")
            return None
        if lowered == "writealllines":
            lines = args[1] if isinstance(args[1], list) else [args[1]]
            text = "".join(to_string(line) + "\r\n" for line in lines)
            fs.fs_write(
                path,
                text,
                encoding=_encoding(args[2] if len(args) > 2 else None),
                reason="FileOpenFailure",
            )
            return None
        text = to_string(args[1])
        encoding = _encoding(args[2] if len(args) > 2 else None)
        if lowered == "appendalltext":
            item = fs.fs_item(path)
            if item is not None and item.entry is not None and item.entry.text is None:
                fs.fs_write(path, text.encode("utf-8"), append=True, reason="FileOpenFailure")
            else:
                fs.fs_write(path, text, encoding=encoding, append=True, reason="FileOpenFailure")
            return None
        fs.fs_write(path, text, encoding=encoding, reason="FileOpenFailure")
        return None
    except WorldError as err:
        raise dotnet_failure(method, args, err.message, err.exception_type) from None


def _exists(ctx: MemberContext, path: Any, *, directory: bool) -> bool:
    """[IO.File]::Exists / [IO.Directory]::Exists: False for an empty path, never an error."""
    if path is None or to_string(path).strip() == "":
        return False
    item = _fs(ctx).fs_item(_full(ctx, path))
    return item is not None and item.is_dir == directory


def _directory_call(lowered: str, args: list[Any], ctx: MemberContext) -> Any:
    if not args:
        return NO_SUCH_METHOD
    fs = _fs(ctx)
    if lowered == "exists":
        return _exists(ctx, args[0], directory=True)
    if lowered == "createdirectory":
        try:
            fs.fs_mkdir(_full(ctx, args[0]), force=True)
        except WorldError as err:
            raise dotnet_failure("CreateDirectory", args, err.message, err.exception_type) from None
        return None
    return NO_SUCH_METHOD


STATIC_CALL = {
    "system.io.path": _path_call,
    "system.io.file": _file_call,
    "system.io.directory": _directory_call,
}
STATIC_GET = {"system.io.path": _path_get}
