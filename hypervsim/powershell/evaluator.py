"""The PowerShell evaluator: runs the AST for one computer.

Its parts, by phase: `scopes.py` (state, variables, errors, streams), `expressions.py`,
`statements.py`, `invocation.py` (pipelines, commands, the one parameter binder in
`binder.py`) and `cmdlet_invocation.py` (what a cmdlet sees). `runtime.py` holds the signals,
`PSError`, `Runtime` and `Scope` they share.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hypervsim.powershell import ast as psast
from hypervsim.powershell.cmdlet_invocation import CmdletInvocation
from hypervsim.powershell.host import REMOTE_HOST, HostValue
from hypervsim.powershell.invocation import CommandInvoker
from hypervsim.powershell.runtime import (
    BreakSignal,
    ContinueSignal,
    ExitSignal,
    PSError,
    ReturnSignal,
    Runtime,
    Scope,
    default_env,
    psversion_table,
)
from hypervsim.powershell.values import NOTHING, ScriptBlockValue

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.world.model import Computer

__all__ = [
    "BreakSignal",
    "CmdletInvocation",
    "ContinueSignal",
    "Evaluator",
    "ExitSignal",
    "PSError",
    "ReturnSignal",
    "Runtime",
    "Scope",
    "default_env",
    "psversion_table",
]


class Evaluator(CommandInvoker):
    """Runs AST for one computer. `global_scope` persists across `run` calls of a session."""

    def run_top(self, script: psast.Script, on_output: Callable[[list[Any]], None]) -> None:
        """Run a script's statements; each statement's output is handed to `on_output`."""
        self.script_lines = script.lines
        block = script.block
        if block.params:
            self._bind_params(block, [], {}, "<script>", None)
        stmts = [*block.begin, *(block.process or []), *block.end]
        for stmt in stmts:
            out: list[Any] = []
            try:
                self.exec_statement(stmt, out)
            finally:
                if out:
                    on_output(out)

    def report_uncaught(self, err: PSError) -> None:
        """A script-terminating error that reached the top: record it and show it."""
        self._add_error(err.value)
        self.emit_error(err.value.record)
        self.last_status = False

    def invoke_block(
        self,
        block: Any,
        args: list[Any] | None = None,
        *,
        dollar_underscore: Any = NOTHING,
        computer: Computer | None = None,
        variables: dict[str, Any] | None = None,
        input_values: list[Any] | None = None,
    ) -> list[Any]:
        """What `Invocation.invoke` does: locally in a child scope, or on another computer."""
        if not isinstance(block, ScriptBlockValue):
            raise self.runtime_error(
                "Cannot invoke a value that is not a script block.", "NotAScriptBlock"
            )
        if computer is not None and computer is not self.computer:
            remote = Evaluator(computer, self.runtime, using_scope=self.scope)
            remote.global_scope.vars["host"] = HostValue(REMOTE_HOST, computer, remote.host_write)
            remote.script_lines = self.script_lines
            for name, value in (variables or {}).items():
                remote.global_scope.vars[name.lower()] = value
            try:
                return remote.call_block(
                    block.block,
                    positional=list(args or []),
                    dollar_underscore=dollar_underscore,
                    input_values=input_values,
                )
            finally:
                # Invoke-Command re-writes the remote end's error records as its own
                # non-terminating errors, so the invoking statement's $? is False (and
                # powershell.exe -Command exits 1), as on Windows, at any nesting depth.
                if remote.errors_emitted:
                    self.errors_emitted += remote.errors_emitted
                    self.status = False
        return self.call_block(
            block.block,
            positional=list(args or []),
            dollar_underscore=dollar_underscore,
            variables=variables,
            input_values=input_values,
        )

    def sleep(self, seconds: float) -> None:
        """Sleep with the world lock released so other shells can run meanwhile."""
        world = getattr(self.computer, "world", None)
        lock = getattr(world, "lock", None)
        released = False
        if lock is not None:
            try:
                lock.release()
                released = True
            except RuntimeError:
                released = False
        try:
            self.runtime.sleep(seconds)
        finally:
            if released and lock is not None:
                lock.acquire()
