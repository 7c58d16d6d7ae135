"""Composing an operation script with shared prelude definitions, as valid PowerShell.

PowerShell accepts a `param(...)` block only as the first statement of a script (after
comments and `[CmdletBinding()]`-style attributes); anything before it turns `param` into
an unknown command. So prelude functions go right AFTER the script's param block. Finding
its end needs a little lexing: parentheses inside strings, comments and `$(...)` in default
values must not end it early. PowerShell's typographic quotes count as quotes.
"""

from __future__ import annotations

import re

_SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"
_DOUBLE_QUOTES = '"\u201c\u201d\u201e'
_PARAM_KEYWORD = re.compile(r"param(?![\w-])", re.IGNORECASE)


class ScriptSourceError(ValueError):
    """The script's param block is not closed (the script would not parse either)."""


def _skip_comment(text: str, i: int) -> int:
    """Index after a comment starting at `i`, or `i` if none starts there."""
    if text.startswith("<#", i):
        end = text.find("#>", i + 2)
        if end < 0:
            raise ScriptSourceError("unterminated <# block comment #>")
        return end + 2
    if text.startswith("#", i):
        end = text.find("\n", i)
        return len(text) if end < 0 else end + 1
    return i


def _skip_trivia(text: str, i: int) -> int:
    """Index of the first character at or after `i` that is not whitespace or a comment."""
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        after = _skip_comment(text, i)
        if after == i:
            return i
        i = after
    return i


def _skip_single_quoted(text: str, i: int) -> int:
    """`i` is just after an opening single quote; returns the index after the closing one."""
    while i < len(text):
        if text[i] in _SINGLE_QUOTES:
            if i + 1 < len(text) and text[i + 1] in _SINGLE_QUOTES:
                i += 2  # '' is an escaped quote
                continue
            return i + 1
        i += 1
    raise ScriptSourceError("unterminated single-quoted string")


def _skip_double_quoted(text: str, i: int) -> int:
    """`i` is just after an opening double quote; handles backticks, "" and `$(...)`."""
    while i < len(text):
        ch = text[i]
        if ch == "`":
            i += 2
            continue
        if ch == "$" and text.startswith("(", i + 1):
            i = _skip_code(text, i + 2, ")")
            continue
        if ch in _DOUBLE_QUOTES:
            if i + 1 < len(text) and text[i + 1] in _DOUBLE_QUOTES:
                i += 2
                continue
            return i + 1
        i += 1
    raise ScriptSourceError("unterminated double-quoted string")


def _skip_here_string(text: str, i: int) -> int:
    """`i` is at `@'` or `@"` followed by a newline; returns the index after `'@` / `"@`."""
    quote = text[i + 1]
    closing = re.compile(r"\n[ \t]*" + re.escape(quote) + "@")
    found = closing.search(text, i + 2)
    if found is None:
        raise ScriptSourceError("unterminated here-string")
    return found.end()


def _skip_code(text: str, i: int, close: str) -> int:
    """Scan code from `i` to the matching `close` bracket; returns the index after it."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    while i < len(text):
        ch = text[i]
        if ch == close:
            return i + 1
        after = _skip_comment(text, i)
        if after != i:
            i = after
        elif ch == "`":
            i += 2
        elif ch in _SINGLE_QUOTES:
            i = _skip_single_quoted(text, i + 1)
        elif ch in _DOUBLE_QUOTES:
            i = _skip_double_quoted(text, i + 1)
        elif ch == "@" and re.match(r"@['\"][ \t]*\r?\n", text[i : i + 40]):
            i = _skip_here_string(text, i)
        elif ch in pairs:
            i = _skip_code(text, i + 1, pairs[ch])
        else:
            i += 1
    raise ScriptSourceError(f"missing closing '{close}'")


def param_block_end(script: str) -> int:
    """Index just after the script's leading `param(...)` block, or 0 if it has none."""
    i = _skip_trivia(script, 0)
    while script.startswith("[", i):  # attributes such as [CmdletBinding()]
        i = _skip_trivia(script, _skip_code(script, i + 1, "]"))
    keyword = _PARAM_KEYWORD.match(script, i)
    if keyword is None:
        return 0
    j = _skip_trivia(script, keyword.end())
    if not script.startswith("(", j):
        return 0
    return _skip_code(script, j + 1, ")")


def with_preludes(script: str, preludes: list[str]) -> str:
    """`script` with the prelude texts inserted right after its param block."""
    if not preludes:
        return script
    cut = param_block_end(script)
    shared = "\n".join(preludes)
    if cut == 0:
        return shared + "\n" + script
    return script[:cut] + "\n" + shared + "\n" + script[cut:]
