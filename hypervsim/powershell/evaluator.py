"""Phase 2: evaluate the AST — scopes, pipelines, flow control, errors, command dispatch.

One `Evaluator` runs scripts for one computer with one global scope; `Runtime` is what a
whole `PowerShellSession.run` shares (stdout text, stream records, sleep), including blocks
that `Invoke-Command -VMName` runs on other computers through `Invocation.invoke`.

Error model (as in PowerShell): non-terminating errors (`inv.write_error`) obey
-ErrorAction / $ErrorActionPreference; statement-terminating errors (binding failures, unknown
commands, cmdlet `CmdletError`, bad casts) end one statement unless a try is active;
script-terminating errors (`throw`, `-ErrorAction Stop`) unwind to the nearest catch.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hypervsim.powershell import api
from hypervsim.powershell import ast as psast
from hypervsim.powershell.api import CmdletError, CmdletSpec, ErrorCategory, ErrorRecord, PSObject
from hypervsim.powershell.binder import (
    NO_VALUE,
    ArgItem,
    BindingError,
    NamedArg,
    PositionalArg,
    bind,
    canonical_action,
    resolve_name,
)
from hypervsim.powershell.members import (
    MemberContext,
    MemberError,
    call_method,
    call_static,
    get_member,
    get_static,
    set_member,
)
from hypervsim.powershell.operators import (
    OperatorError,
    arithmetic,
    compare_op,
    format_operator,
    is_comparison,
    range_values,
)
from hypervsim.powershell.should_process import what_if_line
from hypervsim.powershell.streams import StreamRecord
from hypervsim.powershell.types import (
    CastError,
    UnknownTypeError,
    convert,
    exception_matches,
    to_number,
)
from hypervsim.powershell.values import (
    NOTHING,
    ErrorRecordValue,
    ExceptionValue,
    Hashtable,
    ScriptBlockValue,
    SwitchValue,
    TypeValue,
    enumerate_value,
    to_bool,
    to_string,
)

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.world.model import Computer
    from hypervsim.world.timing import TimeModel

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
class _Redirect:
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


def psversion_table() -> Hashtable:
    return Hashtable(
        [
            ("PSVersion", "5.1.20348.2849"),
            ("PSEdition", "Desktop"),
            ("PSCompatibleVersions", ["1.0", "2.0", "3.0", "4.0", "5.0", "5.1.20348.2849"]),
            ("BuildVersion", "10.0.20348.2849"),
            ("CLRVersion", "4.0.30319.42000"),
            ("WSManStackVersion", "3.0"),
            ("PSRemotingProtocolVersion", "2.3"),
            ("SerializationVersion", "1.1.0.1"),
        ]
    )


_READONLY = {"true": True, "false": False, "null": None}


class Evaluator:
    """Runs AST for one computer. `global_scope` persists across `run` calls of a session."""

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
        self.status = True  # $? of the statement being run
        self.last_status = True  # $? as scripts read it
        self.redirects: list[_Redirect] = []
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
        g["psversiontable"] = psversion_table()
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
            self.env, getattr(computer, "name", "localhost"), self._invoke_for_members
        )

    # ------------------------------------------------------------------ entry points
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

    # ------------------------------------------------------------------ statements
    def exec_block(self, stmts: list[psast.Statement], out: list[Any]) -> None:
        for stmt in stmts:
            self.exec_statement(stmt, out)

    def exec_statement(self, stmt: psast.Statement, out: list[Any]) -> None:
        """Run one statement; a statement-terminating error stops only this statement."""
        try:
            self._dispatch(stmt, out)
        except PSError as err:
            if err.script_terminating or self.try_depth > 0:
                raise
            if canonical_action(self.get_var("ErrorActionPreference")) == "Stop":
                err.script_terminating = True
                raise
            self._add_error(err.value)
            self.emit_error(err.value.record)
            self.status = False
            self.last_status = False

    def _dispatch(self, stmt: psast.Statement, out: list[Any]) -> None:
        if isinstance(stmt, psast.Pipeline):
            self.status = True
            self.current_node = stmt
            stages = stmt.stages
            if (
                len(stages) == 1
                and isinstance(stages[0], psast.ExprStage)
                and isinstance(stages[0].expr, psast.IncDec)
            ):
                self.eval(stages[0].expr)
            else:
                out.extend(self.run_pipeline(stmt))
            self.last_status = self.status
        elif isinstance(stmt, psast.Assignment):
            self.status = True
            self.current_node = stmt
            self.assign(stmt)
            self.last_status = self.status
        elif isinstance(stmt, psast.IfStatement):
            for cond, body in stmt.clauses:
                if to_bool(self.statement_value(cond)):
                    self.exec_block(body, out)
                    return
            if stmt.else_body is not None:
                self.exec_block(stmt.else_body, out)
        elif isinstance(stmt, psast.ForEachStatement):
            items = list(enumerate_value(self.statement_value(stmt.iterable)))
            if items == [None] and isinstance(stmt.iterable, psast.Pipeline):
                items = []
            for item in items:
                self.set_var(stmt.variable, item)
                if self._loop_body(stmt.body, out, stmt.label):
                    break
        elif isinstance(stmt, psast.ForStatement):
            if stmt.init is not None:
                self.exec_statement(stmt.init, [])
            while stmt.condition is None or to_bool(self.statement_value(stmt.condition)):
                if self._loop_body(stmt.body, out, stmt.label):
                    break
                if stmt.iterator is not None:
                    self.exec_statement(stmt.iterator, [])
        elif isinstance(stmt, psast.WhileStatement):
            while to_bool(self.statement_value(stmt.condition)):
                if self._loop_body(stmt.body, out, stmt.label):
                    break
        elif isinstance(stmt, psast.DoStatement):
            while True:
                if self._loop_body(stmt.body, out, stmt.label):
                    break
                result = to_bool(self.statement_value(stmt.condition))
                if result == stmt.until:
                    break
        elif isinstance(stmt, psast.SwitchStatement):
            self._switch(stmt, out)
        elif isinstance(stmt, psast.TryStatement):
            self._try(stmt, out)
        elif isinstance(stmt, psast.FlowStatement):
            self._flow(stmt, out)
        elif isinstance(stmt, psast.FunctionDefinition):
            name = stmt.name
            target = self.scope
            if ":" in name:
                prefix, _, rest = name.partition(":")
                if prefix.lower() in ("global", "script"):
                    target, name = self.global_scope, rest
            target.functions[name.lower()] = stmt
        else:  # pragma: no cover - parser produces nothing else
            raise self.runtime_error(f"Unsupported statement {type(stmt).__name__}", "NotSupported")

    def _loop_body(self, body: list[psast.Statement], out: list[Any], label: str | None) -> bool:
        """Run one iteration; True means `break` out of the loop."""
        try:
            self.exec_block(body, out)
        except BreakSignal as sig:
            if sig.label is None or (label is not None and sig.label.lower() == label.lower()):
                return True
            raise
        except ContinueSignal as sig:
            if sig.label is None or (label is not None and sig.label.lower() == label.lower()):
                return False
            raise
        return False

    def _switch(self, stmt: psast.SwitchStatement, out: list[Any]) -> None:
        from hypervsim.powershell.operators import compile_regex, equals, like, match_groups

        value = self.statement_value(stmt.subject)
        items = list(enumerate_value(value)) if value is not None else [None]
        case = "casesensitive" in stmt.flags
        saved = self.scope.vars.get("_", NOTHING)
        try:
            for item in items:
                self.scope.vars["_"] = item
                matched = False
                try:
                    for clause in stmt.clauses:
                        if clause.condition is None:
                            continue
                        if isinstance(clause.condition, psast.ScriptBlockExpr):
                            hit = to_bool(
                                self._collapse(
                                    self.call_block(
                                        clause.condition.block,
                                        dollar_underscore=item,
                                        new_scope=True,
                                    )
                                )
                            )
                        else:
                            pattern = self.eval(clause.condition)
                            if "wildcard" in stmt.flags:
                                hit = like(item, pattern, case)
                            elif "regex" in stmt.flags:
                                m = compile_regex(pattern, case).search(to_string(item))
                                hit = m is not None
                                if m is not None:
                                    self.set_var("Matches", match_groups(m))
                            else:
                                hit = equals(item, pattern, case)
                        if hit:
                            matched = True
                            self.exec_block(clause.body, out)
                    if not matched:
                        for clause in stmt.clauses:
                            if clause.condition is None:
                                self.exec_block(clause.body, out)
                except ContinueSignal as sig:
                    if sig.label is not None:
                        raise
                    continue
        except BreakSignal as sig:
            if sig.label is not None and (
                stmt.label is None or sig.label.lower() != stmt.label.lower()
            ):
                raise
        finally:
            if saved is NOTHING:
                self.scope.vars.pop("_", None)
            else:
                self.scope.vars["_"] = saved

    def _try(self, stmt: psast.TryStatement, out: list[Any]) -> None:
        try:
            self.try_depth += 1
            try:
                self.exec_block(stmt.body, out)
            finally:
                self.try_depth -= 1
        except PSError as err:
            record = err.value.record
            for clause in stmt.catches:
                if not clause.types or any(
                    exception_matches(t, record.exception_type) for t in clause.types
                ):
                    self._add_error(err.value)
                    saved = self.scope.vars.get("_", NOTHING)
                    self.scope.vars["_"] = err.value
                    try:
                        self.exec_block(clause.body, out)
                    finally:
                        if saved is NOTHING:
                            self.scope.vars.pop("_", None)
                        else:
                            self.scope.vars["_"] = saved
                    break
            else:
                raise
        finally:
            if stmt.finally_body is not None:
                self.exec_block(stmt.finally_body, out)

    def _flow(self, stmt: psast.FlowStatement, out: list[Any]) -> None:
        kind = stmt.kind
        if kind == "break":
            raise BreakSignal(stmt.label)
        if kind == "continue":
            raise ContinueSignal(stmt.label)
        if kind == "return":
            if stmt.value is not None:
                self.exec_statement(stmt.value, out)
            raise ReturnSignal()
        if kind == "exit":
            code = 0
            if stmt.value is not None:
                value = self.statement_value(stmt.value)
                try:
                    code = int(to_number(value))
                except CastError:
                    code = 0
            raise ExitSignal(code)
        if kind == "throw":
            value = self.statement_value(stmt.value) if stmt.value is not None else None
            raise self._throw(value, stmt)
        raise self.runtime_error(f"Unsupported flow statement {kind}", "NotSupported")

    def _throw(self, value: Any, node: psast.Node) -> PSError:
        if isinstance(value, ErrorRecordValue):
            return PSError(value, script_terminating=True)
        if isinstance(value, ExceptionValue):
            record = ErrorRecord(
                message=value.message,
                category=ErrorCategory.OperationStopped,
                fqid=value.message,
                exception_type=value.type_name,
            )
            self.locate(record, node)
            return PSError(ErrorRecordValue(record, thrown=value), script_terminating=True)
        if value is None or value is NOTHING:
            message = "ScriptHalted"
        else:
            message = to_string(value)
        record = ErrorRecord(
            message=message,
            category=ErrorCategory.OperationStopped,
            fqid=message,
            target=message if value is not None else None,
            exception_type="System.Management.Automation.RuntimeException",
        )
        self.locate(record, node)
        return PSError(
            ErrorRecordValue(record, target_object=value, thrown=value), script_terminating=True
        )

    # ------------------------------------------------------------------ values of statements
    def statement_value(self, stmt: psast.Statement) -> Any:
        """The value a statement yields where a value is needed (assignment, conditions)."""
        if isinstance(stmt, psast.Pipeline):
            stages = stmt.stages
            if (
                len(stages) == 1
                and isinstance(stages[0], psast.ExprStage)
                and not stages[0].redirections
            ):
                self.current_node = stmt
                value = self.eval(stages[0].expr)
                return None if value is NOTHING else value
            self.status = True
            self.current_node = stmt
            result = self._collapse(self.run_pipeline(stmt))
            self.last_status = self.status
            return None if result is NOTHING else result
        if isinstance(stmt, psast.Assignment):
            self.assign(stmt)
            return (
                self.eval(stmt.target)
                if not isinstance(stmt.target, psast.Cast)
                else self.eval(stmt.target.operand)
            )
        out: list[Any] = []
        self.exec_statement(stmt, out)
        result = self._collapse(out)
        return None if result is NOTHING else result

    @staticmethod
    def _collapse(items: list[Any]) -> Any:
        if not items:
            return NOTHING
        if len(items) == 1:
            return items[0]
        return list(items)

    # ------------------------------------------------------------------ assignment
    def assign(self, stmt: psast.Assignment) -> None:
        value = self.statement_value(stmt.value)
        self.assign_to(stmt.target, stmt.op, value, stmt)

    def assign_to(self, target: psast.Expr, op: str, value: Any, node: psast.Node) -> None:
        if op != "=":
            current = self.eval(target)
            try:
                value = arithmetic(op[0], current, value)
            except (OperatorError, CastError) as exc:
                raise self.runtime_error(
                    str(exc), getattr(exc, "fqid", "RuntimeException"), node=node
                ) from None
        if isinstance(target, psast.VariableRef):
            self.set_var(target.name, value, target.scope)
        elif isinstance(target, psast.Cast):
            self.assign_to(target.operand, "=", self._cast(target.type_name, value, node), node)
        elif isinstance(target, psast.MemberAccess):
            obj = self.eval(target.target)
            name = (
                target.member
                if isinstance(target.member, str)
                else to_string(self.eval(target.member))
            )
            try:
                set_member(obj, name, None if value is NOTHING else value)
            except MemberError as exc:
                raise self.runtime_error(str(exc), exc.fqid, node=node) from None
        elif isinstance(target, psast.IndexExpr):
            obj = self.eval(target.target)
            index = self.eval(target.index)
            if isinstance(obj, dict):
                obj[index] = value
            elif isinstance(obj, list):
                idx = int(to_number(index))
                if not -len(obj) <= idx < len(obj):
                    raise self.runtime_error(
                        "Index was outside the bounds of the array.",
                        "System.IndexOutOfRangeException",
                        node=node,
                    )
                obj[idx] = value
            elif obj is None:
                raise self.runtime_error("Cannot index into a null array.", "NullArray", node=node)
            else:
                raise self.runtime_error(
                    f"Unable to index into an object of type {type(obj).__name__}.",
                    "CannotIndex",
                    node=node,
                )
        elif isinstance(target, psast.ArrayLiteral):
            values = list(value) if isinstance(value, list) else [value]
            targets = target.items
            for idx, item in enumerate(targets):
                if idx == len(targets) - 1:
                    rest = values[idx:]
                    part = rest[0] if len(rest) == 1 else (rest if rest else None)
                else:
                    part = values[idx] if idx < len(values) else None
                self.assign_to(item, "=", part, node)
        else:
            raise self.runtime_error(
                (
                    "The assignment expression is not valid. The input to an assignment"
                    " operator must be an object that is able to accept assignments, such as a"
                    " variable or a property."
                ),
                "InvalidLeftHandSide",
                node=node,
            )

    # ------------------------------------------------------------------ expressions
    def eval(self, expr: psast.Expr) -> Any:
        method = _EVAL.get(type(expr))
        if method is None:  # pragma: no cover
            raise self.runtime_error(
                f"Unsupported expression {type(expr).__name__}", "NotSupported", node=expr
            )
        return method(self, expr)

    def _eval_constant(self, expr: psast.Constant) -> Any:
        return expr.value

    def _eval_expandable(self, expr: psast.ExpandableString) -> str:
        pieces: list[str] = []
        ofs = self.get_var("OFS")
        sep = " " if ofs is None else to_string(ofs)
        for part in expr.parts:
            if isinstance(part, str):
                pieces.append(part)
                continue
            value = self.eval(part)
            if isinstance(value, list):
                pieces.append(sep.join(to_string(v) for v in value))
            else:
                pieces.append(to_string(value))
        return "".join(pieces)

    def _eval_variable(self, expr: psast.VariableRef) -> Any:
        if expr.splat:
            return self.get_var(expr.name, expr.scope)
        return self.get_var(expr.name, expr.scope)

    def _eval_array_literal(self, expr: psast.ArrayLiteral) -> list[Any]:
        out: list[Any] = []
        for item in expr.items:
            value = self.eval(item)
            out.append(None if value is NOTHING else value)
        return out

    def _eval_array_expr(self, expr: psast.ArrayExpr) -> list[Any]:
        out: list[Any] = []
        self.exec_block(expr.body, out)
        return out

    def _eval_subexpr(self, expr: psast.SubExpr) -> Any:
        out: list[Any] = []
        self.exec_block(expr.body, out)
        return self._collapse(out)

    def _eval_paren(self, expr: psast.ParenExpr) -> Any:
        inner = expr.pipeline
        if isinstance(inner, psast.Pipeline):
            stages = inner.stages
            if (
                len(stages) == 1
                and isinstance(stages[0], psast.ExprStage)
                and not stages[0].redirections
            ):
                return self.eval(stages[0].expr)
            saved = self.current_node
            result = self._collapse(self.run_pipeline(inner))
            self.current_node = saved
            return result
        return self.statement_value(inner)

    def _eval_hash(self, expr: psast.HashLiteral) -> Hashtable:
        table = Hashtable()
        for key_expr, value_stmt in expr.entries:
            key = self.eval(key_expr)
            if key in table:
                raise self.runtime_error(
                    f"Duplicate keys '{to_string(key)}' are not allowed in hash literals.",
                    "DuplicateKeyInHashLiteral",
                    node=key_expr,
                )
            table[key] = self.statement_value(value_stmt)
        return table

    def _eval_scriptblock(self, expr: psast.ScriptBlockExpr) -> ScriptBlockValue:
        return ScriptBlockValue(expr.block, self.script_lines)

    def _eval_binary(self, expr: psast.BinaryOp) -> Any:
        op = expr.op
        if op == "-and":
            return to_bool(self.eval(expr.left)) and to_bool(self.eval(expr.right))
        if op == "-or":
            return to_bool(self.eval(expr.left)) or to_bool(self.eval(expr.right))
        left = self.eval(expr.left)
        right = self.eval(expr.right)
        if left is NOTHING:
            left = None
        if right is NOTHING:
            right = None
        try:
            if op == "-xor":
                return to_bool(left) != to_bool(right)
            if op == "..":
                return range_values(left, right)
            if op == "-f":
                return format_operator(left, right)
            if is_comparison(op):
                result, matches = compare_op(op, left, right)
                if matches is not None:
                    self.set_var("Matches", matches)
                return result
            return arithmetic(op, left, right)
        except OperatorError as exc:
            raise self.runtime_error(str(exc), exc.fqid, node=expr) from None
        except CastError as exc:
            raise self.runtime_error(
                str(exc),
                "InvalidCastFromStringToInteger",
                ErrorCategory.InvalidArgument,
                "System.Management.Automation.PSInvalidCastException",
                node=expr,
            ) from None

    def _eval_unary(self, expr: psast.UnaryOp) -> Any:
        op = expr.op
        value = self.eval(expr.operand)
        if value is NOTHING:
            value = None
        try:
            if op == "-not":
                return not to_bool(value)
            if op == "-":
                number = to_number(value)
                return -number
            if op == "+":
                return to_number(value)
            if op == ",":
                return [value]
            if op == "-bnot":
                return ~int(to_number(value))
            if op == "-split":
                items = value if isinstance(value, list) else [value]
                return [w for v in items for w in to_string(v).split()]
            if op == "-join":
                items = value if isinstance(value, list) else [value]
                return "".join(to_string(v) for v in items)
        except CastError as exc:
            raise self.runtime_error(
                str(exc), "InvalidCastFromStringToInteger", ErrorCategory.InvalidArgument, node=expr
            ) from None
        raise self.runtime_error(f"Unsupported operator {op}", "NotSupported", node=expr)

    def _cast(self, type_name: str, value: Any, node: psast.Node) -> Any:
        try:
            return convert(type_name, value)
        except CastError as exc:
            raise self.runtime_error(
                str(exc),
                "InvalidCastFromStringToInteger"
                if "Int" in exc.type_name
                else "ConvertToFinalInvalidCastException",
                ErrorCategory.InvalidArgument,
                "System.Management.Automation.PSInvalidCastException",
                node=node,
            ) from None
        except UnknownTypeError as exc:
            raise self.runtime_error(
                str(exc), "TypeNotFound", ErrorCategory.InvalidOperation, node=node
            ) from None

    def _eval_cast(self, expr: psast.Cast) -> Any:
        lowered = expr.type_name.lower()
        if lowered in ("pscustomobject", "ordered") and isinstance(expr.operand, psast.HashLiteral):
            table = self._eval_hash(expr.operand)
            if lowered == "ordered":
                table.ordered = True
                return table
            return PSObject(dict(table.items()))
        value = self.eval(expr.operand)
        if lowered == "void":
            return NOTHING
        if lowered == "pscustomobject" and isinstance(value, dict):
            return PSObject(dict(value.items()))
        return self._cast(expr.type_name, value, expr)

    def _eval_type(self, expr: psast.TypeLiteral) -> TypeValue:
        return TypeValue(expr.type_name)

    def _member_name(self, member: str | psast.Expr) -> str:
        return member if isinstance(member, str) else to_string(self.eval(member))

    def _eval_member(self, expr: psast.MemberAccess) -> Any:
        name = self._member_name(expr.member)
        try:
            if expr.static:
                if not isinstance(expr.target, psast.TypeLiteral):
                    target = self.eval(expr.target)
                    type_name = target.name if isinstance(target, TypeValue) else to_string(target)
                else:
                    type_name = expr.target.type_name
                return get_static(type_name, name, self.members)
            target = self.eval(expr.target)
            return get_member(target, name)
        except MemberError as exc:
            raise self.runtime_error(
                str(exc), exc.fqid, ErrorCategory[exc.category], exc.exception_type, node=expr
            ) from None

    def _eval_method(self, expr: psast.MethodCall) -> Any:
        args = [self._plain(self.eval(a)) for a in expr.args]
        try:
            if expr.static:
                type_name = (
                    expr.target.type_name
                    if isinstance(expr.target, psast.TypeLiteral)
                    else to_string(self.eval(expr.target))
                )
                if expr.method.lower() == "new":
                    return self._construct(type_name, args, expr)
                return call_static(type_name, expr.method, args, self.members)
            target = self.eval(expr.target)
            lowered = expr.method.lower()
            if lowered in ("foreach", "where") and args and isinstance(args[0], ScriptBlockValue):
                items = list(enumerate_value(target))
                results: list[Any] = []
                for item in items:
                    out = self.call_block(args[0].block, dollar_underscore=item)
                    if lowered == "foreach":
                        results.extend(out)
                    elif to_bool(self._collapse(out)):
                        results.append(item)
                return results
            return call_method(target, expr.method, args, self.members)
        except MemberError as exc:
            raise self.runtime_error(
                str(exc), exc.fqid, ErrorCategory[exc.category], exc.exception_type, node=expr
            ) from None

    def _construct(self, type_name: str, args: list[Any], node: psast.Node) -> Any:
        from hypervsim.powershell.construct import construct

        try:
            return construct(type_name, args)
        except MemberError as exc:
            raise self.runtime_error(
                str(exc), exc.fqid, ErrorCategory[exc.category], exc.exception_type, node=node
            ) from None

    @staticmethod
    def _plain(value: Any) -> Any:
        return None if value is NOTHING else value

    def _eval_index(self, expr: psast.IndexExpr) -> Any:
        target = self.eval(expr.target)
        index = self._plain(self.eval(expr.index))
        if target is None or target is NOTHING:
            raise self.runtime_error("Cannot index into a null array.", "NullArray", node=expr)
        return self._index(target, index, expr)

    def _index(self, target: Any, index: Any, node: psast.Node) -> Any:
        if isinstance(target, dict):
            if isinstance(index, list):
                return [target.get(i) for i in index]
            return target.get(index)
        if isinstance(target, PSObject):
            if isinstance(index, str):
                return target.get(index)
            if int(to_number(index)) in (0, -1):
                return target
            return None
        if isinstance(target, list | tuple | str | bytes | bytearray):
            if isinstance(index, list):
                return [self._index(target, i, node) for i in index]
            try:
                idx = int(to_number(index))
            except CastError:
                return None
            if -len(target) <= idx < len(target):
                return target[idx]
            return None
        try:
            idx = int(to_number(index))
        except CastError:
            return None
        return target if idx in (0, -1) else None

    def _eval_incdec(self, expr: psast.IncDec) -> Any:
        current = self.eval(expr.target)
        new = arithmetic("+" if expr.op == "++" else "-", current if current is not None else 0, 1)
        self.assign_to(expr.target, "=", new, expr)
        return new if expr.prefix else (current if current is not None else 0)

    # ------------------------------------------------------------------ pipelines
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
                value = NO_VALUE if element.value is None else self._plain(self.eval(element.value))
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
            value = self._plain(self.eval(element.value))
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

    def _redirect_frame(self, cmd: psast.Command) -> _Redirect | None:
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
        return _Redirect(actions)

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

    def _find_function(self, name: str) -> psast.FunctionDefinition | None:
        return self.scope.find_function(name.lower())

    def _record_execution(self, name: str) -> None:
        world = getattr(self.computer, "world", None)
        record = getattr(world, "record_execution", None)
        if callable(record):
            record(getattr(self.computer, "name", ""), name)

    def _time_model(self) -> TimeModel | None:
        """The host's time model (`serve --time-scale`), with every guest whose boot is over
        brought up first; None when the model is instant."""
        world = getattr(self.computer, "world", None)
        timing: TimeModel | None = getattr(world, "timing", None)
        if world is None or timing is None or not timing.enabled:
            return None
        timing.settle(world.computers())
        return timing

    # ------------------------------------------------------------------ cmdlets
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
            record = exc.record
            record.command = name
            line, _col, text = self._position(node)
            record.line, record.column, record.script_line = line, exc.column or node.col, text
            raise PSError(ErrorRecordValue(record)) from None
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
                self, spec, name, bound_values, bound.args, batch_input, common, node
            )
            what_if = what_if_line(spec.name, spec.kind, common, bound_values)
            if what_if is not None:
                inv.write_host(what_if)
                continue
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
                    self.locate(record, node)
                    self.status = False
                    raise PSError(ErrorRecordValue(record)) from None
                inv.write_error(record)
            except (PSError, BreakSignal, ContinueSignal, ExitSignal, ReturnSignal):
                raise
            except Exception as exc:  # a bug in a cmdlet must not kill the session
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
        named: dict[str, Any] = {}
        positional: list[Any] = []
        strict = block.cmdlet_binding or any(
            p.mandatory or p.position is not None for p in block.params
        )
        i = 0
        while i < len(items):
            item = items[i]
            if isinstance(item, PositionalArg):
                positional.append(item.value)
                i += 1
                continue
            params = resolve_name(
                item.name, tuple(api.Param(p.name, aliases=p.aliases) for p in block.params)
            )
            if len(params) != 1:
                if (
                    item.name.lower()
                    in (
                        "erroraction",
                        "ea",
                        "verbose",
                        "warningaction",
                        "debug",
                        "confirm",
                        "whatif",
                    )
                    and block.cmdlet_binding
                ):
                    value = True if item.value is NO_VALUE else item.value
                    named["__common_" + item.name.lower()] = value
                    i += 1
                    continue
                if strict or params:
                    self._raise_binding(
                        name,
                        f"A parameter cannot be found that matches parameter name '{item.name}'.",
                        "NamedParameterNotFound",
                        item.column,
                    )
                positional.append(item.text)
                if item.value is not NO_VALUE:
                    positional.append(item.value)
                i += 1
                continue
            decl = next(p for p in block.params if p.name.lower() == params[0].name.lower())
            is_switch = (decl.type_name or "").lower() in (
                "switch",
                "system.management.automation.switchparameter",
            )
            if is_switch:
                named[decl.name] = True if item.value is NO_VALUE else to_bool(item.value)
            elif item.value is not NO_VALUE:
                named[decl.name] = item.value
            elif i + 1 < len(items) and isinstance(items[i + 1], PositionalArg):
                named[decl.name] = items[i + 1].value  # type: ignore[union-attr]
                i += 1
            else:
                self._raise_binding(
                    name,
                    (
                        f"Missing an argument for parameter '{decl.name}'. Specify a parameter"
                        f" of type '{decl.type_name or 'System.Object'}' and try again."
                    ),
                    "MissingArgument",
                    item.column,
                )
            i += 1
        return self.call_block(
            block,
            positional=positional,
            named=named,
            input_values=input_values,
            new_scope=not dot,
            command_name=name,
        )

    def _raise_binding(self, name: str, message: str, fqid: str, column: int | None) -> None:
        record = ErrorRecord(
            message=message,
            category=ErrorCategory.InvalidArgument,
            fqid=f"{fqid},{name}",
            command=name,
            exception_type="System.Management.Automation.ParameterBindingException",
        )
        self.locate(record)
        if column is not None:
            record.column = column
        raise PSError(ErrorRecordValue(record))

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
            self._raise_binding(
                command_name,
                (
                    f"Cannot process command because of one or more missing mandatory"
                    f" parameters: {' '.join(missing)}."
                ),
                "MissingMandatoryParameter",
                None,
            )

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
        block: Any,
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


def _iterable(value: Any) -> Iterable[Any]:
    return enumerate_value(value)


_EVAL: dict[type, Callable[[Evaluator, Any], Any]] = {
    psast.Constant: Evaluator._eval_constant,
    psast.ExpandableString: Evaluator._eval_expandable,
    psast.VariableRef: Evaluator._eval_variable,
    psast.ArrayLiteral: Evaluator._eval_array_literal,
    psast.ArrayExpr: Evaluator._eval_array_expr,
    psast.SubExpr: Evaluator._eval_subexpr,
    psast.ParenExpr: Evaluator._eval_paren,
    psast.HashLiteral: Evaluator._eval_hash,
    psast.ScriptBlockExpr: Evaluator._eval_scriptblock,
    psast.BinaryOp: Evaluator._eval_binary,
    psast.UnaryOp: Evaluator._eval_unary,
    psast.Cast: Evaluator._eval_cast,
    psast.TypeLiteral: Evaluator._eval_type,
    psast.MemberAccess: Evaluator._eval_member,
    psast.MethodCall: Evaluator._eval_method,
    psast.IndexExpr: Evaluator._eval_index,
    psast.IncDec: Evaluator._eval_incdec,
}
