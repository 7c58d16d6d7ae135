"""PowerShell operators over run-time values (arithmetic, comparison, regex, -f, ranges).

Semantics follow Windows PowerShell 5.1: the left operand decides the type of comparison,
string comparisons are case-insensitive unless the operator has a `c` prefix, and a
comparison with an array on the left filters the array.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from hypervsim.powershell.api import PSEnum
from hypervsim.powershell.types import CastError, convert, full_type_name, is_instance, to_number
from hypervsim.powershell.values import (
    NOTHING,
    Hashtable,
    TypeValue,
    format_number,
    to_bool,
    to_string,
)


class OperatorError(Exception):
    """A run-time operator failure; message is Windows' text."""

    def __init__(self, message: str, fqid: str = "RuntimeException") -> None:
        super().__init__(message)
        self.fqid = fqid


# ------------------------------------------------------------------------- arithmetic
def add(left: Any, right: Any) -> Any:
    if left is NOTHING:
        left = None
    if left is None:
        if right is None or right is NOTHING:
            return None
        if isinstance(right, list):
            return list(right)
        return right
    if isinstance(left, list):
        if isinstance(right, list):
            return left + right
        if isinstance(right, bytes | bytearray):
            return left + list(right)
        return [*left, right]
    if isinstance(left, dict):
        if not isinstance(right, dict):
            raise OperatorError(
                "A hash table can only be added to another hash table.",
                "AddHashTableToNonHashTable",
            )
        merged = Hashtable(left.items(), ordered=getattr(left, "ordered", False))
        for key, value in right.items():
            if key in merged:
                raise OperatorError(
                    (
                        f"Item has already been added. Key in dictionary: '{key}'  Key being"
                        f" added: '{key}'"
                    ),
                    "System.ArgumentException",
                )
            merged[key] = value
        return merged
    if isinstance(left, str):
        return left + to_string(right)
    if isinstance(left, int | float | bool):
        return _numeric(left, right, lambda a, b: a + b)
    raise OperatorError(
        f"Method invocation failed because [{type(left).__name__}] does not contain a"
        f" method named 'op_Addition'."
    )


def _numeric(left: Any, right: Any, fn: Callable[[Any, Any], Any]) -> Any:
    a, b = to_number(left), to_number(right)
    result = fn(a, b)
    if (
        isinstance(result, float)
        and result.is_integer()
        and isinstance(a, int)
        and isinstance(b, int)
    ):
        return int(result)
    return result


def arithmetic(op: str, left: Any, right: Any) -> Any:
    if op == "+":
        return add(left, right)
    if op == "*":
        if isinstance(left, str):
            return left * int(to_number(right))
        if isinstance(left, list):
            return left * int(to_number(right))
        return _numeric(left, right, lambda a, b: a * b)
    if op == "-":
        return _numeric(left, right, lambda a, b: a - b)
    if op == "/":
        a, b = to_number(left), to_number(right)
        if b == 0:
            raise OperatorError("Attempted to divide by zero.", "RuntimeException")
        if isinstance(a, int) and isinstance(b, int) and a % b == 0:
            return a // b
        return a / b
    if op == "%":
        a, b = to_number(left), to_number(right)
        if b == 0:
            raise OperatorError("Attempted to divide by zero.", "RuntimeException")
        return int(_fmod(a, b)) if isinstance(a, int) and isinstance(b, int) else _fmod(a, b)
    if op == "-band":
        return int(to_number(left)) & int(to_number(right))
    if op == "-bor":
        return int(to_number(left)) | int(to_number(right))
    if op == "-bxor":
        return int(to_number(left)) ^ int(to_number(right))
    if op == "-shl":
        return int(to_number(left)) << int(to_number(right))
    if op == "-shr":
        return int(to_number(left)) >> int(to_number(right))
    raise OperatorError(f"Unknown operator {op}")


def _fmod(a: float, b: float) -> float:
    """.NET remainder keeps the sign of the dividend."""
    import math

    return math.fmod(a, b)


def range_values(left: Any, right: Any) -> list[int]:
    a, b = int(to_number(left)), int(to_number(right))
    step = 1 if b >= a else -1
    return list(range(a, b + step, step))


# ------------------------------------------------------------------------- comparison
def _fold(text: str, case_sensitive: bool) -> str:
    return text if case_sensitive else text.lower()


def _coerce_right(left: Any, right: Any) -> Any:
    """Convert the right operand to the left operand's type, as PowerShell does."""
    if isinstance(left, bool):
        return to_bool(right)
    if isinstance(left, PSEnum):
        if isinstance(right, str):
            for member in type(left):
                if member.name.lower() == right.strip().lower():
                    return member
            raise CastError(right, type(left).__name__, "Invalid enum name.")
        return right
    if isinstance(left, int | float):
        return to_number(right)
    return right


def equals(left: Any, right: Any, case_sensitive: bool = False) -> bool:
    if left is NOTHING:
        left = None
    if right is NOTHING:
        right = None
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, str):
        if isinstance(right, PSEnum):
            right = right.name
        return _fold(left, case_sensitive) == _fold(to_string(right), case_sensitive)
    try:
        converted = _coerce_right(left, right)
    except CastError:
        return False
    if isinstance(left, PSEnum) and isinstance(converted, PSEnum):
        return left is converted or int(left) == int(converted)
    if isinstance(left, int | float) and not isinstance(converted, int | float):
        return False
    return bool(left == converted)


