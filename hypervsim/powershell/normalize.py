# ruff: noqa: RUF002  (typographic quotes and dashes are the subject here)
"""Phase 0: make Microsoft-doc typography parseable without changing what strings contain.

PowerShell's own tokenizer accepts EN DASH / EM DASH / HORIZONTAL BAR wherever it expects a
dash (parameters, operators, minus) and treats U+201C..U+201E as double quotes and
U+2018..U+201B as single quotes. tree-sitter-pwsh knows none of that, so this pass rewrites
those characters to ASCII *where they act as syntax* (token-initial dashes, quote delimiters,
doubled-quote escapes) and leaves every other character, notably the contents of string
literals, untouched.

The rewrite is strictly one character for one character, so a character offset in the
normalised text is the same offset in the original; the parser rebuilds string contents from
the original text so e.g. ``'It’’s'`` yields ``It’s`` exactly as PowerShell does (a doubled
quote keeps its second character).
"""

from __future__ import annotations

DASHES = frozenset("\u2013\u2014\u2015")
DOUBLE_QUOTES = frozenset('"\u201c\u201d\u201e')
SINGLE_QUOTES = frozenset("'\u2018\u2019\u201a\u201b")
_SPECIAL = frozenset(ch for ch in DASHES | DOUBLE_QUOTES | SINGLE_QUOTES if ord(ch) > 127)

# A dash is syntax (parameter, operator, sign) only at the start of a token: after these.
_TOKEN_BREAK = frozenset(" \t\r\n\f\v(){}[],;|=!+*/%<>&:@.")


def is_double_quote(ch: str) -> bool:
    return ch in DOUBLE_QUOTES


def is_single_quote(ch: str) -> bool:
    return ch in SINGLE_QUOTES


def normalize(source: str) -> str:
    """Return `source` with typographic dashes/quotes turned into ASCII where they are syntax."""
    if _SPECIAL.isdisjoint(source):
        return source
    return _Normalizer(source).run()


class _Normalizer:
    """A small scanner that tracks code / string / here-string / comment state."""

    def __init__(self, source: str) -> None:
        self.src = source
        self.out = list(source)
        self.i = 0

    def run(self) -> str:
        self._code(until_paren=False)
        return "".join(self.out)

    # -- code ---------------------------------------------------------------------------
    def _code(self, until_paren: bool) -> None:
        """Scan code; with `until_paren`, stop after the `)` closing a `$(` sub-expression."""
        src, n = self.src, len(self.src)
        depth = 0
        while self.i < n:
            ch = src[self.i]
            prev = src[self.i - 1] if self.i > 0 else "\n"
            if ch == "`":
                self.i += 2
                continue
            if ch == "<" and src.startswith("<#", self.i):
                end = src.find("#>", self.i + 2)
                self.i = n if end < 0 else end + 2
                continue
            if ch == "#" and (prev in " \t\r\n;{}()|" or self.i == 0):
                end = src.find("\n", self.i)
                self.i = n if end < 0 else end
                continue
            if ch in DASHES:
                if prev in _TOKEN_BREAK or self.i == 0:
                    self.out[self.i] = "-"
                self.i += 1
                continue
            if ch == "@" and self.i + 1 < n and src[self.i + 1] in DOUBLE_QUOTES | SINGLE_QUOTES:
                if self._here_string():
                    continue
            if ch in DOUBLE_QUOTES:
                self.out[self.i] = '"'
                self.i += 1
                self._double_quoted()
                continue
            if ch in SINGLE_QUOTES:
                self.out[self.i] = "'"
                self.i += 1
                self._single_quoted()
                continue
            if until_paren:
                if ch == "(":
                    depth += 1
                elif ch == ")":
                    if depth == 0:
                        self.i += 1
                        return
                    depth -= 1
            self.i += 1

    # -- strings --------------------------------------------------------------------------
    def _single_quoted(self) -> None:
        src, n = self.src, len(self.src)
        while self.i < n:
            ch = src[self.i]
            if ch in SINGLE_QUOTES:
                if self.i + 1 < n and src[self.i + 1] in SINGLE_QUOTES:
                    self.out[self.i] = self.out[self.i + 1] = "'"
                    self.i += 2
                    continue
                self.out[self.i] = "'"
                self.i += 1
                return
            self.i += 1

    def _double_quoted(self) -> None:
        src, n = self.src, len(self.src)
        while self.i < n:
            ch = src[self.i]
            if ch == "`":
                if self.i + 1 < n and src[self.i + 1] in DOUBLE_QUOTES:
                    self.out[self.i + 1] = '"'
                self.i += 2
                continue
            if ch == "$" and src.startswith("$(", self.i):
                self.i += 2
                self._code(until_paren=True)
                continue
            if ch in DOUBLE_QUOTES:
                if self.i + 1 < n and src[self.i + 1] in DOUBLE_QUOTES:
                    self.out[self.i] = self.out[self.i + 1] = '"'
                    self.i += 2
                    continue
                self.out[self.i] = '"'
                self.i += 1
                return
            self.i += 1

    def _here_string(self) -> bool:
        """`@"`/`@'` + newline ... newline + `"@`/`'@`; returns False if not a here-string."""
        src, n = self.src, len(self.src)
        quote = src[self.i + 1]
        j = self.i + 2
        while j < n and src[j] in " \t":
            j += 1
        if j < n and src[j] == "\r":
            j += 1
        if j >= n or src[j] != "\n":
            return False
        family = DOUBLE_QUOTES if quote in DOUBLE_QUOTES else SINGLE_QUOTES
        ascii_quote = '"' if quote in DOUBLE_QUOTES else "'"
        self.out[self.i + 1] = ascii_quote
        k = j + 1
        while k < n:
            if src[k] in family and k + 1 < n and src[k + 1] == "@" and src[k - 1] == "\n":
                self.out[k] = ascii_quote
                if ascii_quote == '"':
                    self._here_subexpressions(j + 1, k)
                self.i = k + 2
                return True
            k += 1
        self.i = n
        return True

    def _here_subexpressions(self, start: int, end: int) -> None:
        """Normalise code inside `$( )` of an expandable here-string body."""
        save = self.i
        k = start
        while k < end:
            if self.src[k] == "`":
                k += 2
                continue
            if self.src.startswith("$(", k):
                self.i = k + 2
                self._code(until_paren=True)
                k = self.i
                continue
            k += 1
        self.i = save
