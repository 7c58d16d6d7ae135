"""`CmdletInvocation`: the `api.Invocation` a cmdlet function receives from the evaluator."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from hypervsim.powershell import ast as psast
from hypervsim.powershell.api import CmdletSpec, ErrorRecord, ScriptBlockLike
from hypervsim.powershell.binder import canonical_action
from hypervsim.powershell.streams import StreamRecord
from hypervsim.powershell.values import NOTHING

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.powershell.evaluator import Evaluator
    from hypervsim.world.model import Computer


class CmdletInvocation:
    """The `api.Invocation` a cmdlet function receives."""

    def __init__(
        self,
        evaluator: Evaluator,
        spec: CmdletSpec,
        name: str,
        bound: dict[str, Any],
        args: list[Any],
        input_values: list[Any],
        common: dict[str, Any],
        node: psast.Node,
    ) -> None:
        self.evaluator = evaluator
        self.spec = spec
        self.name = name if "\\" not in name and name.lower() == spec.name.lower() else spec.name
        self.bound = bound
        self.args = args
        self.input = input_values
        self.common = common
        self.computer = evaluator.computer
        self.node = node
        self.exit_code: int | None = None

    @property
    def error_action(self) -> str | None:
        value = self.common.get("ErrorAction")
        return canonical_action(value) if value is not None else None

    def write_error(self, record: ErrorRecord) -> None:
        if record.command is None:
            record.command = self.name
        self.evaluator.write_error(record, self.error_action, self.node)

    def write_warning(self, text: str) -> None:
        action = self.common.get("WarningAction")
        self.evaluator.emit_warning(text, canonical_action(action) if action is not None else None)

    def write_verbose(self, text: str) -> None:
        enabled = self.common.get("Verbose")
        self.evaluator.emit_verbose(text, bool(enabled) if enabled is not None else None)

    def write_host(self, text: str) -> None:
        self.evaluator.emit_host(text + "\r\n")

    def write_information(self, text: str) -> None:
        self.evaluator.runtime.emit_record(StreamRecord("information", text))

    def set_exit_code(self, code: int) -> None:
        """Applications (netsh, ping) report their process exit code -> $LASTEXITCODE."""
        self.exit_code = code
        self.evaluator.global_scope.vars["lastexitcode"] = code
        if code != 0:
            self.evaluator.status = False

    def invoke(
        self,
        block: ScriptBlockLike,
        args: list[Any] | None = None,
        *,
        dollar_underscore: Any = NOTHING,
        computer: Computer | None = None,
        variables: dict[str, Any] | None = None,
    ) -> list[Any]:
        return self.evaluator.invoke_block(
            block, args, dollar_underscore=dollar_underscore, computer=computer, variables=variables
        )

    def sleep(self, seconds: float) -> None:
        self.evaluator.sleep(seconds)

    # helpers for core cmdlets
    def get_variable(self, name: str) -> Any:
        return self.evaluator.get_var(name)

    def set_variable(self, name: str, value: Any, scope: str | None = None) -> None:
        self.evaluator.set_var(name, value, scope)

    def now(self) -> dt.datetime:
        return dt.datetime.now()