def compare(left: Any, right: Any, case_sensitive: bool = False) -> int:
    """-1/0/1 for -lt/-gt; strings compare case-insensitively (ordinal approximation)."""
    if left is None and right is None:
        return 0
    if left is None:
        return -1
    if right is None:
        return 1
    a: Any
    b: Any
    if isinstance(left, str):
        a, b = _fold(left, case_sensitive), _fold(to_string(right), case_sensitive)
    else:
        try:
            a, b = left, _coerce_right(left, right)
        except CastError as exc:
            raise OperatorError(str(exc), "ComparisonFailure") from None
        if isinstance(a, PSEnum):
            a, b = int(a), int(b)
    if a < b:
        return -1
    if a > b:
        return 1
    return 0


def wildcard_to_regex(pattern: str) -> str:
    """PowerShell wildcard (* ? [a-z], ` escapes) -> anchored regex."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "`" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape(ch))
            else:
                out.append("[" + pattern[i + 1 : end].replace("\\", "\\\\") + "]")
                i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return "^" + "".join(out) + "$"


def like(value: Any, pattern: Any, case_sensitive: bool = False) -> bool:
    flags = re.DOTALL | (0 if case_sensitive else re.IGNORECASE)
    return re.match(wildcard_to_regex(to_string(pattern)), to_string(value), flags) is not None


def dotnet_regex(pattern: str) -> str:
    """.NET regex -> Python `re`: named groups (?<n>..) and \\A-style escapes mostly agree."""
    converted = re.sub(r"\(\?<(?![=!])(\w+)>", r"(?P<\1>", pattern)
    converted = converted.replace("\\Z", "\\Z").replace("(?i)", "(?i)")
    return converted


def compile_regex(pattern: Any, case_sensitive: bool) -> re.Pattern[str]:
    text = to_string(pattern)
    try:
        return re.compile(dotnet_regex(text), 0 if case_sensitive else re.IGNORECASE)
    except re.error as exc:
        raise OperatorError(
            f"The regular expression pattern {text} is not valid.", "InvalidRegularExpression"
        ) from exc


def match_groups(m: re.Match[str]) -> Hashtable:
    """$Matches after a successful -match."""
    table = Hashtable()
    named = {v: k for k, v in m.re.groupindex.items()}
    for idx in range(m.re.groups, 0, -1):
        if m.group(idx) is not None:
            table[named.get(idx, idx)] = m.group(idx)
    table[0] = m.group(0)
    return table


def replace(value: Any, args: Any, case_sensitive: bool) -> str:
    items = args if isinstance(args, list) else [args]
    pattern = items[0] if items else ""
    replacement = to_string(items[1]) if len(items) > 1 else ""
    regex = compile_regex(pattern, case_sensitive)

    def substitute(m: re.Match[str]) -> str:
        out: list[str] = []
        i = 0
        while i < len(replacement):
            ch = replacement[i]
            if ch == "$" and i + 1 < len(replacement):
                nxt = replacement[i + 1]
                if nxt == "$":
                    out.append("$")
                    i += 2
                    continue
                if nxt == "{":
                    end = replacement.find("}", i)
                    name = replacement[i + 2 : end]
                    out.append(m.group(int(name) if name.isdigit() else name) or "")
                    i = end + 1
                    continue
                if nxt.isdigit():
                    j = i + 1
                    while j < len(replacement) and replacement[j].isdigit():
                        j += 1
                    num = int(replacement[i + 1 : j])
                    if num <= m.re.groups:
                        out.append(m.group(num) or "")
                        i = j
                        continue
            out.append(ch)
            i += 1
        return "".join(out)

    return regex.sub(substitute, to_string(value))


def split(value: Any, args: Any, case_sensitive: bool) -> list[str]:
    items = args if isinstance(args, list) else [args]
    pattern = items[0] if items else " "
    limit = int(to_number(items[1])) if len(items) > 1 else 0
    regex = compile_regex(pattern, case_sensitive)
    out: list[str] = []
    for text in value if isinstance(value, list) else [value]:
        parts = (
            regex.split(to_string(text), maxsplit=max(0, limit - 1))
            if limit > 0
            else regex.split(to_string(text))
        )
        if regex.groups:
            parts = [p for p in parts if p is not None]
        out.extend(parts)
    return out


def join(value: Any, separator: Any) -> str:
    items = value if isinstance(value, list) else [value]
    return to_string(separator).join(to_string(v) for v in items)


# ------------------------------------------------------------------------- dispatcher
_COMPARISONS = {
    "eq",
    "ne",
    "gt",
    "ge",
    "lt",
    "le",
    "like",
    "notlike",
    "match",
    "notmatch",
    "contains",
    "notcontains",
    "in",
    "notin",
    "replace",
    "split",
    "join",
    "is",
    "isnot",
    "as",
}


def split_operator(op: str) -> tuple[str, bool]:
    """'-ceq' -> ('eq', True); '-ieq' -> ('eq', False); '-eq' -> ('eq', False)."""
    name = op.lstrip("-").lower()
    if name not in _COMPARISONS and name[:1] in ("c", "i") and name[1:] in _COMPARISONS:
        return name[1:], name[0] == "c"
    return name, False


def is_comparison(op: str) -> bool:
    return split_operator(op)[0] in _COMPARISONS


def _scalar_compare(name: str, left: Any, right: Any, cs: bool, matches: list[Any]) -> bool:
    if name == "eq":
        return equals(left, right, cs)
    if name == "ne":
        return not equals(left, right, cs)
    if name in ("gt", "ge", "lt", "le"):
        result = compare(left, right, cs)
        return {"gt": result > 0, "ge": result >= 0, "lt": result < 0, "le": result <= 0}[name]
    if name == "like":
        return like(left, right, cs)
    if name == "notlike":
        return not like(left, right, cs)
    if name in ("match", "notmatch"):
        m = compile_regex(right, cs).search(to_string(left))
        if m is not None:
            matches.append(m)
        return (m is not None) == (name == "match")
    raise OperatorError(f"Unknown operator -{name}")


def compare_op(op: str, left: Any, right: Any) -> tuple[Any, Hashtable | None]:
    """Apply a comparison-family operator; also returns the new $Matches (for -match)."""
    name, cs = split_operator(op)
    if left is NOTHING:
        left = None
    if name in ("contains", "notcontains"):
        items = left if isinstance(left, list) else [left]
        found = any(equals(i, right, cs) for i in items)
        return found == (name == "contains"), None
    if name in ("in", "notin"):
        items = right if isinstance(right, list) else [right]
        found = any(equals(i, left, cs) for i in items)
        return found == (name == "in"), None
    if name == "replace":
        if isinstance(left, list):
            return [replace(v, right, cs) for v in left], None
        return replace(left, right, cs), None
    if name == "split":
        return split(left, right, cs), None
    if name == "join":
        return join(left, right), None
    if name in ("is", "isnot"):
        type_name = right.name if isinstance(right, TypeValue) else to_string(right)
        return is_instance(left, type_name) == (name == "is"), None
    if name == "as":
        type_name = right.name if isinstance(right, TypeValue) else to_string(right)
        try:
            return convert(type_name, left), None
        except CastError:
            return None, None
    matches: list[Any] = []
    if isinstance(left, list):
        return [v for v in left if _scalar_compare(name, v, right, cs, [])], None
    result = _scalar_compare(name, left, right, cs, matches)
    if name == "match" and matches:
        return result, match_groups(matches[0])
    return result, None


# ------------------------------------------------------------------------- -f
_FORMAT_ITEM = re.compile(r"\{\{|\}\}|\{(\d+)(?:,(-?\d+))?(?::([^}]*))?\}")


def format_value(value: Any, spec: str | None) -> str:
    """One composite-format item with a .NET format string (N2, D3, X, F1, P, 0.00)."""
    if not spec:
        return to_string(value)
    kind = spec[0].upper()
    digits = spec[1:]
    try:
        number = to_number(value) if not isinstance(value, str) or kind in "NDXFPE" else value
    except CastError:
        return to_string(value)
    if kind == "N" and isinstance(number, int | float):
        places = int(digits) if digits else 2
        return f"{number:,.{places}f}"
    if kind == "F" and isinstance(number, int | float):
        places = int(digits) if digits else 2
        return f"{number:.{places}f}"
    if kind == "D" and isinstance(number, int):
        width = int(digits) if digits else 0
        return f"{number:0{width}d}" if number >= 0 else "-" + f"{-number:0{width}d}"
    if kind == "X" and isinstance(number, int):
        width = int(digits) if digits else 0
        text = f"{number:0{width}x}"
        return text.upper() if spec[0] == "X" else text
    if kind == "P" and isinstance(number, int | float):
        places = int(digits) if digits else 2
        return f"{number * 100:,.{places}f} %"
    if set(spec) <= set("0#.,") and isinstance(number, int | float):
        places = len(spec.split(".")[1]) if "." in spec else 0
        return f"{number:.{places}f}"
    if isinstance(value, float):
        return format_number(value)
    return to_string(value)


def format_operator(fmt: Any, args: Any) -> str:
    values = args if isinstance(args, list) else [args]
    text = to_string(fmt)

    def item(m: re.Match[str]) -> str:
        whole = m.group(0)
        if whole == "{{":
            return "{"
        if whole == "}}":
            return "}"
        index = int(m.group(1))
        if index >= len(values):
            raise OperatorError(
                (
                    "Error formatting a string: Index (zero based) must be greater than or"
                    " equal to zero and less than the size of the argument list.."
                ),
                "FormatError",
            )
        rendered = format_value(values[index], m.group(3))
        if m.group(2):
            width = int(m.group(2))
            rendered = rendered.ljust(-width) if width < 0 else rendered.rjust(width)
        return rendered

    return _FORMAT_ITEM.sub(item, text)


def type_display(type_name: str) -> str:
    return full_type_name(type_name)
