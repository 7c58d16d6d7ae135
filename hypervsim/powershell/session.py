"""`PowerShellSession`: one powershell.exe process on one emulated computer.

The wire layer creates one per `-EncodedCommand` (one `run`) or per `-Command -` process (one
`run` per stdin line, sharing the global scope). `run` never raises for script problems.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from hypervsim.powershell import cmdlets as _cmdlets  # noqa: F401  (registers every cmdlet)
from hypervsim.powershell.api import ErrorCategory, ErrorRecord
from hypervsim.powershell.binder import ArgItem, NamedArg, PositionalArg
from hypervsim.powershell.evaluator import (
    BreakSignal,
    ContinueSignal,
    Evaluator,
    ExitSignal,
    PSError,
    ReturnSignal,
    Runtime,
)
from hypervsim.powershell.format_error import format_error_record
from hypervsim.powershell.format_output import format_objects
from hypervsim.powershell.parser import ParseFailure, parse
from hypervsim.powershell.streams import RunResult, StreamRecord
from hypervsim.powershell.values import ErrorRecordValue

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.world.model import Computer, World

__all__ = ["PowerShellSession", "RunResult", "StreamRecord"]

_PARAM_NAME = re.compile(r"^-[A-Za-z_][\w]*:?$")


class PowerShellSession:
    """Keeps the global scope across `run` calls; the caller holds `world.lock` during `run`."""

    def __init__(
        self,
        world: World,
        computer: Computer,
        *,
        sleep: Callable[[float], None] | None = None,
        cwd: str | None = None,
    ) -> None:
        self.world = world
        self.computer = computer
        self._stdout: list[str] = []
        self._records: list[StreamRecord] = []
        self.runtime = Runtime(
            emit_text=self._stdout.append,
            emit_record=self._records.append,
            format_error=format_error_record,
            sleep=sleep or time.sleep,
        )
        self.evaluator = Evaluator(computer, self.runtime)
        if cwd:  # the WinRS shell's WorkingDirectory option
            self.evaluator.global_scope.vars["pwd"] = cwd
        self.exited = False

    def log_on(self, user: str) -> None:
        """The process runs as `user` (the WinRM account): its profile variables point there."""
        profile = f"C:\\Users\\{user}"
        env = self.evaluator.env
        env["USERNAME"] = user
        env["USERPROFILE"] = profile
        env["HOMEPATH"] = f"\\Users\\{user}"
        env["APPDATA"] = f"{profile}\\AppData\\Roaming"
        env["LOCALAPPDATA"] = f"{profile}\\AppData\\Local"
        env["TEMP"] = env["TMP"] = f"{profile}\\AppData\\Local\\Temp"

    def _on_output(self, objects: list[Any]) -> None:
        text = format_objects(objects)
        if text:
            self._stdout.append(text)

    def run(self, script: str) -> RunResult:
        """Parse and evaluate `script`; see contracts.md for the result."""
        self._stdout.clear()
        self._records.clear()
        ev = self.evaluator
        try:
            parsed = parse(script)
        except ParseFailure as failure:
            ev._add_error(ErrorRecordValue(failure.record))
            self._records.append(
                StreamRecord("error", format_error_record(failure.record), failure.record)
            )
            ev.last_status = False
            return self._result(1, False)
        return self._execute(lambda: ev.run_top(parsed, self._on_output), file_mode=False)

    def run_file(self, path: str, args: Sequence[str]) -> RunResult | None:
        """powershell.exe -File PATH ARGS: None when there is no such script file. `-Name`
        arguments bind by name; the exit code is the script's `exit N`, else 0 (1 after a
        terminating error), not the -Command rule of the last statement's success."""
        self._stdout.clear()
        self._records.clear()
        ev = self.evaluator
        items: list[ArgItem] = [
            NamedArg(a[1:].rstrip(":"), text=a) if _PARAM_NAME.match(a) else PositionalArg(a)
            for a in args
        ]

        try:
            block = ev._script_file(path)
        except PSError as err:  # the script does not parse
            ev.report_uncaught(err)
            return self._result(1, False)
        if block is None:
            return None

        def body() -> None:
            try:
                self._on_output(ev._call_with_items(block, items, None, False, path))
            except ExitSignal as sig:
                self._on_output(sig.output)
                raise ExitSignal(sig.code) from None

        return self._execute(body, file_mode=True)

    def _execute(self, body: Callable[[], None], file_mode: bool) -> RunResult:
        ev = self.evaluator
        exit_code: int | None = None
        exited = False
        try:
            body()
        except ExitSignal as sig:
            self._on_output(sig.output)  # what a function wrote before its `exit`
            exit_code, exited = sig.code, True
            ev.global_scope.vars["lastexitcode"] = sig.code
        except PSError as err:
            ev.report_uncaught(err)
            exit_code = 1
        except (BreakSignal, ContinueSignal, ReturnSignal):
            pass
        except RecursionError:
            record = ErrorRecord(
                message="The script failed due to call depth overflow.",
                category=ErrorCategory.InvalidOperation,
                fqid="CallDepthOverflow",
                exception_type="System.Management.Automation.ScriptCallDepthException",
            )
            self._records.append(StreamRecord("error", format_error_record(record), record))
            exit_code = 1
        except Exception as exc:  # never let an interpreter bug escape to the wire layer
            record = ErrorRecord(
                message=f"hypervsim internal error: {type(exc).__name__}: {exc}",
                category=ErrorCategory.NotSpecified,
                fqid="EmulatorInternalError",
                exception_type="System.InvalidOperationException",
            )
            self._records.append(StreamRecord("error", format_error_record(record), record))
            exit_code = 1
        if exit_code is None:
            exit_code = 0 if ev.last_status or file_mode else 1
        self.exited = self.exited or exited
        return self._result(exit_code, exited)

    def _result(self, exit_code: int, exited: bool) -> RunResult:
        return RunResult(
            stdout="".join(self._stdout),
            records=list(self._records),
            exit_code=exit_code,
            exited=exited,
        )
