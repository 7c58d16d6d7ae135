"""Run-time state shared by the evaluator's parts: control-flow signals, errors, scopes.

`Runtime` is what a whole `PowerShellSession.run` shares (stdout text, stream records, sleep),
including blocks that `Invoke-Command -VMName` runs on other computers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypervsim.powershell import ast as psast
from hypervsim.powershell.api import ErrorRecord
from hypervsim.powershell.streams import StreamRecord
from hypervsim.powershell.values import NOTHING, ErrorRecordValue, Hashtable
from hypervsim.powershell.values import collapse as collapse_values

NOT_RECOGNIZED = (
    "The term '{0}' is not recognized as the name of a cmdlet, function, script file, or"
    " operable program. "
    "Check the spelling of the name, or if a path was included, verify that the path is"
    " correct and try again."
)


# ------------------------------------------------------------------------ control flow
class BreakSignal(Exception):  # noqa: N818 (control flow, not an error)
    def __init__(self, label: str | None = None) -> None:
        super().__init__(label)
        self.label = label


class ContinueSignal(Exception):  # noqa: N818 (control flow, not an error)
    def __init__(self, label: str | None = None) -> None:
        super().__init__(label)
        self.label = label


class ReturnSignal(Exception):  # noqa: N818 (control flow, not an error)
    pass


class ExitSignal(Exception):  # noqa: N818 (control flow, not an error)
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code
        self.output: list[Any] = []  # what the blocks it left had output (a script's `exit`)


class PSError(Exception):
    """A terminating error travelling up to a catch (or to the statement / script boundary)."""

    def __init__(self, value: ErrorRecordValue, script_terminating: bool = False) -> None:
        super().__init__(value.record.message)
        self.value = value
        self.script_terminating = script_terminating


# ------------------------------------------------------------------------ runtime state
@dataclass
class Runtime:
    """Sinks shared by everything one `run` executes (also on other computers)."""

    emit_text: Callable[[str], None]
    emit_record: Callable[[StreamRecord], None]
    format_error: Callable[[ErrorRecord], str]
    sleep: Callable[[float], None] = time.sleep


class Scope:
    """Variables and functions of one scope; lookups walk to the parent (dynamic scoping)."""

    __slots__ = ("functions", "parent", "vars")

    def __init__(self, parent: Scope | None = None) -> None:
        self.vars: dict[str, Any] = {}
        self.functions: dict[str, psast.FunctionDefinition] = {}
        self.parent = parent

    def find(self, key: str) -> Scope | None:
        scope: Scope | None = self
        while scope is not None:
            if key in scope.vars:
                return scope
            scope = scope.parent
        return None

    def find_function(self, key: str) -> psast.FunctionDefinition | None:
        scope: Scope | None = self
        while scope is not None:
            hit = scope.functions.get(key)
            if hit is not None:
                return hit
            scope = scope.parent
        return None


@dataclass
class Redirect:
    """Active redirections of one command: stream id -> 'merge' (into output) / 'discard'."""

    actions: dict[str, str]
    merged: list[Any] = field(default_factory=list)


def default_env(computer_name: str) -> dict[str, str]:
    return {
        "COMPUTERNAME": computer_name,
        "USERNAME": "Administrator",
        "USERDOMAIN": computer_name,
        "SYSTEMROOT": "C:\\Windows",
        "WINDIR": "C:\\Windows",
        "SYSTEMDRIVE": "C:",
        "TEMP": "C:\\Users\\Administrator\\AppData\\Local\\Temp",
        "TMP": "C:\\Users\\Administrator\\AppData\\Local\\Temp",
        "USERPROFILE": "C:\\Users\\Administrator",
        "PROGRAMFILES": "C:\\Program Files",
        "PROGRAMDATA": "C:\\ProgramData",
        "PROCESSOR_ARCHITECTURE": "AMD64",
        "NUMBER_OF_PROCESSORS": "4",
        "OS": "Windows_NT",
        "PATH": "C:\\Windows\\system32;C:\\Windows;"
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\",
        "PSMODULEPATH": "C:\\Windows\\system32\\WindowsPowerShell\\v1.0\\Modules",
    }


def psversion_table(computer: Any = None) -> Hashtable:
    """Windows PowerShell 5.1's $PSVersionTable; its build is the computer's OS build."""
    from hypervsim.powershell.dotnet_objects import VersionValue
    from hypervsim.powershell.os_release import full_build

    build = full_build(computer)
    ps_version = VersionValue.parse("5.1." + build)
    compatible = ["1.0", "2.0", "3.0", "4.0", "5.0"]
    return Hashtable(
        [
            ("PSVersion", ps_version),
            ("PSEdition", "Desktop"),
            ("PSCompatibleVersions", [VersionValue.parse(v) for v in compatible] + [ps_version]),
            ("BuildVersion", VersionValue.parse("10.0." + build)),
            ("CLRVersion", VersionValue.parse("4.0.30319.42000")),
            ("WSManStackVersion", VersionValue.parse("3.0")),
            ("PSRemotingProtocolVersion", VersionValue.parse("2.3")),
            ("SerializationVersion", VersionValue.parse("1.1.0.1")),
        ]
    )


def collapse(items: list[Any]) -> Any:
    """A statement's output as one value: NOTHING (no output), the single item, or the list."""
    return NOTHING if not items else collapse_values(items)


def plain(value: Any) -> Any:
    """NOTHING (no output) becomes $null where a value is needed."""
    return None if value is NOTHING else value
