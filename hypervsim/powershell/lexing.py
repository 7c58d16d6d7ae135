"""String and number lexing the grammar leaves to us: escapes, quote pairs, here-strings.

The tree-sitter grammar finds where a literal starts and ends; its value (backtick escapes,
doubled quotes of any of PowerShell's quote characters, numeric suffixes) is computed here from
the original text. The scanners (`skip_string`, `matching`) serve the parser's error repair.
"""

from __future__ import annotations

import re

from hypervsim.powershell.normalize import DOUBLE_QUOTES, is_double_quote

BACKTICK_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
BACKTICK_ESCAPES["v"] = "\v"

_MULTIPLIERS = {"kb": 1024, "mb": 1024**2, "gb": 1024**3, "tb": 1024**4, "pb": 1024**5}


def unescape_backticks(text: str) -> str:
    """Apply PowerShell 5.1 backtick escapes (`n, `t, ...; any other char stands for itself)."""
    if "`" not in text:
        return text
    return _unescape(text, continuations=True, pairs=False)


def _unescape(text: str, continuations: bool, pairs: bool) -> str:
    """The one scan behind both unescapers: backtick escapes, plus backtick-newline line
    continuations (`continuations`, outside strings) and doubled double quotes (`pairs`)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "`" and i + 1 < len(text):
            nxt = text[i + 1]
            if continuations and nxt == "\r" and text[i + 2 : i + 3] == "\n":
                i += 3
                continue
            if continuations and nxt == "\n":
                i += 2
                continue
            out.append(BACKTICK_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        if pairs and is_double_quote(ch) and i + 1 < len(text) and is_double_quote(text[i + 1]):
            out.append(text[i + 1])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def collapse_pairs(text: str, quotes: frozenset[str]) -> str:
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


def unescape_expandable(text: str, here: bool) -> str:
    """Text between embedded expressions of a "..." string: backticks and "" pairs."""
    if "`" not in text and (here or DOUBLE_QUOTES.isdisjoint(text)):
        return text
    return _unescape(text, continuations=False, pairs=not here)


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


def skip_string(text: str, start: int) -> int:
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


def matching(text: str, start: int, open_ch: str, close_ch: str) -> int | None:
    """Index of the bracket closing the one at `start`, skipping strings."""
    depth = 0
    i = start
    while i < len(text):
        ch = text[i]
        if ch in ("'", '"'):
            i = skip_string(text, i)
            continue
        if ch == open_ch:
            depth += 1
        elif ch == close_ch:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def here_body(raw: str) -> str:
    """Content of @'..'@: from after the first newline to before the last newline."""
    nl = raw.find("\n")
    body = raw[nl + 1 : -2]
    if body.endswith("\n"):
        body = body[:-1]
    if body.endswith("\r"):
        body = body[:-1]
    return body
