"""Tree conversion of expressions: operators, literals, strings, members, variables.

Statements, commands and script blocks are converted by `parser._Converter`, which builds on
this part; an expression that contains statements (`$(...)`, `{...}`) calls back into it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tree_sitter import Node

from hypervsim.powershell import ast as psast
from hypervsim.powershell.lexing import (
    collapse_pairs,
    here_body,
    parse_number,
    unescape_expandable,
)
from hypervsim.powershell.normalize import SINGLE_QUOTES
from hypervsim.powershell.parse_errors import SourceTree

_BINARY_NODES = frozenset(
    {
        "logical_expression",
        "bitwise_expression",
        "comparison_expression",
        "additive_expression",
        "multiplicative_expression",
        "format_expression",
        "range_expression",
        "logical_argument_expression",
        "bitwise_argument_expression",
        "comparison_argument_expression",
        "additive_argument_expression",
        "multiplicative_argument_expression",
        "format_argument_expression",
        "range_argument_expression",
    }
)
_WRAPPERS = frozenset({"unary_expression", "argument_expression", "key_expression"})
_SCOPES = frozenset({"global", "script", "local", "private", "using", "env", "variable"})


class ExpressionConverter(SourceTree):
    """Converts expression nodes of the tree into AST expressions."""

    if TYPE_CHECKING:  # pragma: no cover - defined by parser._Converter

        def _script_block(self, node: Node) -> psast.ScriptBlock: ...
        def _statements(self, node: Node) -> list[psast.Statement]: ...
        def _pipeline(self, node: Node) -> psast.Statement: ...
        def _param_block(self, node: Node, block: psast.ScriptBlock) -> None: ...

    def _expr(self, node: Node) -> psast.Expr:
        kind = node.type
        pos = self._pos(node)
        if kind in _WRAPPERS or kind == "left_assignment_expression":
            named = self._named(node)
            if len(named) == 1:
                if kind == "key_expression" and named[0].type == "simple_name":
                    return psast.Constant(self.orig_text(named[0]), **pos)
                return self._expr(named[0])
            raise self._unsupported(node)
        if kind in _BINARY_NODES:
            left, op_node, right = node.children[0], node.children[1], node.children[2]
            op = self.text(op_node).strip().lower()
            return psast.BinaryOp(op, self._expr(left), self._expr(right), **pos)
        if kind == "expression_with_unary_operator":
            named = self._named(node)
            first = node.children[0]
            if first.type in (
                "cast_expression",
                "pre_increment_expression",
                "pre_decrement_expression",
            ):
                return self._expr(first)
            op = self.text(first).strip().lower()
            if op == "!":
                op = "-not"
            return psast.UnaryOp(op, self._expr(named[-1]), **pos)
        if kind == "cast_expression":
            named = self._named(node)
            return psast.Cast(self._type_name(named[0]), self._expr(named[1]), **pos)
        if kind in ("pre_increment_expression", "pre_decrement_expression"):
            op = "++" if "increment" in kind else "--"
            return psast.IncDec(op, self._expr(self._named(node)[0]), True, **pos)
        if kind in ("post_increment_expression", "post_decrement_expression"):
            op = "++" if "increment" in kind else "--"
            return psast.IncDec(op, self._expr(self._named(node)[0]), False, **pos)
        if kind == "variable":
            return self._variable(node)
        if kind == "integer_literal":
            return psast.Constant(parse_number(self.text(node)), **pos)
        if kind == "real_literal":
            return psast.Constant(parse_number(self.text(node)), **pos)
        if kind == "string_literal":
            return self._string(self._named(node)[0])
        if kind in (
            "expandable_string_literal",
            "verbatim_string_characters",
            "expandable_here_string_literal",
            "verbatim_here_string_characters",
        ):
            return self._string(node)
        if kind in ("array_literal_expression",):
            return psast.ArrayLiteral([self._expr(c) for c in self._named(node)], **pos)
        if kind == "array_expression":
            for c in self._named(node):
                if c.type == "statement_list":
                    return psast.ArrayExpr(self._statements(c), **pos)
            return psast.ArrayExpr([], **pos)
        if kind == "sub_expression":
            for c in self._named(node):
                if c.type == "statement_list":
                    return psast.SubExpr(self._statements(c), **pos)
            return psast.SubExpr([], **pos)
        if kind == "parenthesized_expression":
            return psast.ParenExpr(self._pipeline(self._named(node)[0]), **pos)
        if kind == "hash_literal_expression":
            entries: list[tuple[psast.Expr, psast.Statement]] = []
            for body in self._named(node):
                for entry in self._named(body):
                    if entry.type != "hash_entry":
                        continue
                    named = self._named(entry)
                    entries.append((self._expr(named[0]), self._pipeline(named[-1])))
            return psast.HashLiteral(entries, **pos)
        if kind == "script_block_expression":
            inner = next((c for c in self._named(node) if c.type == "script_block"), None)
            block = self._script_block(inner) if inner is not None else psast.ScriptBlock(**pos)
            # On one line the grammar puts `param(...)` beside the body, not inside it.
            outer_param = next((c for c in self._named(node) if c.type == "param_block"), None)
            if outer_param is not None:
                self._param_block(outer_param, block)
            block.text = self.orig_text(node)[1:-1]
            return psast.ScriptBlockExpr(block, **pos)
        if kind == "type_literal":
            return psast.TypeLiteral(self._type_name(node), **pos)
        if kind == "member_access":
            named = self._named(node)
            static = any(c.type == "::" for c in node.children)
            return psast.MemberAccess(
                self._expr(named[0]), self._member_name(named[1]), static, **pos
            )
        if kind == "invocation_expression":
            named = self._named(node)
            static = any(c.type == "::" for c in node.children)
            member = self._member_name(named[1])
            args = self._method_args(named[2]) if len(named) > 2 else []
            if not isinstance(member, str):
                raise self._unsupported(node)
            return psast.MethodCall(self._expr(named[0]), member, args, static, **pos)
        if kind == "element_access":
            named = self._named(node)
            return psast.IndexExpr(self._expr(named[0]), self._expr(named[1]), **pos)
        if kind == "simple_name":
            return psast.Constant(self.orig_text(node), **pos)
        if kind in ("pipeline", "pipeline_chain", "assignment_expression"):
            return psast.ParenExpr(self._pipeline(node), **pos)
        raise self._unsupported(node)

    def _method_args(self, node: Node) -> list[psast.Expr]:
        """The expressions of an `argument_list` node: `(a, b)` of a method call."""
        return [self._expr(a) for lst in self._named(node) for a in self._named(lst)]

    def _member_name(self, node: Node) -> str | psast.Expr:
        named = self._named(node)
        if named and named[0].type not in ("simple_name",):
            return self._expr(named[0])
        text = self.orig_text(node).strip()
        if text[:1] in ("'", '"'):
            return text[1:-1]
        return text

    def _type_name(self, node: Node) -> str:
        text = self.text(node).strip()
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        return re.sub(r"\s+", "", text)

    def _variable(self, node: Node) -> psast.VariableRef:
        text = self.orig_text(node).strip()
        pos = self._pos(node)
        splat = text.startswith("@")
        body = text[1:]
        if body.startswith("{") and body.endswith("}"):
            body = body[1:-1]
        scope: str | None = None
        if ":" in body:
            prefix, _, rest = body.partition(":")
            if prefix.lower() in _SCOPES:
                scope, body = prefix.lower(), rest
        return psast.VariableRef(body, scope, splat, **pos)

    def _string(self, node: Node) -> psast.Expr:
        pos = self._pos(node)
        kind = node.type
        raw = self.orig_text(node)
        if kind == "verbatim_string_characters":
            return psast.Constant(collapse_pairs(raw[1:-1], SINGLE_QUOTES), **pos)
        if kind == "verbatim_here_string_characters":
            return psast.Constant(here_body(raw), **pos)
        here = kind == "expandable_here_string_literal"
        start = self._char(node.start_byte)
        if here:
            nl = raw.find("\n")
            body_start = start + nl + 1
            body_end = start + len(raw) - 2
            if self.orig[body_end - 1 : body_end] == "\n":
                body_end -= 1
            if self.orig[body_end - 1 : body_end] == "\r":
                body_end -= 1
        else:
            body_start, body_end = start + 1, start + len(raw) - 1
        parts: list[str | psast.Expr] = []
        cursor = body_start
        for child in self._named(node):
            c_start, c_end = self._char(child.start_byte), self._char(child.end_byte)
            if c_start < cursor or c_end > body_end + (1 if here else 0):
                continue
            if c_start > cursor:
                parts.append(unescape_expandable(self.orig[cursor:c_start], here))
            if child.type == "variable":
                parts.append(self._variable(child))
            elif child.type == "sub_expression":
                parts.append(self._expr(child))
            else:
                parts.append(unescape_expandable(self.orig[c_start:c_end], here))
            cursor = c_end
        if cursor < body_end:
            parts.append(unescape_expandable(self.orig[cursor:body_end], here))
        parts = [p for p in parts if p != ""]
        if all(isinstance(p, str) for p in parts):
            return psast.Constant("".join(p for p in parts if isinstance(p, str)), **pos)
        return psast.ExpandableString(parts, **pos)


def relocate(expr: psast.Node, line: int, col_offset: int) -> None:
    """Shift positions of a sub-parsed expression onto the original script's coordinates."""
    stack: list[Any] = [expr]
    while stack:
        item = stack.pop()
        if isinstance(item, psast.Node):
            item.line = line
            item.col = max(1, item.col + col_offset)
            stack.extend(vars(item).values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
