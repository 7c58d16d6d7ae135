"""Phase 1: source text -> `ast.Script`, via tree-sitter-pwsh.

The grammar's tree is converted into our own AST (`ast.py`) so the rest of the interpreter never
sees tree-sitter. String contents are rebuilt from the *original* text (see `normalize.py`),
since the grammar leaves backtick escapes and quote pairs to us. A tree with errors becomes a
`ParseFailure` carrying a PowerShell-style ParserError record (exit code 1).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, TypedDict

import tree_sitter_pwsh
from tree_sitter import Language, Node, Parser

from hypervsim.powershell import ast as psast
from hypervsim.powershell.api import ErrorCategory, ErrorRecord
from hypervsim.powershell.normalize import DOUBLE_QUOTES, SINGLE_QUOTES, is_double_quote, normalize

_LANGUAGE = Language(tree_sitter_pwsh.language())

BACKTICK_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
BACKTICK_ESCAPES["v"] = "\v"

_MULTIPLIERS = {"kb": 1024, "mb": 1024**2, "gb": 1024**3, "tb": 1024**4, "pb": 1024**5}
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


class _Pos(TypedDict):
    line: int
    col: int


class ParseFailure(Exception):  # noqa: N818 (the name says what it is)
    """The script does not parse; `record` is the ParserError PowerShell would report."""

    def __init__(self, record: ErrorRecord) -> None:
        super().__init__(record.message)
        self.record = record


@lru_cache(maxsize=1)
def _parser() -> Parser:
    return Parser(_LANGUAGE)


def parse(source: str) -> psast.Script:
    """Parse a whole script. Raises `ParseFailure` on syntax errors."""
    return _Converter(source).script()


@lru_cache(maxsize=512)
def parse_cached(source: str) -> psast.Script:
    """`parse`, remembered by source text (syntax trees are never modified once built).

    For script blocks made from the same text again and again (`[scriptblock]::Create`), as
    PowerShell itself keeps a cache of compiled script blocks keyed by their text."""
    return parse(source)


def unescape_backticks(text: str) -> str:
    """Apply PowerShell 5.1 backtick escapes (`n, `t, ...; any other char stands for itself)."""
    if "`" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "`" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "\r" and text[i + 2 : i + 3] == "\n":
                i += 3
                continue
            if nxt == "\n":
                i += 2
                continue
            out.append(BACKTICK_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _collapse_pairs(text: str, quotes: frozenset[str]) -> str:
    """A doubled quote (any of the family) stands for its second character."""
    if quotes.isdisjoint(text):  # most literals (e.g. a framed base64 argument): no scan
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] in quotes and i + 1 < len(text) and text[i + 1] in quotes:
            out.append(text[i + 1])
            i += 2
            continue
        out.append(text[i])
        i += 1
    return "".join(out)


def _unescape_expandable(text: str, here: bool) -> str:
    """Text between embedded expressions of a "..." string: backticks and "" pairs."""
    if "`" not in text and (here or DOUBLE_QUOTES.isdisjoint(text)):
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "`" and i + 1 < len(text):
            out.append(BACKTICK_ESCAPES.get(text[i + 1], text[i + 1]))
            i += 2
            continue
        if not here and is_double_quote(ch) and i + 1 < len(text) and is_double_quote(text[i + 1]):
            out.append(text[i + 1])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def parse_number(text: str) -> int | float:
    """Integer/real literal text (hex, multipliers kb..pb, type suffixes) -> value."""
    t = text.strip().lower()
    mult = 1
    for suffix, factor in _MULTIPLIERS.items():
        if t.endswith(suffix):
            mult, t = factor, t[: -len(suffix)]
            break
    if t.startswith("0x"):
        return int(t[2:].rstrip("l"), 16) * mult
    if t.endswith("l") or t.endswith("u"):
        t = t.rstrip("lu")
    if t.endswith("d") and not t.startswith("0x"):
        t = t[:-1]
    if re.fullmatch(r"[0-9]+", t):
        return int(t) * mult
    value = float(t) * mult
    return int(value) if mult != 1 and value.is_integer() else value


_NEWLINE = re.compile("\n")


class _Converter:
    """Walks the tree-sitter tree once, producing AST nodes."""

    def __init__(self, source: str) -> None:
        self.orig = source
        self.norm = normalize(source)
        self.data = self.norm.encode("utf-8")
        self.ascii = len(self.data) == len(self.norm)
        self._b2c: list[int] | None = None
        self.lines = source.replace("\r\n", "\n").split("\n")
        self._line_starts = [0] + [m.end() for m in _NEWLINE.finditer(self.norm)]

    # ---------------------------------------------------------------- positions / text
    def _char(self, byte_offset: int) -> int:
        if self.ascii:
            return byte_offset
        if self._b2c is None:
            table: list[int] = []
            for idx, ch in enumerate(self.norm):
                table.extend([idx] * len(ch.encode("utf-8")))
            table.append(len(self.norm))
            self._b2c = table
        return self._b2c[byte_offset]

    def _pos(self, node: Node) -> _Pos:
        row = node.start_point.row
        start = self._char(node.start_byte)
        line_start = self._line_starts[row] if row < len(self._line_starts) else 0
        return {"line": row + 1, "col": start - line_start + 1}

    def orig_text(self, node: Node) -> str:
        return self.orig[self._char(node.start_byte) : self._char(node.end_byte)]

    def text(self, node: Node) -> str:
        return self.data[node.start_byte : node.end_byte].decode("utf-8")

    # ---------------------------------------------------------------- errors
    def _fail(self, node: Node) -> ParseFailure:
        pos = self._pos(node)
        if node.is_missing:
            token = node.type
            messages = {
                "}": (
                    "Missing closing '}' in statement block or type definition.",
                    "MissingEndCurlyBrace",
                ),
                ")": ("Missing closing ')' in expression.", "MissingEndParenthesisInExpression"),
                "]": (
                    "Missing ']' at end of attribute or type literal.",
                    "EndSquareBracketExpectedAtEndOfAttribute",
                ),
                '"': (
                    'The string is missing the terminator: ".',
                    "TerminatorExpectedAtEndOfString",
                ),
                "'": (
                    "The string is missing the terminator: '.",
                    "TerminatorExpectedAtEndOfString",
                ),
            }
            message, fqid = messages.get(token, (f"Missing '{token}'.", "MissingToken"))
        else:
            bad = self.orig_text(node).strip().split("\n")[0][:40] or node.type
            open_quote = self._unterminated_quote()
            if open_quote is not None:
                quote = self.norm[open_quote]
                message = f"The string is missing the terminator: {quote}."
                fqid = "TerminatorExpectedAtEndOfString"
                line = self.norm.count("\n", 0, open_quote) + 1
                pos = {"line": line, "col": open_quote - self._line_starts[line - 1] + 1}
            else:
                token = bad.split()[0] if bad.split() else bad
                message = f"Unexpected token '{token}' in expression or statement."
                fqid = "UnexpectedToken"
        line = pos["line"]
        record = ErrorRecord(
            message=message,
            category=ErrorCategory.ParserError,
            fqid=fqid,
            exception_type="System.Management.Automation.ParseException",
            line=line,
            column=pos["col"],
            script_line=self.lines[line - 1] if line - 1 < len(self.lines) else "",
        )
        return ParseFailure(record)

    def _unterminated_quote(self) -> int | None:
        """Offset of a quote that opens a string never closed (scanning the normalised text)."""
        text = self.norm
        i, n = 0, len(text)
        while i < n:
            ch = text[i]
            if ch == "`":
                i += 2
                continue
            if ch == "#" and (i == 0 or text[i - 1] in " \t\n;"):
                end = text.find("\n", i)
                i = n if end < 0 else end
                continue
            if (
                ch == "@"
                and text[i + 1 : i + 2] in ("'", '"')
                and text[i + 2 : i + 3] in ("\n", "\r")
            ):
                closer = "\n" + text[i + 1] + "@"
                end = text.find(closer, i + 2)
                if end < 0:
                    return i
                i = end + 3
                continue
            if ch in ("'", '"'):
                j = i + 1
                while j < n:
                    if text[j] == "`" and ch == '"':
                        j += 2
                        continue
                    if text[j] == ch:
                        if text[j + 1 : j + 2] == ch:
                            j += 2
                            continue
                        break
                    j += 1
                if j >= n:
                    return i
                i = j + 1
                continue
            i += 1
        return None

    def _repair_inline_blocks(self) -> bool:
        """Put `;` (for a blank) where the grammar needs a separator PowerShell does not.

        After `param(...)` followed by code on the same line, and between one-line switch
        clauses `'a' { 1 } 'b' { 2 }`. One char for one char: positions stay valid.
        """
        text = self.norm
        chars = list(text)
        changed = False
        for m in re.finditer(r"\bparam\s*\(", text, re.IGNORECASE):
            end = _matching(text, m.end() - 1, "(", ")")
            if end is None:
                continue
            k = end + 1
            if k + 1 < len(text) and text[k] in " \t" and text[k + 1] not in " \t\r\n;}":
                chars[k] = ";"
                changed = True
        for m in re.finditer(r"\bswitch\b[^{]*\{", text, re.IGNORECASE):
            body_start = m.end() - 1
            body_end = _matching(text, body_start, "{", "}")
            if body_end is None:
                continue
            i = body_start + 1
            expect_condition = True
            while i < body_end:
                ch = text[i]
                if ch in " \t\r\n;":
                    i += 1
                    continue
                if ch == "{":
                    close = _matching(text, i, "{", "}")
                    if close is None:
                        break
                    if not expect_condition:
                        j = close + 1
                        while j < body_end and text[j] in " \t":
                            j += 1
                        if j > close + 1 and j < body_end and text[j] not in "}\r\n;":
                            chars[close + 1] = ";"
                            changed = True
                    expect_condition = not expect_condition
                    i = close + 1
                    continue
                if ch in ("'", '"'):
                    i = _skip_string(text, i)
                else:
                    while i < body_end and text[i] not in " \t\r\n{":
                        i += 1
                expect_condition = False
        if changed:
            self.norm = "".join(chars)
            self.data = self.norm.encode("utf-8")
            self._b2c = None
        return changed

    def _repair_switch(self, bad: Node) -> bool:
        """The grammar needs `;`/newline between switch clauses on one line; PowerShell does not.

        Replace the blank after the clause body that precedes the error with `;` (one char for
        one char, so positions stay valid) and let the caller re-parse.
        """
        node: Node | None = bad
        while node is not None and node.type not in (
            "switch_body",
            "switch_clauses",
            "switch_clause",
        ):
            node = node.parent
        if node is None:
            return False
        text = self.norm
        start = self._char(bad.start_byte)
        depth = 0
        for idx in range(start, len(text)):
            ch = text[idx]
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth <= 0:
                    if (
                        idx + 2 < len(text)
                        and text[idx + 1] in " \t"
                        and text[idx + 2] not in "}\r\n;"
                    ):
                        self.norm = text[: idx + 1] + ";" + text[idx + 2 :]
                        self.data = self.norm.encode("utf-8")
                        self._b2c = None
                        return True
                    if depth < 0:
                        return False
        return False

    @staticmethod
    def _first_error(node: Node) -> Node | None:
        if node.is_error or node.is_missing:
            return node
        for child in node.children:
            if child.has_error or child.is_missing:
                found = _Converter._first_error(child)
                if found is not None:
                    return found
        return None

    def _expression_expected(self, node: Node) -> ParseFailure:
        """What PowerShell says for an empty `()` where an expression must be."""
        pos = self._pos(node)
        record = ErrorRecord(
            message="An expression was expected after '('.",
            category=ErrorCategory.ParserError,
            fqid="ExpectedExpression",
            exception_type="System.Management.Automation.ParseException",
            line=pos["line"],
            column=pos["col"] + 1,
            script_line=self.lines[pos["line"] - 1],
        )
        return ParseFailure(record)

    def _unsupported(self, node: Node) -> ParseFailure:
        pos = self._pos(node)
        record = ErrorRecord(
            message=(
                f"hypervsim does not support the '{node.type}' construct:"
                f" {self.orig_text(node)[:60]}"
            ),
            category=ErrorCategory.NotImplemented,
            fqid="NotSupportedByEmulator",
            exception_type="System.Management.Automation.ParseException",
            line=pos["line"],
            column=pos["col"],
            script_line=self.lines[pos["line"] - 1],
        )
        return ParseFailure(record)

    # ---------------------------------------------------------------- entry
    def script(self) -> psast.Script:
        tree = _parser().parse(self.data)
        root = tree.root_node
        for _attempt in range(32):
            if not root.has_error:
                break
            bad = self._first_error(root) or root
            if not (self._repair_switch(bad) or self._repair_inline_blocks()):
                raise self._fail(bad)
            tree = _parser().parse(self.data)
            root = tree.root_node
        block = self._script_block(root)
        block.text = self.orig
        return psast.Script(block=block, lines=self.lines, line=1, col=1)

    def _named(self, node: Node) -> list[Node]:
        return [c for c in node.named_children if c.type != "comment"]

    # ---------------------------------------------------------------- blocks
    def _script_block(self, node: Node) -> psast.ScriptBlock:
        """`program` or `script_block`: optional param block, body or named blocks."""
        block = psast.ScriptBlock(**self._pos(node))
        block.text = self.orig_text(node)
        for child in self._named(node):
            if child.type == "param_block":
                block.params, block.cmdlet_binding = self._param_block(child)
            elif child.type == "statement_list":
                block.end = self._statements(child)
            elif child.type == "script_block_body":
                for part in self._named(child):
                    if part.type == "statement_list":
                        block.end = self._statements(part)
                    elif part.type == "named_block_list":
                        self._named_blocks(part, block)
            elif child.type == "script_block":
                inner = self._script_block(child)
                block.params, block.cmdlet_binding = inner.params, inner.cmdlet_binding
                block.begin, block.process, block.end = inner.begin, inner.process, inner.end
            elif child.type == "named_block_list":
                self._named_blocks(child, block)
            else:
                raise self._unsupported(child)
        return block

    def _named_blocks(self, node: Node, block: psast.ScriptBlock) -> None:
        for nb in self._named(node):
            name_node = nb.child_by_field_name("block_name") or self._named(nb)[0]
            name = self.text(name_node).strip().lower()
            body_node = next(c for c in self._named(nb) if c.type == "statement_block")
            body = self._statement_block(body_node)
            if name == "begin":
                block.begin = body
            elif name == "process":
                block.process = body
            elif name == "end":
                block.end = body
            else:
                raise self._unsupported(nb)

    def _param_block(self, node: Node) -> tuple[list[psast.ParamDecl], bool]:
        cmdlet_binding = False
        params: list[psast.ParamDecl] = []
        for child in self._named(node):
            if child.type == "attribute_list":
                for attr in self._named(child):
                    if "cmdletbinding" in self.text(attr).lower():
                        cmdlet_binding = True
            elif child.type == "parameter_list":
                params = self._parameter_list(child)
        return params, cmdlet_binding

    def _parameter_list(self, node: Node) -> list[psast.ParamDecl]:
        params: list[psast.ParamDecl] = []
        for sp in self._named(node):
            if sp.type == "script_parameter":
                params.extend(self._script_parameter(sp))
        return params

    def _script_parameter(self, node: Node) -> list[psast.ParamDecl]:
        decl = psast.ParamDecl(name="", **self._pos(node))
        extra: list[psast.ParamDecl] = []
        for child in self._named(node):
            if child.type == "attribute_list":
                for attr in self._named(child):
                    self._apply_attribute(decl, attr)
            elif child.type == "variable":
                decl.name = self._variable(child).name
            elif child.type == "script_parameter_default":
                value_node = self._named(child)[0]
                decl.default, extra = self._split_default(value_node)
        return [decl, *extra]

    def _split_default(self, node: Node) -> tuple[psast.Expr, list[psast.ParamDecl]]:
        """Work around the grammar reading `$b = 2, [switch]$s` as one array default."""
        if node.type != "array_literal_expression":
            return self._expr(node), []
        items = self._named(node)
        for idx, item in enumerate(items):
            if idx > 0 and self._looks_like_parameter(item):
                head = [self._expr(i) for i in items[:idx]]
                default: psast.Expr = (
                    head[0] if len(head) == 1 else psast.ArrayLiteral(head, **self._pos(node))
                )
                extra = [self._parameter_from_expr(i) for i in items[idx:]]
                return default, extra
        return self._expr(node), []

    def _looks_like_parameter(self, node: Node) -> bool:
        text = self.text(node).strip()
        return bool(re.fullmatch(r"(\[[^\]]*\]\s*)*\$\w+", text))

    def _parameter_from_expr(self, node: Node) -> psast.ParamDecl:
        text = self.text(node).strip()
        decl = psast.ParamDecl(name=text.rsplit("$", 1)[1], **self._pos(node))
        types = re.findall(r"\[([^\]]*)\]", text)
        if types:
            decl.type_name = types[-1].strip()
        return decl

    def _apply_attribute(self, decl: psast.ParamDecl, attr: Node) -> None:
        text = self.text(attr).strip()
        inner = text[1:-1].strip()
        lowered = inner.lower()
        if lowered.startswith("parameter"):
            args = inner[len("parameter") :].strip("() ")
            for part in args.split(","):
                key, _, value = part.partition("=")
                key = key.strip().lower()
                value = value.strip().lower()
                truthy = value in ("", "$true")
                if key == "mandatory":
                    decl.mandatory = truthy
                elif key == "position":
                    decl.position = int(value) if value.isdigit() else None
                elif key in ("valuefrompipeline", "valuefrompipelinebypropertyname"):
                    decl.from_pipeline = decl.from_pipeline or truthy
        elif lowered.startswith("alias"):
            decl.aliases = tuple(re.findall(r"['\"]([^'\"]+)['\"]", inner))
        elif "(" not in inner and not lowered.startswith("validate"):
            decl.type_name = inner

    # ---------------------------------------------------------------- statements
    def _statement_block(self, node: Node) -> list[psast.Statement]:
        for child in self._named(node):
            if child.type == "statement_list":
                return self._statements(child)
        return []

    def _statements(self, node: Node) -> list[psast.Statement]:
        out: list[psast.Statement] = []
        label: str | None = None
        for child in self._named(node):
            if child.type in ("empty_statement", "comment"):
                continue
            if child.type == "label":
                label = self.text(child).strip()[1:]
                continue
            stmt = self._statement(child)
            if label is not None and hasattr(stmt, "label"):
                stmt.label = label  # type: ignore[attr-defined]
            label = None
            out.append(stmt)
        return out

    def _statement(self, node: Node) -> psast.Statement:
        kind = node.type
        pos = self._pos(node)
        if kind == "pipeline":
            return self._pipeline(node)
        if kind == "if_statement":
            return self._if(node)
        if kind == "foreach_statement":
            named = self._named(node)
            var = next(c for c in named if c.type == "variable")
            iterable = next(c for c in named if c.type == "pipeline")
            body = next(c for c in named if c.type == "statement_block")
            return psast.ForEachStatement(
                self._variable(var).name,
                self._pipeline(iterable),
                self._statement_block(body),
                **pos,
            )
        if kind == "for_statement":
            parts: dict[str, psast.Statement | None] = {"init": None, "cond": None, "iter": None}
            body_stmts: list[psast.Statement] = []
            for child in self._named(node):
                key = {
                    "for_initializer": "init",
                    "for_condition": "cond",
                    "for_iterator": "iter",
                }.get(child.type)
                if key:
                    parts[key] = self._pipeline(self._named(child)[0])
                elif child.type == "statement_block":
                    body_stmts = self._statement_block(child)
            return psast.ForStatement(
                parts["init"], parts["cond"], parts["iter"], body_stmts, **pos
            )
        if kind == "while_statement":
            cond = next(c for c in self._named(node) if c.type == "while_condition")
            body = next(c for c in self._named(node) if c.type == "statement_block")
            return psast.WhileStatement(
                self._pipeline(self._named(cond)[0]), self._statement_block(body), **pos
            )
        if kind == "do_statement":
            cond = next(c for c in self._named(node) if c.type == "while_condition")
            body = next(c for c in self._named(node) if c.type == "statement_block")
            until = any(c.type == "until" for c in node.children)
            return psast.DoStatement(
                self._statement_block(body), self._pipeline(self._named(cond)[0]), until, **pos
            )
        if kind == "switch_statement":
            return self._switch(node)
        if kind == "try_statement":
            return self._try(node)
        if kind == "flow_control_statement":
            keyword = node.children[0].type.lower()
            value: psast.Statement | None = None
            label = None
            for child in self._named(node):
                if child.type == "pipeline":
                    value = self._pipeline(child)
                elif child.type in ("label_expression", "simple_name"):
                    label = self.text(child).strip()
            return psast.FlowStatement(keyword, value, label, text=self.orig_text(node), **pos)
        if kind == "function_statement":
            return self._function(node)
        raise self._unsupported(node)

    def _if(self, node: Node) -> psast.IfStatement:
        clauses: list[tuple[psast.Statement, list[psast.Statement]]] = []
        else_body: list[psast.Statement] | None = None
        cond = node.child_by_field_name("condition")
        body = next(c for c in self._named(node) if c.type == "statement_block")
        assert cond is not None
        clauses.append((self._pipeline(cond), self._statement_block(body)))
        for child in self._named(node):
            if child.type == "elseif_clauses":
                for clause in self._named(child):
                    c = clause.child_by_field_name("condition")
                    b = next(x for x in self._named(clause) if x.type == "statement_block")
                    assert c is not None
                    clauses.append((self._pipeline(c), self._statement_block(b)))
            elif child.type == "else_clause":
                b = next(x for x in self._named(child) if x.type == "statement_block")
                else_body = self._statement_block(b)
        return psast.IfStatement(clauses, else_body, **self._pos(node))

    def _switch(self, node: Node) -> psast.SwitchStatement:
        flags: set[str] = set()
        subject: psast.Statement | None = None
        clauses: list[psast.SwitchClause] = []
        for child in self._named(node):
            if child.type == "switch_parameters":
                for p in self._named(child):
                    flags.add(self.text(p).strip().lstrip("-").lower())
            elif child.type == "switch_condition":
                subject = self._pipeline(self._named(child)[0])
            elif child.type == "switch_body":
                for group in self._named(child):
                    for clause in self._named(group):
                        clauses.append(self._switch_clause(clause))
        if "file" in flags:
            raise self._unsupported(node)
        assert subject is not None
        return psast.SwitchStatement(subject, clauses, frozenset(flags), **self._pos(node))

    def _switch_clause(self, node: Node) -> psast.SwitchClause:
        cond_node = next(c for c in self._named(node) if c.type == "switch_clause_condition")
        body = next(c for c in self._named(node) if c.type == "statement_block")
        inner = self._named(cond_node)
        cond: psast.Expr | None
        if not inner:
            word = self.orig_text(cond_node).strip()
            cond = (
                None if word.lower() == "default" else psast.Constant(word, **self._pos(cond_node))
            )
        elif inner[0].type == "simple_name":
            word = self.orig_text(inner[0]).strip()
            cond = (
                None if word.lower() == "default" else psast.Constant(word, **self._pos(cond_node))
            )
        else:
            cond = self._expr(inner[0])
        return psast.SwitchClause(cond, self._statement_block(body), **self._pos(node))

    def _try(self, node: Node) -> psast.TryStatement:
        body: list[psast.Statement] = []
        catches: list[psast.CatchClause] = []
        finally_body: list[psast.Statement] | None = None
        for child in self._named(node):
            if child.type == "statement_block":
                body = self._statement_block(child)
            elif child.type == "catch_clauses":
                for clause in self._named(child):
                    types: list[str] = []
                    cbody: list[psast.Statement] = []
                    for part in self._named(clause):
                        if part.type == "catch_type_list":
                            types = [self.text(t).strip()[1:-1].strip() for t in self._named(part)]
                        elif part.type == "statement_block":
                            cbody = self._statement_block(part)
                    catches.append(psast.CatchClause(types, cbody, **self._pos(clause)))
            elif child.type == "finally_clause":
                b = next(x for x in self._named(child) if x.type == "statement_block")
                finally_body = self._statement_block(b)
        return psast.TryStatement(body, catches, finally_body, **self._pos(node))

    def _function(self, node: Node) -> psast.FunctionDefinition:
        name = ""
        block = psast.ScriptBlock(**self._pos(node))
        params: list[psast.ParamDecl] = []
        for child in self._named(node):
            if child.type == "function_name":
                name = self.text(child).strip()
            elif child.type == "function_parameter_declaration":
                for pl in self._named(child):
                    if pl.type == "parameter_list":
                        params = self._parameter_list(pl)
            elif child.type == "script_block":
                block = self._script_block(child)
        if params and not block.params:
            block.params = params
        is_filter = self.text(node.children[0]).lower() == "filter"
        return psast.FunctionDefinition(name, block, is_filter, **self._pos(node))

    # ---------------------------------------------------------------- pipelines
    def _pipeline(self, node: Node) -> psast.Statement:
        """`pipeline` / `pipeline_chain` / `assignment_expression` -> Pipeline or Assignment."""
        if node.type == "pipeline":
            named = self._named(node)
            if len(named) == 1:
                return self._pipeline(named[0])
            raise self._unsupported(node)
        if node.type == "assignment_expression":
            return self._assignment(node)
        if node.type == "pipeline_chain":
            stages: list[psast.Command | psast.ExprStage] = []
            for child in self._named(node):
                if child.type == "pipeline_chain_tail":
                    raise self._unsupported(child)
                if child.type == "command":
                    stages.append(self._command(child))
                else:
                    stages.append(psast.ExprStage(self._expr(child), **self._pos(child)))
            return psast.Pipeline(stages, text=self.orig_text(node), **self._pos(node))
        if node.type in ("if_statement", "switch_statement", "foreach_statement", "try_statement"):
            return self._statement(node)
        # a bare expression standing in for a pipeline
        return psast.Pipeline(
            [psast.ExprStage(self._expr(node), **self._pos(node))],
            text=self.orig_text(node),
            **self._pos(node),
        )

    def _assignment(self, node: Node) -> psast.Assignment:
        named = self._named(node)
        target_node = named[0]
        op = self.text(next(c for c in named if c.type == "assignment_operator")).strip()
        value_node = named[-1]
        target_inner = (
            self._named(target_node)[0]
            if target_node.type == "left_assignment_expression"
            else target_node
        )
        target = self._expr(target_inner)
        if value_node.type == "assignment_value":
            value = self._pipeline(self._named(value_node)[0])
        else:
            value = self._pipeline(value_node)
        return psast.Assignment(target, op, value, text=self.orig_text(node), **self._pos(node))

    def _command(self, node: Node) -> psast.Command | psast.ExprStage:
        pos = self._pos(node)
        invoke_op: str | None = None
        name: str | psast.Expr = ""
        elements: list[psast.CommandParameter | psast.CommandArgument] = []
        redirections: list[psast.Redirection] = []
        for child in self._named(node):
            if child.type == "command_invocation_operator":
                invoke_op = self.text(child).strip()
            elif child.type == "command_name":
                raw = self.orig_text(child)
                if re.match(r"^[0-9]", raw) or (raw.startswith("-") and raw[1:2].isdigit()):
                    return self._range_command(node, child, raw)
                name = unescape_backticks(raw)
            elif child.type == "command_name_expr":
                name = self._command_name_expr(child)
            elif child.type == "command_elements":
                elements, redirections = self._command_elements(child)
        return psast.Command(
            name, elements, invoke_op, redirections, text=self.orig_text(node), **pos
        )

    def _range_command(self, node: Node, name_node: Node, raw: str) -> psast.ExprStage:
        """The grammar reads `1..3` as a command name; re-parse it as an expression."""
        inner = _Converter(
            "$__r["
            + self.norm[self._char(name_node.start_byte) : self._char(name_node.end_byte)]
            + "]"
        )
        tree = _parser().parse(inner.data)
        if tree.root_node.has_error:
            raise self._fail(name_node)
        access = tree.root_node
        while access.type != "element_access":
            access = access.named_children[0]
        expr = inner._expr(access.named_children[1])
        pos = self._pos(name_node)
        _relocate(expr, pos["line"], pos["col"] - 6)
        if any(
            c.type == "command_elements"
            and any(e.type != "command_argument_sep" for e in self._named(c))
            for c in self._named(node)
        ):
            raise self._fail(name_node)
        return psast.ExprStage(expr, **pos)

    def _command_name_expr(self, node: Node) -> str | psast.Expr:
        named = self._named(node)
        if not named:
            return unescape_backticks(self.orig_text(node).strip())
        child = named[0]
        if child.type == "path_command_name":
            inner = self._named(child)
            if len(inner) == 1 and inner[0].type == "variable":
                return self._variable(inner[0])
            return unescape_backticks(self.orig_text(child).strip())
        return self._expr(child)

    def _command_elements(
        self, node: Node
    ) -> tuple[list[psast.CommandParameter | psast.CommandArgument], list[psast.Redirection]]:
        elements: list[psast.CommandParameter | psast.CommandArgument] = []
        redirections: list[psast.Redirection] = []
        children = [c for c in node.named_children if c.type != "comment"]
        i = 0
        while i < len(children):
            child = children[i]
            pos = self._pos(child)
            if child.type == "command_argument_sep":
                i += 1
                continue
            if child.type == "redirection":
                redirections.append(self._redirection(child))
            elif child.type == "command_parameter":
                raw = self.text(child).strip()
                colon = raw.endswith(":")
                j = i + 1
                if not colon and j < len(children) and children[j].type == "command_argument_sep":
                    colon = ":" in self.text(children[j])
                    j += 1 if colon else 0
                param = psast.CommandParameter(raw.rstrip(":")[1:], text=raw.rstrip(":"), **pos)
                if colon:
                    while j < len(children) and children[j].type == "command_argument_sep":
                        j += 1
                    if j < len(children):
                        param.value = self._argument(children[j])
                        i = j
                elements.append(param)
            elif child.type == "verbatim_command_argument" or child.type == "stop_parsing":
                raise self._unsupported(child)
            else:
                expr = self._argument(child)
                following = children[i + 1] if i + 1 < len(children) else None
                if (
                    isinstance(expr, psast.MemberAccess)
                    and isinstance(expr.member, str)
                    and following is not None
                    and following.type == "argument_list"
                    and following.start_byte == child.end_byte
                ):
                    # `Test-Path -Path $s.Substring(1)`: the grammar splits a method call in
                    # command mode into the member and its argument list; it is one argument.
                    args = [
                        self._expr(a) for lst in self._named(following) for a in self._named(lst)
                    ]
                    expr = psast.MethodCall(expr.target, expr.member, args, expr.static, **pos)
                    i += 1
                splat = isinstance(expr, psast.VariableRef) and expr.splat
                elements.append(psast.CommandArgument(expr, splat, **pos))
            i += 1
        return elements, redirections

    def _redirection(self, node: Node) -> psast.Redirection:
        pos = self._pos(node)
        named = self._named(node)
        op = self.text(named[0]).strip()
        if named[0].type == "merging_redirection_operator":
            stream, _, to = op.partition(">&")
            return psast.Redirection(stream or "1", None, merge_to=to, **pos)
        append = op.endswith(">>")
        stream = op.rstrip(">") or "1"
        target: psast.Expr | None = None
        if len(named) > 1:
            parts = [c for c in self._named(named[1]) if c.type != "command_argument_sep"]
            target = (
                self._argument(parts[0])
                if parts
                else psast.Constant(self.text(named[1]).strip(), **pos)
            )
        return psast.Redirection(stream, target, append=append, **pos)

    def _argument(self, node: Node) -> psast.Expr:
        """A command argument: barewords are strings, everything else an expression."""
        pos = self._pos(node)
        kind = node.type
        if kind in ("generic_token", "expandable_bareword", "simple_name"):
            return psast.Constant(unescape_backticks(self.orig_text(node)), **pos)
        if kind == "bareword_argument_list":
            return psast.ArrayLiteral([self._argument(c) for c in self._named(node)], **pos)
        if kind == "argument_list":
            # `New-Object T($a, $b)`: in command mode `(` ends the bareword, so PowerShell sees
            # the type name and then ONE argument, the parenthesised expression `($a, $b)`
            # (an array when it has commas) -- which binds to New-Object's -ArgumentList.
            items = [self._expr(a) for lst in self._named(node) for a in self._named(lst)]
            if not items:
                raise self._expression_expected(node)
            return items[0] if len(items) == 1 else psast.ArrayLiteral(items, **pos)
        if kind == "concatenated_command_argument":
            parts: list[str | psast.Expr] = []
            for c in self._named(node):
                if c.type in ("generic_token", "expandable_bareword", "simple_name"):
                    parts.append(unescape_backticks(self.orig_text(c)))
                else:
                    parts.append(self._expr(c))
            return psast.ExpandableString(parts, **pos)
        return self._expr(node)

    # ---------------------------------------------------------------- expressions
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
                block.params, block.cmdlet_binding = self._param_block(outer_param)
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
            args: list[psast.Expr] = []
            if len(named) > 2:
                for lst in self._named(named[2]):
                    args.extend(self._expr(a) for a in self._named(lst))
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
            return psast.Constant(_collapse_pairs(raw[1:-1], SINGLE_QUOTES), **pos)
        if kind == "verbatim_here_string_characters":
            return psast.Constant(_here_body(raw), **pos)
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
                parts.append(_unescape_expandable(self.orig[cursor:c_start], here))
            if child.type == "variable":
                parts.append(self._variable(child))
            elif child.type == "sub_expression":
                parts.append(self._expr(child))
            else:
                parts.append(_unescape_expandable(self.orig[c_start:c_end], here))
            cursor = c_end
        if cursor < body_end:
            parts.append(_unescape_expandable(self.orig[cursor:body_end], here))
        parts = [p for p in parts if p != ""]
        if all(isinstance(p, str) for p in parts):
            return psast.Constant("".join(p for p in parts if isinstance(p, str)), **pos)
        return psast.ExpandableString(parts, **pos)


def _skip_string(text: str, start: int) -> int:
    """Index after the quoted string starting at `start` (doubled quotes, backticks)."""
    quote = text[start]
    i = start + 1
    while i < len(text):
        if text[i] == "`" and quote == '"':
            i += 2
            continue
        if text[i] == quote:
            if text[i + 1 : i + 2] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    return i


def _matching(text: str, start: int, open_ch: str, close_ch: str) -> int | None:
    """Index of the bracket closing the one at `start`, skipping strings."""
    depth = 0
    i = start
    while i < len(text):
        ch = text[i]
        if ch in ("'", '"'):
            i = _skip_string(text, i)
            continue
        if ch == open_ch:
            depth += 1
        elif ch == close_ch:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def _here_body(raw: str) -> str:
    """Content of @'..'@: from after the first newline to before the last newline."""
    nl = raw.find("\n")
    body = raw[nl + 1 : -2]
    if body.endswith("\n"):
        body = body[:-1]
    if body.endswith("\r"):
        body = body[:-1]
    return body


def _relocate(expr: psast.Node, line: int, col_offset: int) -> None:
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
