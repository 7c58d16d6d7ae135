"""`$Host` / Get-Host: the PowerShell host a script talks to directly.

powershell.exe started over WinRS is the ConsoleHost (its output redirected to the shell's
stdout/stderr); a block run by Invoke-Command on another machine sees ServerRemoteHost,
which forwards the same calls to the caller's host. `$Host.UI.Write*Line` print what the
console prints: text as is, "VERBOSE: "/"WARNING: "/"DEBUG: " lines whatever the preference
variables say, and WriteErrorLine on stderr.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypervsim.powershell.dotnet_objects import VersionValue
from hypervsim.powershell.os_release import full_build
from hypervsim.powershell.values import NO_SUCH_METHOD, DotNetObject, to_string

# (kind, text): kind "out" goes to stdout, "err" to stderr.
HostWriter = Callable[[str, str], None]

CONSOLE_HOST = "ConsoleHost"
REMOTE_HOST = "ServerRemoteHost"
_INSTANCE = {
    CONSOLE_HOST: "5b9f3a26-8f7e-4c4e-9d1a-6f2b7c1d0e11",
    REMOTE_HOST: "0f6c5d2e-1a3b-4c5d-8e9f-a0b1c2d3e4f5",
}
COLORS = ("Gray", "Black")


class RawUI(DotNetObject):
    """$Host.UI.RawUI: window title and colours (no real console window behind it)."""

    type_name = "System.Management.Automation.Internal.Host.InternalHostRawUserInterface"

    def __init__(self) -> None:
        self.title = "Windows PowerShell"
        self.foreground, self.background = COLORS

    def properties(self) -> dict[str, Any]:
        return {
            "ForegroundColor": self.foreground,
            "BackgroundColor": self.background,
            "WindowTitle": self.title,
        }

    def set_property(self, lowered: str, value: Any) -> bool:
        if lowered == "windowtitle":
            self.title = to_string(value)
        elif lowered == "foregroundcolor":
            self.foreground = to_string(value)
        elif lowered == "backgroundcolor":
            self.background = to_string(value)
        else:
            return False
        return True


class HostUI(DotNetObject):
    """$Host.UI."""

    type_name = "System.Management.Automation.Internal.Host.InternalHostUserInterface"

    def __init__(self, write: HostWriter) -> None:
        self.write = write
        self.raw_ui = RawUI()

    def properties(self) -> dict[str, Any]:
        return {"RawUI": self.raw_ui, "SupportsVirtualTerminal": False}

    def call(self, lowered: str, args: list[Any], ctx: Any) -> Any:
        text = to_string(args[-1]) if args else ""
        prefixes = {
            "writeverboseline": "VERBOSE: ",
            "writewarningline": "WARNING: ",
            "writedebugline": "DEBUG: ",
        }
        if lowered == "writeline":
            self.write("out", text + "\r\n")
        elif lowered == "write":
            self.write("out", text)
        elif lowered in prefixes and len(args) == 1:
            self.write("out", prefixes[lowered] + text + "\r\n")
        elif lowered == "writeerrorline" and len(args) == 1:
            self.write("err", text + "\r\n")
        else:
            return NO_SUCH_METHOD
        return None


class HostValue(DotNetObject):
    """$Host itself."""

    type_name = "System.Management.Automation.Internal.Host.InternalHost"

    def __init__(self, name: str, computer: Any, write: HostWriter) -> None:
        self.name = name
        self.version = (
            VersionValue.parse("5.1." + full_build(computer))
            if name == CONSOLE_HOST
            else VersionValue(1, 0, 0, 0)
        )
        self.ui = HostUI(write)

    def properties(self) -> dict[str, Any]:
        return {
            "Name": self.name,
            "Version": self.version,
            "InstanceId": _INSTANCE[self.name],
            "UI": self.ui,
            "CurrentCulture": "en-US",
            "CurrentUICulture": "en-US",
            "PrivateData": None,
            "DebuggerEnabled": True,
            "IsRunspacePushed": False,
            "Runspace": None,
        }

    def call(self, lowered: str, args: list[Any], ctx: Any) -> Any:
        if lowered == "tostring" and not args:
            return self.type_name
        return NO_SUCH_METHOD
