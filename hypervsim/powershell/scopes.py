"""The evaluator's state: scopes and variables, error records, and the output streams.

Error model (as in PowerShell): non-terminating errors (`write_error`) obey -ErrorAction /
$ErrorActionPreference; statement-terminating errors end one statement unless a try is active;
script-terminating errors (`throw`, `-ErrorAction Stop`) unwind to the nearest catch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hypervsim.powershell import ast as psast
from hypervsim.powershell.api import ErrorCategory, ErrorRecord
from hypervsim.powershell.binder import canonical_action
from hypervsim.powershell.dotnet_objects import EngineIntrinsics
from hypervsim.powershell.host import CONSOLE_HOST, HostValue
from hypervsim.powershell.members import MemberContext
from hypervsim.powershell.runtime import (
    PSError,
    Redirect,
    Runtime,
    Scope,
    default_env,
    psversion_table,
)
from hypervsim.powershell.streams import StreamRecord
from hypervsim.powershell.values import NOTHING, ErrorRecordValue, ScriptBlockValue, to_string

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.world.model import Computer

_READONLY = {"true": True, "false": False, "null": None}


class ScopeState:
    """Variables, errors and streams of one evaluator; the other parts build on it."""

    def __init__(
        self, computer: Computer, runtime: Runtime, using_scope: Scope | None = None
    ) -> None:
        self.computer = computer
        self.runtime = runtime
        self.global_scope = Scope()
        self.scope = self.global_scope
        self.using_scope = using_scope
        self.env = default_env(getattr(computer, "name", "localhost"))
        self.try_depth = 0
        self.handling: list[Any] = []  # the errors whose catch blocks are running (bare `throw`)
        self.status = True  # $? of the statement being run
        self.last_status = True  # $? as scripts read it
        self.redirects: list[Redirect] = []
        self.error_list: list[Any] = []
        self.errors_emitted = 0  # error records written to the error stream (see invoke_block)
        self.current_node: psast.Node | None = None
        self.script_lines: list[str] = []
        self.loaded_modules: set[str] = set()
        g = self.global_scope.vars
        g["error"] = self.error_list
        g["erroractionpreference"] = "Continue"
        g["warningpreference"] = "Continue"
        g["verbosepreference"] = "SilentlyContinue"
        g["informationpreference"] = "SilentlyContinue"
        g["progresspreference"] = "Continue"
        g["confirmpreference"] = "High"
        g["psversiontable"] = psversion_table(computer)
        g["executioncontext"] = EngineIntrinsics()
        g["host"] = HostValue(CONSOLE_HOST, computer, self.host_write)
        g["pid"] = 4242
        g["home"] = "C:\\Users\\Administrator"
        g["pshome"] = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0"
        g["pwd"] = "C:\\Users\\Administrator"
        g["ofs"] = " "
        g["maximumhistorycount"] = 4096
        g["lastexitcode"] = None
        g["psscriptroot"] = ""
        g["pscommandpath"] = ""
        self.members = MemberContext(
            self.env,
            getattr(computer, "name", "localhost"),
            self._invoke_for_members,
            computer=computer,
            expand=self.expand_string,
        )

    if TYPE_CHECKING:  # pragma: no cover - defined by the invocation part

        def expand_string(self, text: str) -> str: ...
        def call_block(self, block: psast.ScriptBlock, *args: Any, **kwargs: Any) -> list[Any]: ...

    # ------------------------------------------------------------------ variables
    def get_var(self, name: str, scope: str | None = None) -> Any:
        key = name.lower()
        if scope == "env":
            return self.env.get(name.upper())
        if scope == "using":
            source = self.using_scope or self.scope
            hit = source.find(key)
            return hit.vars[key] if hit else None
        if key in _READONLY:
            return _READONLY[key]
        if key == "?":
            return self.last_status
        if key == "psitem":
            key = "_"
        if scope == "global" or scope == "script":
            return self.global_scope.vars.get(key)
        if scope == "function":
            return None
        hit = self.scope.find(key)
        if hit is not None:
            return hit.vars[key]
        return None

    def set_var(self, name: str, value: Any, scope: str | None = None) -> None:
        key = name.lower()
        if value is NOTHING:
            value = None
        if scope == "env":
            if value is None or value == "":
                self.env.pop(name.upper(), None)
            else:
                self.env[name.upper()] = to_string(value)
            return
        if key == "null":
            return
        if key in ("true", "false", "?"):
            raise self.runtime_error(
                f"Cannot overwrite variable {name} because it is read-only or constant.",
                "VariableNotWritable",
                ErrorCategory.InvalidOperation,
                "System.Management.Automation.SessionStateUnauthorizedAccessException",
            )
        if key == "psitem":
            key = "_"
        target = self.global_scope if scope in ("global", "script") else self.scope
        target.vars[key] = value

    def _invoke_for_members(self, block: ScriptBlockValue, args: list[Any]) -> list[Any]:
        return self.call_block(block.block, positional=args)

    # ------------------------------------------------------------------ errors
    def _position(self, node: psast.Node | None) -> tuple[int, int, str]:
        if node is None:
            return 1, 1, self.script_lines[0] if self.script_lines else ""
        line = node.line
        text = self.script_lines[line - 1] if 0 < line <= len(self.script_lines) else ""
        return line, node.col, text

    def locate(self, record: ErrorRecord, node: psast.Node | None = None) -> ErrorRecord:
        """Fill in the position fields of a record from the node being run."""
        if record.line is None:
            where = node or self.current_node
            line, col, text = self._position(where)
            record.line, record.column, record.script_line = line, col, text
            source = getattr(where, "text", "")
            if source and record.extent is None:
                record.extent = len(source.split("\n")[0].rstrip())
        return record

    def runtime_error(
        self,
        message: str,
        fqid: str,
        category: ErrorCategory = ErrorCategory.InvalidOperation,
        exception_type: str = "System.Management.Automation.RuntimeException",
        node: psast.Node | None = None,
        target: str | None = None,
    ) -> PSError:
        record = ErrorRecord(
            message=message,
            category=category,
            fqid=fqid,
            exception_type=exception_type,
            target=target,
        )
        return PSError(ErrorRecordValue(self.locate(record, node)))

    def _add_error(self, value: ErrorRecordValue) -> None:
        if self.error_list and self.error_list[0] is value:
            return
        self.error_list.insert(0, value)
        del self.error_list[256:]

    def emit_error(self, record: ErrorRecord) -> None:
        for frame in reversed(self.redirects):
            action = frame.actions.get("2") or frame.actions.get("*")
            if action == "merge":
                frame.merged.append(ErrorRecordValue(record))
                return
            if action == "discard":
                return
        self.errors_emitted += 1
        self.runtime.emit_record(StreamRecord("error", self.runtime.format_error(record), record))

    def _stream_discarded(self, stream: str) -> bool:
        for frame in reversed(self.redirects):
            action = frame.actions.get(stream) or frame.actions.get("*")
            if action:
                return action == "discard"
        return False

    def emit_warning(self, text: str, action: str | None = None) -> None:
        pref = action or canonical_action(self.get_var("WarningPreference")) or "Continue"
        if pref in ("SilentlyContinue", "Ignore") or self._stream_discarded("3"):
            return
        self.runtime.emit_record(StreamRecord("warning", text))
        if pref == "Stop":
            raise self.runtime_error(
                (
                    f"The running command stopped because the preference variable"
                    f' "WarningPreference" or common parameter is set to Stop: {text}'
                ),
                "ActionPreferenceStop",
                ErrorCategory.OperationStopped,
                "System.Management.Automation.ActionPreferenceStopException",
            )

    def emit_verbose(self, text: str, enabled: bool | None = None) -> None:
        on = (
            enabled
            if enabled is not None
            else canonical_action(self.get_var("VerbosePreference")) == "Continue"
        )
        if on and not self._stream_discarded("4"):
            self.runtime.emit_record(StreamRecord("verbose", text))

    def host_write(self, kind: str, text: str) -> None:
        """$Host.UI calls: straight to the console (no stream, no redirection)."""
        if kind == "err":
            self.runtime.emit_record(StreamRecord("error", text))
        else:
            self.runtime.emit_text(text)

    def emit_information(self, text: str) -> None:
        self.runtime.emit_record(StreamRecord("information", text))

    def emit_host(self, text: str) -> None:
        if self._stream_discarded("6"):
            return
        self.runtime.emit_text(text)

    def write_error(self, record: ErrorRecord, action: str | None, node: psast.Node | None) -> None:
        """A non-terminating error, handled by the effective -ErrorAction."""
        self.locate(record, node)
        effective = action or canonical_action(self.get_var("ErrorActionPreference")) or "Continue"
        self.status = False
        value = ErrorRecordValue(record)
        if effective == "Stop":
            raise PSError(value, script_terminating=True)
        if effective == "Ignore":
            return
        self._add_error(value)
        if effective in ("Continue", "Inquire"):
            self.emit_error(record)
