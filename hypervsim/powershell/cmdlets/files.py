"""FileSystem provider cmdlets: Test-Path, Get-Item, Get-ChildItem, New-Item, Copy-Item,
Move-Item, Remove-Item, Get-FileHash, Get-Content, Set-Content, Add-Content, Out-File.

Paths go to the world's file system of the machine the script runs on (`Computer.fs_*`);
env:, variable: and function: keep working for the cmdlets that read them. Errors are the
FileSystem provider's ErrorRecords (FullyQualifiedErrorId "<reason>,<cmdlet class>").
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from hypervsim.powershell import api
from hypervsim.powershell.cmdlets.world_bridge import flatten, report
from hypervsim.powershell.format_output import format_objects
from hypervsim.powershell.registry import (
    key_exists,
    not_modelled_message,
    parse_key,
    unmodelled,
)
from hypervsim.powershell.values import to_string
from hypervsim.world.errors import WorldError
from hypervsim.world.filesystem import Item, parse_path

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.powershell.evaluator import CmdletInvocation, Evaluator
    from hypervsim.world.model import Computer

MANAGEMENT = "Microsoft.PowerShell.Management"
UTILITY = "Microsoft.PowerShell.Utility"
CMDS = "Microsoft.PowerShell.Commands."
S = api.ParamKind.SWITCH
L = api.ParamKind.LIST
PATH_PARAMS = (
    api.Param("Path", L, position=0, from_pipeline=True),
    api.Param("LiteralPath", L, aliases=("PSPath", "LP")),
)
PROVIDERS = ("env", "variable", "function", "alias")


def _ev(inv: api.Invocation) -> Evaluator:
    return cast("CmdletInvocation", inv).evaluator


def _cls(inv: api.Invocation) -> str:
    return CMDS + inv.name.replace("-", "") + "Command"


def _fail(inv: api.Invocation, err: WorldError) -> None:
    report(inv, err, _cls(inv))


def _cwd(inv: api.Invocation) -> str:
    return to_string(_ev(inv).get_var("PWD") or "C:\\")


def _provider(path: str) -> tuple[str, str]:
    drive, sep, rest = path.partition(":")
    if sep and drive.lower() in PROVIDERS:
        return drive.lower(), rest.lstrip("\\/")
    return "", path


def _paths(inv: api.Invocation, default: str | None = None) -> list[tuple[str, bool]]:
    """(path, literal) pairs from -Path / -LiteralPath / pipeline input (FileInfo or text)."""
    out: list[tuple[str, bool]] = []
    for v in flatten(inv.bound.get("LiteralPath")):
        out.append((_path_text(v), True))
    raw = inv.bound.get("Path")
    if raw is None and not out and inv.input:
        raw = list(inv.input)
    for v in flatten(raw):
        out.append((_path_text(v), False))
    if not out and default is not None:
        out.append((default, True))
    return out


def _path_text(v: Any) -> str:
    if isinstance(v, api.PSObject):
        for prop in ("FullName", "Path"):
            if v.has(prop):
                return to_string(v.get(prop))
    return to_string(v)


def _has_wildcard(path: str) -> bool:
    return any(c in path for c in "*?[")


def item_object(item: Item) -> api.PSObject:
    """A System.IO.FileInfo / DirectoryInfo with the properties scripts read."""
    try:
        when = dt.datetime.fromisoformat(item.modified) if item.modified else dt.datetime.now()
    except ValueError:
        when = dt.datetime.now()
    parent = item.full.rstrip("\\").rsplit("\\", 1)[0]
    if len(parent) == 2:
        parent += "\\"
    props: dict[str, Any] = {
        "PSPath": "Microsoft.PowerShell.Core\\FileSystem::" + item.full,
        "PSParentPath": "Microsoft.PowerShell.Core\\FileSystem::" + parent,
        "PSChildName": item.name,
        "PSIsContainer": item.is_dir,
        "Mode": "d-----" if item.is_dir else "-a----",
        "Name": item.name,
        "FullName": item.full,
        "Extension": ""
        if item.is_dir or "." not in item.name
        else "." + item.name.rsplit(".", 1)[1],
        "BaseName": item.name if item.is_dir else item.name.rsplit(".", 1)[0],
        "Exists": True,
        "LastWriteTime": when,
        "CreationTime": when,
        "Attributes": "Directory" if item.is_dir else "Archive",
    }
    if item.is_dir:
        props["Parent"] = parent
        kind = "System.IO.DirectoryInfo"
    else:
        props["Length"] = item.length
        props["DirectoryName"] = parent
        props["IsReadOnly"] = False
        kind = "System.IO.FileInfo"
    return api.PSObject(props, [kind, "System.IO.FileSystemInfo", "System.Object"], ref=item)


def _expand(inv: api.Invocation, c: Computer, path: str, literal: bool) -> list[Item] | None:
    """The items a path names (wildcards in its last part unless literal); None if none."""
    cwd = _cwd(inv)
    if literal or not _has_wildcard(path):
        item = c.fs_item(path, cwd)
        return [item] if item is not None else None
    p = parse_path(path, cwd)
    folder, leaf = p.full.rsplit("\\", 1)
    if _has_wildcard(folder):
        return None
    hits = [
        i
        for i in c.fs_children(folder if len(folder) > 2 else folder + "\\")
        if fnmatch.fnmatchcase(i.name.lower(), leaf.lower())
    ]
    return hits


def _not_found(path: str) -> WorldError:
    from hypervsim.world.filesystem import not_found

    return not_found(path)


def _full(inv: api.Invocation, path: str) -> str:
    return parse_path(path, _cwd(inv)).full if ":" in path or not path.startswith("\\\\") else path


# ---- Test-Path / Get-Item / Get-ChildItem --------------------------------------------------------
@api.cmdlet(
    "Test-Path",
    *PATH_PARAMS,
    api.Param("PathType"),
    api.Param("IsValid", S),
    module=MANAGEMENT,
)
def test_path(inv: api.Invocation) -> Iterable[Any]:
    evaluator = _ev(inv)
    kind = to_string(inv.bound.get("PathType") or "Any").lower()
    results: list[Any] = []
    for raw, literal in _paths(inv):
        provider, rest = _provider(raw)
        key = parse_key(raw)
        if key is not None:  # registry keys are containers
            if unmodelled(key) is not None and not key_exists(key):
                raise api.CmdletError(
                    api.ErrorRecord(
                        message=not_modelled_message(key),
                        category=api.ErrorCategory.NotImplemented,
                        fqid="NotSupportedByEmulator",
                        exception_type="System.NotSupportedException",
                    )
                )
            results.append(key_exists(key) and kind != "leaf")
            continue
        if provider == "env":
            results.append(rest.upper() in evaluator.env)
            continue
        if provider == "variable":
            results.append(evaluator.scope.find(rest.lower()) is not None)
            continue
        if provider == "function":
            results.append(evaluator.scope.find_function(rest.lower()) is not None)
            continue
        if inv.bound.get("IsValid"):
            results.append(not any(ch in raw for ch in '"<>|'))
            continue
        try:
            items = _expand(inv, inv.computer, raw, literal) or []
        except WorldError:
            items = []
        if kind == "leaf":
            items = [i for i in items if not i.is_dir]
        elif kind == "container":
            items = [i for i in items if i.is_dir]
        results.append(bool(items))
    return results


@api.cmdlet("Get-Item", *PATH_PARAMS, api.Param("Force", S), module=MANAGEMENT, aliases=("gi",))
def get_item(inv: api.Invocation) -> Iterable[Any]:
    evaluator = _ev(inv)
    out: list[Any] = []
    for raw, literal in _paths(inv):
        provider, rest = _provider(raw)
        if provider == "env":
            if rest.upper() in evaluator.env:
                out.append(
                    api.PSObject(
                        {"Name": rest, "Key": rest, "Value": evaluator.env[rest.upper()]},
                        type_names=("System.Collections.DictionaryEntry",),
                    )
                )
            else:
                _fail(inv, _not_found(raw))
            continue
        try:
            items = _expand(inv, inv.computer, raw, literal)
        except WorldError as err:
            _fail(inv, err)
            continue
        if not items:
            if items is None:
                _fail(inv, _not_found(_full(inv, raw)))
            continue
        out += [item_object(i) for i in items]
    return out


@api.cmdlet(
    "Get-ChildItem",
    *PATH_PARAMS,
    api.Param("Filter", position=1),
    api.Param("Recurse", S),
    api.Param("File", S),
    api.Param("Directory", S),
    api.Param("Force", S),
    api.Param("Name", S),
    api.Param("Include", L),
    api.Param("Exclude", L),
    module=MANAGEMENT,
    aliases=("gci", "dir", "ls"),
)
def get_child_item(inv: api.Invocation) -> Iterable[Any]:
    evaluator = _ev(inv)
    b = inv.bound
    out: list[Any] = []
    for raw, literal in _paths(inv, default=_cwd(inv)):
        provider, rest = _provider(raw)
        if provider == "env":
            for key in sorted(evaluator.env):
                if not rest or fnmatch.fnmatchcase(key.lower(), rest.lower()):
                    out.append(
                        api.PSObject(
                            {"Name": key, "Key": key, "Value": evaluator.env[key]},
                            type_names=("System.Collections.DictionaryEntry",),
                        )
                    )
            continue
        c = inv.computer
        try:
            roots = _expand(inv, c, raw, literal)
            if roots is None:
                _fail(inv, _not_found(_full(inv, raw)))
                continue
            found: list[Item] = []
            for root in roots:
                if not root.is_dir:
                    found.append(root)
                    continue
                found += c.fs_walk(root.full) if b.get("Recurse") else c.fs_children(root.full)
        except WorldError as err:
            _fail(inv, err)
            continue
        pattern = to_string(b["Filter"]) if b.get("Filter") else None
        includes = [to_string(x).lower() for x in flatten(b.get("Include"))]
        excludes = [to_string(x).lower() for x in flatten(b.get("Exclude"))]
        for item in found:
            name = item.name.lower()
            if pattern and not fnmatch.fnmatchcase(name, pattern.lower()):
                continue
            if includes and not any(fnmatch.fnmatchcase(name, x) for x in includes):
                continue
            if any(fnmatch.fnmatchcase(name, x) for x in excludes):
                continue
            if (b.get("File") and item.is_dir) or (b.get("Directory") and not item.is_dir):
                continue
            out.append(item.name if b.get("Name") else item_object(item))
    return out


# ---- New-Item / Remove-Item / Copy-Item / Move-Item -----------------------------------------------
@api.cmdlet(
    "New-Item",
    api.Param("Path", L, position=0),
    api.Param("Name"),
    api.Param("ItemType", aliases=("Type",)),
    api.Param("Value", from_pipeline=True),
    api.Param("Force", S),
    module=MANAGEMENT,
    aliases=("ni",),
)
def new_item(inv: api.Invocation) -> Iterable[Any]:
    b = inv.bound
    kind = to_string(b.get("ItemType") or "File").lower()
    paths = [to_string(p) for p in flatten(b.get("Path"))] or [_cwd(inv)]
    if b.get("Name"):
        paths = [p.rstrip("\\/") + "\\" + to_string(b["Name"]) for p in paths]
    out: list[Any] = []
    for path in paths:
        try:
            if kind in ("directory", "dir", "container"):
                item = inv.computer.fs_mkdir(path, _cwd(inv), force=bool(b.get("Force")))
            elif kind == "file":
                value = b.get("Value")
                text = "" if value is None else to_string(value)
                item = inv.computer.fs_write(
                    path,
                    text,
                    cwd=_cwd(inv),
                    encoding="default",
                    reason="NewItemIOError",
                    create_only=not b.get("Force"),
                )
            else:
                inv.write_error(
                    api.ErrorRecord(
                        message='The type is not a known type for the file system. Only "file" and '
                        '"directory" can be created.',
                        category=api.ErrorCategory.InvalidArgument,
                        fqid="Argument," + _cls(inv),
                        target=path,
                        exception_type="System.ArgumentException",
                    )
                )
                continue
        except WorldError as err:
            _fail(inv, err)
            continue
        out.append(item_object(item))
    return out


@api.cmdlet(
    "Remove-Item",
    *PATH_PARAMS,
    api.Param("Recurse", S),
    api.Param("Force", S),
    api.Param("Include", L),
    module=MANAGEMENT,
    aliases=("del", "rm", "ri", "rd", "rmdir", "erase"),
)
def remove_item(inv: api.Invocation) -> Iterable[Any]:
    evaluator = _ev(inv)
    for raw, literal in _paths(inv):
        provider, rest = _provider(raw)
        if provider == "env":
            if evaluator.env.pop(rest.upper(), None) is None:
                _fail(inv, _not_found(raw))
            continue
        try:
            items = _expand(inv, inv.computer, raw, literal)
            if items is None:
                _fail(inv, _not_found(_full(inv, raw)))
                continue
            for item in items:
                inv.computer.fs_remove(item.full, recurse=bool(inv.bound.get("Recurse")))
        except WorldError as err:
            _fail(inv, err)
    return []


def _session_computer(inv: api.Invocation, param: str) -> Computer | None:
    """The guest at the other end of -ToSession/-FromSession (None: error reported)."""
    from hypervsim.powershell.cmdlets.invoke_command import session_broken, session_vms

    vms = session_vms(inv, param)
    if not vms:
        return None
    vm = vms[0]
    if vm.state != "Running" or vm.guest is None or not vm.guest_up:
        _fail(inv, session_broken(vm))
        return None
    return vm.guest


def _copy_or_move(inv: api.Invocation, move: bool) -> list[Any]:
    b = inv.bound
    dest = to_string(b.get("Destination") or _cwd(inv))
    source, target = inv.computer, inv.computer
    if not move and b.get("ToSession") is not None:
        guest = _session_computer(inv, "ToSession")
        if guest is None:
            return []
        target = guest
    if not move and b.get("FromSession") is not None:
        guest = _session_computer(inv, "FromSession")
        if guest is None:
            return []
        source = guest
    out: list[Any] = []
    for raw, literal in _paths(inv):
        try:
            items = _expand(inv, source, raw, literal)
            if items is None:
                _fail(inv, _not_found(_full(inv, raw)))
                continue
            for item in items:
                if move:
                    done = inv.computer.fs_move(item.full, dest, _cwd(inv))
                else:
                    done = source.fs_copy(
                        item.full,
                        dest,
                        cwd=_cwd(inv),
                        target=target,
                        recurse=bool(b.get("Recurse")),
                    )
                if b.get("PassThru"):
                    out.append(item_object(done))
        except WorldError as err:
            _fail(inv, err)
    return out


@api.cmdlet(
    "Copy-Item",
    *PATH_PARAMS,
    api.Param("Destination", position=1),
    api.Param("Recurse", S),
    api.Param("Force", S),
    api.Param("PassThru", S),
    api.Param("Container", S),
    api.Param("ToSession"),
    api.Param("FromSession"),
    module=MANAGEMENT,
    aliases=("copy", "cp", "cpi"),
)
def copy_item(inv: api.Invocation) -> Iterable[Any]:
    return _copy_or_move(inv, move=False)


@api.cmdlet(
    "Move-Item",
    *PATH_PARAMS,
    api.Param("Destination", position=1),
    api.Param("Force", S),
    api.Param("PassThru", S),
    module=MANAGEMENT,
    aliases=("move", "mv", "mi"),
)
def move_item(inv: api.Invocation) -> Iterable[Any]:
    return _copy_or_move(inv, move=True)


# ---- Get-FileHash -----------------------------------------------------------------------------------
ALGORITHMS = ("SHA1", "SHA256", "SHA384", "SHA512", "MD5")


@api.cmdlet(
    "Get-FileHash",
    *PATH_PARAMS,
    api.Param("Algorithm"),
    api.Param("InputStream"),
    module=UTILITY,
)
def get_file_hash(inv: api.Invocation) -> Iterable[Any]:
    algorithm = to_string(inv.bound.get("Algorithm") or "SHA256").upper()
    if algorithm not in ALGORITHMS:
        inv.write_error(
            api.ErrorRecord(
                message=f"Cannot validate argument on parameter 'Algorithm'. The argument \"{algorithm}\" "
                'does not belong to the set "SHA1,SHA256,SHA384,SHA512,MACTripleDES,MD5,RIPEMD160" specified '
                "by the ValidateSet attribute. Supply an argument that is in the set and then try the command again.",
                category=api.ErrorCategory.InvalidData,
                fqid="ParameterArgumentValidationError," + _cls(inv),
                exception_type="System.Management.Automation.ParameterBindingValidationException",
            )
        )
        return []
    out: list[Any] = []
    for raw, literal in _paths(inv):
        try:
            items = _expand(inv, inv.computer, raw, literal)
            if not items:
                err = _not_found(_full(inv, raw))
                err.reason = "FileNotFound"
                _fail(inv, err)
                continue
            for item in items:
                if item.is_dir:
                    continue
                digest = inv.computer.fs_hash(item.full, algorithm)
                out.append(
                    api.PSObject(
                        {"Algorithm": algorithm, "Hash": digest, "Path": item.full},
                        ["Microsoft.Powershell.Utility.FileHash", "System.Object"],
                    )
                )
        except WorldError as err:
            if "being used" in err.message:
                err.reason, err.category = "FileReadError", "ReadError"
            _fail(inv, err)
    return out


# ---- content ----------------------------------------------------------------------------------------
def _lines(text: str) -> list[str]:
    parts = re.split(r"\r\n|\n|\r", text)
    if parts and parts[-1] == "":
        parts.pop()
    return parts


@api.cmdlet(
    "Get-Content",
    *PATH_PARAMS,
    api.Param("Raw", S),
    api.Param("Encoding"),
    api.Param("TotalCount", aliases=("First", "Head")),
    api.Param("Tail", aliases=("Last",)),
    module=MANAGEMENT,
    aliases=("gc", "cat", "type"),
)
def get_content(inv: api.Invocation) -> Iterable[Any]:
    evaluator = _ev(inv)
    b = inv.bound
    out: list[Any] = []
    for raw, literal in _paths(inv):
        provider, rest = _provider(raw)
        if provider == "env":
            if rest.upper() in evaluator.env:
                out.append(evaluator.env[rest.upper()])
            else:
                _fail(inv, _not_found(raw))
            continue
        try:
            items = _expand(inv, inv.computer, raw, literal)
            if not items:
                _fail(inv, _not_found(_full(inv, raw)))
                continue
            for item in items:
                content = inv.computer.fs_read(item.full)
                if isinstance(content, bytes):
                    if to_string(b.get("Encoding") or "").lower() == "byte":
                        out.append(content if b.get("Raw") else list(content))
                        continue
                    content = content.decode("latin-1")
                if b.get("Raw"):
                    if content:
                        out.append(content)
                    continue
                lines = _lines(content)
                if b.get("TotalCount") is not None:
                    lines = lines[: int(to_string(b["TotalCount"]))]
                if b.get("Tail") is not None:
                    n = int(to_string(b["Tail"]))
                    lines = lines[-n:] if n else []
                out += lines
        except WorldError as err:
            _fail(inv, err)
    return out


def _text_of(values: list[Any], no_newline: bool) -> str | bytes:
    if values and all(isinstance(v, (bytes, bytearray)) for v in values):
        return b"".join(bytes(v) for v in values)
    parts = [to_string(v) for v in values]
    return "".join(parts) if no_newline else "".join(p + "\r\n" for p in parts)


def _write_content(inv: api.Invocation, append: bool) -> Iterable[Any]:
    b = inv.bound
    values = flatten(b["Value"]) if "Value" in b else list(inv.input)
    encoding = to_string(b.get("Encoding") or "Default")
    content = _text_of(values, bool(b.get("NoNewline")))
    if encoding.lower() == "byte" and not isinstance(content, bytes):
        content = bytes(int(to_string(v)) & 0xFF for v in values)
    paths = [(to_string(v), True) for v in flatten(b.get("LiteralPath"))] + [
        (to_string(v), False) for v in flatten(b.get("Path"))
    ]
    out: list[Any] = []
    for path, _literal in paths:
        try:
            item = inv.computer.fs_write(
                path, content, cwd=_cwd(inv), encoding=encoding, append=append
            )
        except WorldError as err:
            _fail(inv, err)
            continue
        if b.get("PassThru"):
            out.append(item_object(item))
    return out


CONTENT_PARAMS = (
    api.Param("Path", L, position=0),
    api.Param("LiteralPath", L, aliases=("PSPath", "LP")),
    api.Param("Value", L, position=1),
    api.Param("Encoding"),
    api.Param("NoNewline", S),
    api.Param("Force", S),
    api.Param("PassThru", S),
)


@api.cmdlet("Set-Content", *CONTENT_PARAMS, module=MANAGEMENT, aliases=("sc",))
def set_content(inv: api.Invocation) -> Iterable[Any]:
    return _write_content(inv, append=False)


@api.cmdlet("Add-Content", *CONTENT_PARAMS, module=MANAGEMENT, aliases=("ac",))
def add_content(inv: api.Invocation) -> Iterable[Any]:
    return _write_content(inv, append=True)


@api.cmdlet(
    "Out-File",
    api.Param("FilePath", position=0, aliases=("Path",)),
    api.Param("LiteralPath", aliases=("PSPath", "LP")),
    api.Param("Encoding", position=1),
    api.Param("Append", S),
    api.Param("Force", S),
    api.Param("NoClobber", S),
    api.Param("NoNewline", S),
    api.Param("Width"),
    api.Param("InputObject"),
    module=UTILITY,
)
def out_file(inv: api.Invocation) -> Iterable[Any]:
    b = inv.bound
    objects = list(inv.input) + ([b["InputObject"]] if "InputObject" in b else [])
    if all(isinstance(o, str) for o in objects):
        text = "".join(o + ("" if b.get("NoNewline") else "\r\n") for o in objects)
    else:
        text = format_objects(objects)
    path = to_string(b.get("LiteralPath") or b.get("FilePath") or "")
    try:
        inv.computer.fs_write(
            path,
            text,
            cwd=_cwd(inv),
            encoding=to_string(b.get("Encoding") or "Unicode"),
            append=bool(b.get("Append")),
            reason="FileOpenFailure",
        )
    except WorldError as err:
        _fail(inv, err)
    return []
