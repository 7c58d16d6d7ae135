"""Statements: blocks, loops, switch, try/catch/finally, flow control and assignment."""

from __future__ import annotations

from typing import Any

from hypervsim.powershell import ast as psast
from hypervsim.powershell.api import ErrorCategory, ErrorRecord
from hypervsim.powershell.binder import canonical_action
from hypervsim.powershell.expressions import ExpressionEvaluator
from hypervsim.powershell.members import MemberError, set_member
from hypervsim.powershell.operators import OperatorError, arithmetic
from hypervsim.powershell.runtime import (
    BreakSignal,
    ContinueSignal,
    ExitSignal,
    PSError,
    ReturnSignal,
    collapse,
)
from hypervsim.powershell.types import CastError, exception_matches, to_number
from hypervsim.powershell.values import (
    NOTHING,
    ErrorRecordValue,
    ExceptionValue,
    enumerate_value,
    to_bool,
    to_string,
)


class StatementRunner(ExpressionEvaluator):
    """Runs statements; a statement-terminating error ends one statement unless in a try."""

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
                                collapse(
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
                    self.handling.append(err.value)
                    try:
                        self.exec_block(clause.body, out)
                    finally:
                        self.handling.pop()
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
            if stmt.value is None and self.handling:
                # A bare `throw` in a catch block rethrows the error being handled, as is.
                raise PSError(self.handling[-1], script_terminating=True)
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
            result = collapse(self.run_pipeline(stmt))
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
        result = collapse(out)
        return None if result is NOTHING else result

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
