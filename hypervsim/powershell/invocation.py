"""Command invocation: pipelines, redirections, cmdlets, functions and script blocks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from hypervsim.powershell import api, world_guard
from hypervsim.powershell import ast as psast
from hypervsim.powershell.api import CmdletError, CmdletSpec, ErrorCategory, ErrorRecord
from hypervsim.powershell.binder import (
    FUNCTION_COMMON,
    FUNCTION_SHOULD_PROCESS,
    NO_VALUE,
    ArgItem,
    BindingError,
    NamedArg,
    PositionalArg,
    bind,
    canonical_action,
    check_actions,
    command_class,
    match_named,
    missing_mandatory,
    script_params,
)
from hypervsim.powershell.cmdlet_invocation import CmdletInvocation
from hypervsim.powershell.runtime import (
    NOT_RECOGNIZED,
    BreakSignal,
    ContinueSignal,
    ExitSignal,
    PSError,
    Redirect,
    ReturnSignal,
    Scope,
    plain,
)
from hypervsim.powershell.should_process import NON_INTERACTIVE, confirm_requested, what_if_line
from hypervsim.powershell.statements import StatementRunner
from hypervsim.powershell.values import (
    NOTHING,
    ErrorRecordValue,
    ScriptBlockValue,
    SwitchValue,
    enumerate_value,
    to_bool,
    to_string,
)

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.powershell.evaluator import Evaluator
    from hypervsim.world.timing import TimeModel


def _looks_like_script_path(name: str) -> bool:
    """Only a name with a path (`C:\\x.ps1`, `.\\x.ps1`) runs a script file, never a bare one."""
    return name.lower().endswith(".ps1") and ("\\" in name or "/" in name)


def function_common(block: psast.ScriptBlock) -> tuple[api.Param, ...]:
    """The common parameters a script block has: none unless [CmdletBinding()]."""
    if not block.cmdlet_binding:
        return ()
    return FUNCTION_COMMON + (FUNCTION_SHOULD_PROCESS if block.should_process else ())


class CommandInvoker(StatementRunner):
    """Runs pipelines of commands and binds their arguments."""

    if TYPE_CHECKING:  # pragma: no cover - defined by the evaluator

        def sleep(self, seconds: float) -> None: ...

    def run_pipeline(self, pipe: psast.Pipeline, initial: list[Any] | None = None) -> list[Any]:
        values: list[Any] | None = initial
        for idx, stage in enumerate(pipe.stages):
            if isinstance(stage, psast.ExprStage):
                if idx > 0:
                    raise self.runtime_error(
                        "Expressions are only allowed as the first element of a pipeline.",
                        "ExpressionsMustBeFirstInPipeline",
                        ErrorCategory.ParserError,
                        "System.Management.Automation.ParseException",
                        node=stage,
                    )
                self.current_node = stage
                values = list(enumerate_value(self.eval(stage.expr)))
            else:
                values = self.invoke_command(stage, values)
        return values or []

    def _command_items(self, cmd: psast.Command) -> list[ArgItem]:
        items: list[ArgItem] = []
        for element in cmd.elements:
            if isinstance(element, psast.CommandParameter):
                value = NO_VALUE if element.value is None else plain(self.eval(element.value))
                items.append(
                    NamedArg(
                        element.name,
                        value,
                        element.value is not None,
                        element.text or "-" + element.name,
                        element.col,
                    )
                )
                continue
            if element.splat and isinstance(element.value, psast.VariableRef):
                splatted = self.get_var(element.value.name, element.value.scope)
                if isinstance(splatted, dict):
                    for key, val in splatted.items():
                        if isinstance(val, bool):
                            items.append(
                                NamedArg(
                                    to_string(key), val, True, "-" + to_string(key), element.col
                                )
                            )
                        else:
                            items.append(
                                NamedArg(
                                    to_string(key), val, True, "-" + to_string(key), element.col
                                )
                            )
                elif isinstance(splatted, list):
                    items.extend(PositionalArg(v, element.col) for v in splatted)
                elif splatted is not None:
                    items.append(PositionalArg(splatted, element.col))
                continue
            value = plain(self.eval(element.value))
            items.append(PositionalArg(value, element.col))
        return items

    def invoke_command(self, cmd: psast.Command, input_values: list[Any] | None) -> list[Any]:
        self.current_node = cmd
        frame = self._redirect_frame(cmd)
        if frame is not None:
            self.redirects.append(frame)
        try:
            output = self._invoke_command(cmd, input_values)
        finally:
            if frame is not None:
                self.redirects.pop()
        if frame is not None:
            if frame.actions.get("1") == "discard" or frame.actions.get("*") == "discard":
                output = []
            output = output + frame.merged
        return output

    def _redirect_frame(self, cmd: psast.Command) -> Redirect | None:
        if not cmd.redirections:
            return None
        actions: dict[str, str] = {}
        for redir in cmd.redirections:
            if redir.merge_to is not None:
                actions[redir.stream] = "merge"
                continue
            target = self.eval(redir.target) if redir.target is not None else None
            if target is None or (
                isinstance(redir.target, psast.VariableRef) and redir.target.name.lower() == "null"
            ):
                actions[redir.stream] = "discard"
            else:
                raise self.runtime_error(
                    (
                        f"hypervsim does not support redirecting output to the file"
                        f" '{to_string(target)}'."
                    ),
                    "NotSupportedByEmulator",
                    ErrorCategory.NotImplemented,
                    node=redir,
                )
        return Redirect(actions)

    def _invoke_command(self, cmd: psast.Command, input_values: list[Any] | None) -> list[Any]:
        if isinstance(cmd.name, psast.Expr):
            target = self.eval(cmd.name)
            items = self._command_items(cmd)
            if isinstance(target, ScriptBlockValue):
                return self._call_scriptblock_value(
                    target.block, items, input_values, dot=cmd.invoke_op == "."
                )
            name = to_string(target)
        else:
            name = cmd.name
            items = self._command_items(cmd)
        function = self._find_function(name)
        if function is not None:
            self._record_execution(function.name)
            return self._call_function(function, items, input_values, dot=cmd.invoke_op == ".")
        spec = api.lookup(name, self.computer)
        if spec is None and _looks_like_script_path(name):
            script = self._script_file(name)
            if script is not None:
                return self._call_script_file(name, script, items, input_values)
        if spec is None:
            raise PSError(
                ErrorRecordValue(
                    self.locate(
                        ErrorRecord(
                            message=NOT_RECOGNIZED.format(name),
                            category=ErrorCategory.ObjectNotFound,
                            fqid="CommandNotFoundException",
                            target=name,
                            command=name,
                            exception_type="System.Management.Automation.CommandNotFoundException",
                        ),
                        cmd,
                    )
                )
            )
        return self.call_cmdlet(spec, name, items, input_values, cmd)

    def _script_file(self, name: str) -> psast.ScriptBlock | None:
        """A .ps1 file of the emulated file system, parsed (None when there is no such file)."""
        from hypervsim.powershell.parser import ParseFailure, parse_cached

        cwd = to_string(self.get_var("PWD") or "C:\\")
        item = self.computer.fs_item(name, cwd)
        if item is None or item.is_dir:
            return None
        content = self.computer.fs_read(item.full, cwd)
        text = content if isinstance(content, str) else content.decode("utf-8", "replace")
        try:
            return parse_cached(text.lstrip("\ufeff")).block
        except ParseFailure as failure:
            raise PSError(ErrorRecordValue(failure.record)) from None

    def _call_script_file(
        self,
        name: str,
        block: psast.ScriptBlock,
        items: list[ArgItem],
        input_values: list[Any] | None,
    ) -> list[Any]:
        """`& 'C:\\x.ps1' args`: `exit N` in the script ends the script only and sets
        $LASTEXITCODE, as for a script file run by path on Windows."""
        self._record_execution(name)
        try:
            return self._call_with_items(block, items, input_values, False, name)
        except ExitSignal as sig:
            self.global_scope.vars["lastexitcode"] = sig.code
            self.status = sig.code == 0
            return sig.output

    def _find_function(self, name: str) -> psast.FunctionDefinition | None:
        return self.scope.find_function(name.lower())

    def _record_execution(self, name: str) -> None:
        world = getattr(self.computer, "world", None)
        record = getattr(world, "record_execution", None)
        if callable(record):
            record(getattr(self.computer, "name", ""), name)

    # ------------------------------------------------------------------ cmdlets
    def _time_model(self) -> TimeModel | None:
        """The host's time model (`serve --time-scale`), with every guest whose boot is over
        brought up first; None when the model is instant."""
        world = getattr(self.computer, "world", None)
        timing: TimeModel | None = getattr(world, "timing", None)
        if world is None or timing is None or not timing.enabled:
            return None
        timing.settle(world.computers())
        return timing

    def call_cmdlet(
        self,
        spec: CmdletSpec,
        name: str,
        items: list[ArgItem],
        input_values: list[Any] | None,
        node: psast.Node,
    ) -> list[Any]:
        has_input = input_values is not None and len(input_values) > 0
        try:
            bound = bind(spec, items, has_input)
        except BindingError as exc:
            raise self._binding_failed(exc, name, node) from None
        self._record_execution(spec.name)
        timing = self._time_model()
        common = bound.common
        pipeline_param = next(
            (p for p in spec.params if p.from_pipeline and p.name not in bound.bound), None
        )
        batches: list[tuple[dict[str, Any], list[Any]]]
        if pipeline_param is not None and has_input and input_values is not None:
            batches = []
            for item in input_values:
                per_item = dict(bound.bound)
                per_item[pipeline_param.name] = (
                    [item] if pipeline_param.kind == api.ParamKind.LIST else item
                )
                batches.append((per_item, [item]))
        else:
            batches = [(bound.bound, list(input_values or []))]
        output: list[Any] = []
        errors_before = len(self.error_list)
        for bound_values, batch_input in batches:
            inv = CmdletInvocation(
                cast("Evaluator", self),  # only ever a whole Evaluator runs commands
                spec,
                name,
                bound_values,
                bound.args,
                batch_input,
                common,
                node,
            )
            what_if = what_if_line(spec.name, spec.kind, common, bound_values)
            if what_if is not None:
                inv.write_host(what_if)
                continue
            if confirm_requested(
                spec.name, spec.kind, common, self.get_var("ConfirmPreference"), bound_values
            ):
                record = ErrorRecord(
                    message=NON_INTERACTIVE,
                    category=ErrorCategory.InvalidOperation,
                    fqid=f"InvalidOperation,{command_class(spec)}",
                    command=name,
                    exception_type=(
                        "Microsoft.HyperV.PowerShell.VirtualizationException"
                        if spec.module == "Hyper-V"
                        else "System.Management.Automation.PSInvalidOperationException"
                    ),
                )
                self.locate(record, node)
                self.status = False
                raise PSError(ErrorRecordValue(record))
            guard = world_guard.begin(self.computer, spec.name)
            try:
                result = spec.func(inv)
                if result is not None:
                    for item in result:
                        output.append(item)
            except CmdletError as exc:
                record = exc.record
                if record.command is None:
                    record.command = name
                if exc.terminating:
                    world_guard.roll_back(guard)
                    self.locate(record, node)
                    self.status = False
                    raise PSError(ErrorRecordValue(record)) from None
                inv.write_error(record)
            except (PSError, BreakSignal, ContinueSignal, ExitSignal, ReturnSignal):
                raise
            except Exception as exc:  # a bug in a cmdlet must not kill the session
                world_guard.roll_back(guard)
                record = ErrorRecord(
                    message=f"{type(exc).__name__}: {exc}",
                    category=ErrorCategory.NotSpecified,
                    fqid=f"EmulatorInternalError,{spec.name}",
                    command=name,
                    exception_type="System.InvalidOperationException",
                )
                self.locate(record, node)
                raise PSError(ErrorRecordValue(record)) from None
        if timing is not None and (cost := timing.operation_seconds(spec.name, bound.bound)):
            self.sleep(cost)  # the host's run time of the command, world lock released
        self._store_common_variables(common, output, errors_before)
        return output

    def _store_common_variables(
        self, common: dict[str, Any], output: list[Any], errors_before: int
    ) -> None:
        ev = common.get("ErrorVariable")
        if ev:
            name = to_string(ev)
            new_errors = (
                self.error_list[: len(self.error_list) - errors_before]
                if len(self.error_list) > errors_before
                else []
            )
            if name.startswith("+"):
                existing = self.get_var(name[1:]) or []
                self.set_var(name[1:], list(existing) + new_errors)
            else:
                self.set_var(name, new_errors)
        ov = common.get("OutVariable")
        if ov:
            self.set_var(to_string(ov), list(output))

    # ------------------------------------------------------------------ functions and blocks
    def _call_function(
        self,
        function: psast.FunctionDefinition,
        items: list[ArgItem],
        input_values: list[Any] | None,
        dot: bool,
    ) -> list[Any]:
        block = function.block
        if function.is_filter and block.process is None:
            block = psast.ScriptBlock(
                params=block.params,
                process=block.end,
                end=[],
                text=block.text,
                cmdlet_binding=block.cmdlet_binding,
                should_process=block.should_process,
            )
        return self._call_with_items(block, items, input_values, dot, function.name)

    def _call_scriptblock_value(
        self,
        block: psast.ScriptBlock,
        items: list[ArgItem],
        input_values: list[Any] | None,
        dot: bool,
    ) -> list[Any]:
        return self._call_with_items(block, items, input_values, dot, "<ScriptBlock>")

    def _call_with_items(
        self,
        block: psast.ScriptBlock,
        items: list[ArgItem],
        input_values: list[Any] | None,
        dot: bool,
        name: str,
    ) -> list[Any]:
        """Bind a function's (or script block's) arguments with the cmdlet binder's rules."""
        strict = block.cmdlet_binding or any(
            p.mandatory or p.position is not None for p in block.params
        )
        try:
            matched = match_named(
                name,
                name,
                script_params(block),
                items,
                common=function_common(block),
                loose=not strict,
            )
            check_actions(name, name, matched.common)
        except BindingError as exc:
            raise self._binding_failed(exc, name, self.current_node) from None
        named = dict(matched.named)
        for key, value in matched.common.items():
            named["__common_" + key.lower()] = value
        return self.call_block(
            block,
            positional=[p.value for p in matched.positionals],
            named=named,
            input_values=input_values,
            new_scope=not dot,
            command_name=name,
        )

    def _binding_failed(self, exc: BindingError, name: str, node: psast.Node | None) -> PSError:
        """A ParameterBindingException, placed at the offending argument."""
        record = exc.record
        record.command = name
        line, col, text = self._position(node)
        record.line, record.column, record.script_line = line, exc.column or col, text
        return PSError(ErrorRecordValue(record))

    def call_block(
        self,
        block: psast.ScriptBlock,
        positional: list[Any] | None = None,
        named: dict[str, Any] | None = None,
        input_values: list[Any] | None = None,
        dollar_underscore: Any = NOTHING,
        new_scope: bool = True,
        variables: dict[str, Any] | None = None,
        command_name: str = "<ScriptBlock>",
    ) -> list[Any]:
        """Run a script block (function body) and return its output."""
        positional = list(positional or [])
        named = dict(named or {})
        saved_scope = self.scope
        scope = Scope(self.scope) if new_scope else self.scope
        self.scope = scope
        out: list[Any] = []
        try:
            for key in [k for k in named if k.startswith("__common_")]:
                value = named.pop(key)
                common = key[len("__common_") :]
                if common in ("erroraction", "ea"):
                    scope.vars["erroractionpreference"] = canonical_action(value) or "Continue"
                elif common == "verbose" and to_bool(value):
                    scope.vars["verbosepreference"] = "Continue"
            for name, value in (variables or {}).items():
                scope.vars[name.lower()] = value
            if new_scope:
                self._bind_params(block, positional, named, command_name, input_values)
                scope.vars["args"] = positional
                scope.vars["input"] = list(input_values or [])
            saved_underscore = scope.vars.get("_", NOTHING)
            if dollar_underscore is not NOTHING:
                scope.vars["_"] = dollar_underscore
            try:
                self.exec_block(block.begin, out)
                if block.process is not None:
                    if input_values:
                        for item in input_values:
                            scope.vars["_"] = item
                            try:
                                self.exec_block(block.process, out)
                            except ReturnSignal:
                                pass
                    else:
                        self.exec_block(block.process, out)
                self.exec_block(block.end, out)
            except ReturnSignal:
                pass
            except ExitSignal as sig:
                sig.output = out + sig.output
                raise
            finally:
                if not new_scope:
                    if saved_underscore is NOTHING:
                        scope.vars.pop("_", None)
                    else:
                        scope.vars["_"] = saved_underscore
        finally:
            self.scope = saved_scope
        return out

    def run_in_caller_scope(self, block: ScriptBlockValue, item: Any = NOTHING) -> list[Any]:
        """ForEach-Object / Where-Object blocks run in the caller's scope (assignments stick)."""
        return self.call_block(block.block, dollar_underscore=item, new_scope=False)

    def _bind_params(
        self,
        block: psast.ScriptBlock,
        positional: list[Any],
        named: dict[str, Any],
        command_name: str,
        input_values: list[Any] | None,
    ) -> None:
        missing: list[str] = []
        ordered = sorted(block.params, key=lambda p: (p.position is None, p.position or 0))
        for decl in ordered:
            is_switch = (decl.type_name or "").lower() in (
                "switch",
                "system.management.automation.switchparameter",
            )
            if decl.name in named:
                value = named.pop(decl.name)
            elif (
                not is_switch and positional and not (decl.from_pipeline and input_values and False)
            ):
                value = positional.pop(0)
            elif decl.from_pipeline and input_values:
                value = input_values[0] if len(input_values) == 1 else list(input_values)
            elif decl.default is not None:
                value = self.eval(decl.default)
            elif is_switch:
                value = False
            else:
                if decl.mandatory:
                    missing.append(decl.name)
                value = None
            if is_switch:
                value = SwitchValue(to_bool(value))
            elif decl.type_name and value is not None:
                value = self._cast(decl.type_name, value, decl)
            elif (
                decl.type_name
                and decl.type_name.lower() in ("string", "system.string")
                and value is None
            ):
                value = ""
            self.scope.vars[decl.name.lower()] = value
        if missing:
            raise self._binding_failed(
                missing_mandatory(command_name, command_name, missing), command_name, None
            )
