""".NET objects scripts reach through the engine or [System.IO.File]: $ExecutionContext, and
the StreamReader / FileStream that `[System.IO.File]::OpenText()` / `OpenWrite()` return.

They are PSObjects whose methods are Python callables (members.call_method calls them), so
the member layer needs no special case per type. File streams read and write the emulated
file system of the session's computer; the caller holds the world lock, as for any cmdlet.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypervsim.powershell.api import PSObject
from hypervsim.powershell.values import NOTHING
from hypervsim.world.errors import WorldError
from hypervsim.world.filesystem import parse_path


class DotNetCallError(Exception):
    """A .NET method threw: `message` and the exception type, for `Exception calling ...`."""

    def __init__(self, message: str, exception_type: str) -> None:
        super().__init__(message)
        self.message = message
        self.exception_type = exception_type


def execution_context(expand: Callable[[str], str]) -> PSObject:
    """`$ExecutionContext` (EngineIntrinsics): InvokeCommand.ExpandString expands `$var` and
    `$(...)` in a string the way a double-quoted string would."""
    invoke_command = PSObject(
        {"ExpandString": expand},
        type_names=["System.Management.Automation.CommandInvocationIntrinsics"],
    )
    return PSObject(
        {"InvokeCommand": invoke_command},
        type_names=["System.Management.Automation.EngineIntrinsics"],
    )


def full_path(path: str, cwd: str) -> str:
    """[System.IO.Path]::GetFullPath: separators and `..` resolved, relative to `cwd`."""
    if not path.strip():
        raise DotNetCallError("The path is not of a legal form.", "System.ArgumentException")
    return parse_path(path, cwd).full


def directory_name(path: str) -> str | None:
    """[System.IO.Path]::GetDirectoryName: None for a root."""
    text = path.replace("/", "\\")
    head, sep, _ = text.rpartition("\\")
    if not sep:
        return ""
    if len(text) <= 3 and text[1:2] == ":":
        return None
    return head + "\\" if len(head) == 2 and head[1] == ":" else head


def _open_error(exc: WorldError) -> DotNetCallError:
    if exc.exception_type.endswith("DirectoryNotFoundException"):
        return DotNetCallError(exc.message, exc.exception_type)
    if "does not exist" in exc.message:
        path = exc.target or ""
        return DotNetCallError(f"Could not find file '{path}'.", "System.IO.FileNotFoundException")
    return DotNetCallError(exc.message, exc.exception_type)


def open_text(computer: Any, path: str, cwd: str) -> PSObject:
    """[System.IO.File]::OpenText: a StreamReader over the file's text (UTF-8, or as stored)."""
    try:
        content = computer.fs_read(path, cwd)
    except WorldError as exc:
        raise _open_error(exc) from None
    text = content if isinstance(content, str) else content.decode("utf-8", "replace")
    lines = text.lstrip("\ufeff").splitlines()
    state = {"line": 0, "closed": False}

    def read_line() -> str | None:
        if state["line"] >= len(lines):
            return None
        state["line"] += 1
        return lines[state["line"] - 1]

    def read_to_end() -> str:
        rest = "\r\n".join(lines[state["line"] :])
        state["line"] = len(lines)
        return rest

    def close() -> Any:
        state["closed"] = True
        return NOTHING

    return PSObject(
        {
            "ReadLine": read_line,
            "ReadToEnd": read_to_end,
            "Close": close,
            "Dispose": close,
        },
        type_names=["System.IO.StreamReader"],
    )


def open_write(computer: Any, path: str, cwd: str) -> PSObject:
    """[System.IO.File]::OpenWrite: a FileStream at position 0 of a new or existing file
    (existing bytes past what is written stay, as OpenWrite does not truncate)."""
    target = parse_path(path, cwd).full
    try:
        existing = computer.fs_item(target)
        if existing is None:
            computer.fs_write(target, b"", reason="FileOpenFailure")
            old = b""
        else:
            content = computer.fs_read(target)
            old = content.encode("utf-8") if isinstance(content, str) else bytes(content)
    except WorldError as exc:
        raise _open_error(exc) from None
    written = bytearray()

    def write(data: Any, offset: Any = 0, count: Any = None) -> Any:
        chunk = bytes(int(b) & 0xFF for b in data) if isinstance(data, list) else bytes(data)
        start = int(offset)
        end = start + int(count) if count is not None else len(chunk)
        written.extend(chunk[start:end])
        return NOTHING

    def flush() -> Any:
        merged = bytes(written) + old[len(written) :]
        computer.fs_write(target, merged)
        return NOTHING

    return PSObject(
        {
            "Write": write,
            "Flush": flush,
            "Close": flush,
            "Dispose": flush,
            "Name": target,
        },
        type_names=["System.IO.FileStream"],
    )
