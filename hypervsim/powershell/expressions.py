"""Expressions: values of AST expression nodes (operators, casts, members, indexing)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hypervsim.powershell import ast as psast
from hypervsim.powershell.api import ErrorCategory, PSObject
from hypervsim.powershell.members import (
    MemberError,
    PropertyCollection,
    call_method,
    get_member,
)
from hypervsim.powershell.operators import (
    OperatorError,
    arithmetic,
    compare_op,
    format_operator,
    is_comparison,
    range_values,
)
from hypervsim.powershell.runtime import collapse, plain
from hypervsim.powershell.scopes import ScopeState
from hypervsim.powershell.static_members import call_static, get_static
from hypervsim.powershell.types import CastError, UnknownTypeError, convert, to_number
from hypervsim.powershell.values import (
    NOTHING,
    Hashtable,
    ScriptBlockValue,
    TypeValue,
    enumerate_value,
    to_bool,
    to_string,
)


class ExpressionEvaluator(ScopeState):
    """Evaluates expressions; statements and commands inside them run through the subclasses."""

    if TYPE_CHECKING:  # pragma: no cover - defined by the statement and invocation parts

        def exec_block(self, stmts: list[psast.Statement], out: list[Any]) -> None: ...
        def statement_value(self, stmt: psast.Statement) -> Any: ...
        def run_pipeline(
            self, pipe: psast.Pipeline, initial: list[Any] | None = None
        ) -> list[Any]: ...
        def assign_to(self, target: psast.Expr, op: str, value: Any, node: psast.Node) -> None: ...

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

    def expand_string(self, text: str) -> str:
        """$ExecutionContext.InvokeCommand.ExpandString: `text` as a "..." string, here."""
        from hypervsim.powershell.parser import ParseFailure, parse_cached

        source = '"' + text.replace('"', '""') + '"'
        try:
            script = parse_cached(source)
            stage = script.block.end[0].stages[0]  # type: ignore[attr-defined]
        except (ParseFailure, IndexError, AttributeError):
            return text
        return to_string(self.eval(stage.expr))

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
        return collapse(out)

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
            result = collapse(self.run_pipeline(inner))
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
        args = [plain(self.eval(a)) for a in expr.args]
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
                    elif to_bool(collapse(out)):
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

    def _eval_index(self, expr: psast.IndexExpr) -> Any:
        target = self.eval(expr.target)
        index = plain(self.eval(expr.index))
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
        if isinstance(target, PropertyCollection) and isinstance(index, str):
            return target.item(index)
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


_EVAL: dict[type, Callable[[ExpressionEvaluator, Any], Any]] = {
    psast.Constant: ExpressionEvaluator._eval_constant,
    psast.ExpandableString: ExpressionEvaluator._eval_expandable,
    psast.VariableRef: ExpressionEvaluator._eval_variable,
    psast.ArrayLiteral: ExpressionEvaluator._eval_array_literal,
    psast.ArrayExpr: ExpressionEvaluator._eval_array_expr,
    psast.SubExpr: ExpressionEvaluator._eval_subexpr,
    psast.ParenExpr: ExpressionEvaluator._eval_paren,
    psast.HashLiteral: ExpressionEvaluator._eval_hash,
    psast.ScriptBlockExpr: ExpressionEvaluator._eval_scriptblock,
    psast.BinaryOp: ExpressionEvaluator._eval_binary,
    psast.UnaryOp: ExpressionEvaluator._eval_unary,
    psast.Cast: ExpressionEvaluator._eval_cast,
    psast.TypeLiteral: ExpressionEvaluator._eval_type,
    psast.MemberAccess: ExpressionEvaluator._eval_member,
    psast.MethodCall: ExpressionEvaluator._eval_method,
    psast.IndexExpr: ExpressionEvaluator._eval_index,
    psast.IncDec: ExpressionEvaluator._eval_incdec,
}
