"""The interpreter's own syntax tree, independent of the tree-sitter grammar that feeds it.

Every node carries the 1-based `line` and `col` of its first character in the original script
(used for "At line:X char:Y" in error records) and `text`, its source text where useful.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(kw_only=True)
class Node:
    line: int = 1
    col: int = 1


# ---------------------------------------------------------------------------- expressions
class Expr(Node):
    """Marker base for expressions."""


@dataclass
class Constant(Expr):
    value: Any


@dataclass
class ExpandableString(Expr):
    """ "..." / @"..."@: literal text pieces and embedded expressions, in order."""

    parts: list[str | Expr]


@dataclass
class VariableRef(Expr):
    """$name, $scope:name, ${name}; `splat` for @name in command arguments."""

    name: str
    scope: str | None = None
    splat: bool = False


@dataclass
class ArrayLiteral(Expr):
    """a, b, c (also unary `,x`)."""

    items: list[Expr]


@dataclass
class ArrayExpr(Expr):
    """@( statements ): always yields an array."""

    body: list[Statement]


@dataclass
class SubExpr(Expr):
    """$( statements )."""

    body: list[Statement]


@dataclass
class ParenExpr(Expr):
    """( pipeline )."""

    pipeline: Statement


@dataclass
class HashLiteral(Expr):
    entries: list[tuple[Expr, Statement]]


@dataclass
class ScriptBlockExpr(Expr):
    block: ScriptBlock


@dataclass
class BinaryOp(Expr):
    """Arithmetic, comparison (lower-cased, e.g. '-ceq'), logical, '..', '-f', '-is', '-as'."""

    op: str
    left: Expr
    right: Expr


@dataclass
class UnaryOp(Expr):
    """'-not', '!', '-', '+', '-bnot', '-split', '-join', ','."""

    op: str
    operand: Expr


@dataclass
class Cast(Expr):
    type_name: str
    operand: Expr


@dataclass
class TypeLiteral(Expr):
    type_name: str


@dataclass
class MemberAccess(Expr):
    target: Expr
    member: str | Expr
    static: bool = False


@dataclass
class MethodCall(Expr):
    target: Expr
    method: str
    args: list[Expr]
    static: bool = False


@dataclass
class IndexExpr(Expr):
    target: Expr
    index: Expr


@dataclass
class IncDec(Expr):
    """$i++ / ++$i / $i-- / --$i."""

    op: str
    target: Expr
    prefix: bool


# ------------------------------------------------------------------------- commands
@dataclass
class CommandParameter(Node):
    """-Name, or -Name:value (value bound explicitly)."""

    name: str
    value: Expr | None = None
    text: str = ""


@dataclass
class CommandArgument(Node):
    value: Expr
    splat: bool = False


@dataclass
class Redirection(Node):
    """2>&1 (merge), *>$null, > file; `stream` is '1','2','*',...; `target` None for merges."""

    stream: str
    target: Expr | None
    merge_to: str | None = None
    append: bool = False


@dataclass
class Command(Node):
    """A command invocation; `name` is a str for barewords, an Expr for `& $x` / `& {..}`."""

    name: str | Expr
    elements: list[CommandParameter | CommandArgument] = field(default_factory=list)
    invoke_op: str | None = None  # '&' or '.'
    redirections: list[Redirection] = field(default_factory=list)
    text: str = ""


@dataclass
class ExprStage(Node):
    """An expression as a pipeline stage (only valid first)."""

    expr: Expr
    redirections: list[Redirection] = field(default_factory=list)


# ------------------------------------------------------------------------- statements
class Statement(Node):
    """Marker base for statements."""


@dataclass
class Pipeline(Statement):
    stages: list[Command | ExprStage]
    text: str = ""


@dataclass
class Assignment(Statement):
    target: Expr
    op: str  # '=', '+=', '-=', '*=', '/=', '%='
    value: Statement
    text: str = ""


@dataclass
class IfStatement(Statement):
    clauses: list[tuple[Statement, list[Statement]]]
    else_body: list[Statement] | None = None


@dataclass
class ForEachStatement(Statement):
    variable: str
    iterable: Statement
    body: list[Statement]
    label: str | None = None


@dataclass
class ForStatement(Statement):
    init: Statement | None
    condition: Statement | None
    iterator: Statement | None
    body: list[Statement]
    label: str | None = None


@dataclass
class WhileStatement(Statement):
    condition: Statement
    body: list[Statement]
    label: str | None = None


@dataclass
class DoStatement(Statement):
    body: list[Statement]
    condition: Statement
    until: bool
    label: str | None = None


@dataclass
class SwitchClause(Node):
    condition: Expr | None  # None = default
    body: list[Statement]


@dataclass
class SwitchStatement(Statement):
    subject: Statement
    clauses: list[SwitchClause]
    flags: frozenset[str] = frozenset()
    label: str | None = None


@dataclass
class CatchClause(Node):
    types: list[str]
    body: list[Statement]


@dataclass
class TryStatement(Statement):
    body: list[Statement]
    catches: list[CatchClause]
    finally_body: list[Statement] | None = None


@dataclass
class FlowStatement(Statement):
    """break / continue / return / exit / throw."""

    kind: str
    value: Statement | None = None
    label: str | None = None
    text: str = ""


@dataclass
class ParamDecl(Node):
    name: str
    type_name: str | None = None
    default: Expr | None = None
    mandatory: bool = False
    position: int | None = None
    from_pipeline: bool = False
    aliases: tuple[str, ...] = ()


@dataclass
class ScriptBlock(Node):
    """A script block body; `begin`/`process`/`end` from named blocks (`end` = unnamed body)."""

    params: list[ParamDecl] = field(default_factory=list)
    begin: list[Statement] = field(default_factory=list)
    process: list[Statement] | None = None
    end: list[Statement] = field(default_factory=list)
    cmdlet_binding: bool = False
    should_process: bool = False  # [CmdletBinding(SupportsShouldProcess)]: -WhatIf, -Confirm
    text: str = ""


@dataclass
class FunctionDefinition(Statement):
    name: str
    block: ScriptBlock
    is_filter: bool = False


@dataclass
class Script(Node):
    """A parsed script: its top-level block and the source lines (for error records)."""

    block: ScriptBlock
    lines: list[str] = field(default_factory=list)
