"""The source being parsed: positions in it, and the grammar's errors.

Where PowerShell accepts what the tree-sitter grammar does not (a blank instead of `;` between
one-line switch clauses or after `param(...)`), the text is repaired one char for one char and
re-parsed; any other error becomes the ParserError record PowerShell would report.
"""

from __future__ import annotations

import re
from typing import TypedDict

from tree_sitter import Node

from hypervsim.powershell.api import ErrorCategory, ErrorRecord
from hypervsim.powershell.lexing import matching, skip_string
from hypervsim.powershell.normalize import normalize

_NEWLINE = re.compile("\n")


class Pos(TypedDict):
    line: int
    col: int


class ParseFailure(Exception):  # noqa: N818 (the name says what it is)
    """The script does not parse; `record` is the ParserError PowerShell would report."""

    def __init__(self, record: ErrorRecord) -> None:
        super().__init__(record.message)
        self.record = record


class SourceTree:
    """The original and normalised text of a script, with byte -> char -> line/col maps."""

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

    def _pos(self, node: Node) -> Pos:
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
            end = matching(text, m.end() - 1, "(", ")")
            if end is None:
                continue
            k = end + 1
            if k + 1 < len(text) and text[k] in " \t" and text[k + 1] not in " \t\r\n;}":
                chars[k] = ";"
                changed = True
        for m in re.finditer(r"\bswitch\b[^{]*\{", text, re.IGNORECASE):
            body_start = m.end() - 1
            body_end = matching(text, body_start, "{", "}")
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
                    close = matching(text, i, "{", "}")
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
                    i = skip_string(text, i)
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

    def _named(self, node: Node) -> list[Node]:
        return [c for c in node.named_children if c.type != "comment"]

    @staticmethod
    def _first_error(node: Node) -> Node | None:
        if node.is_error or node.is_missing:
            return node
        for child in node.children:
            if child.has_error or child.is_missing:
                found = SourceTree._first_error(child)
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
