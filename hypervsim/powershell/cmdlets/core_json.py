"""ConvertTo-Json / ConvertFrom-Json with Windows PowerShell 5.1's exact output shape.

5.1 serializes with JavaScriptSerializer: enums become integers, `<>&'` are escaped as
\\u003c \\u003e \\u0026 \\u0027, other non-ASCII is kept, objects nested deeper than -Depth
(default 2) become their string form, and the pretty printer writes `"key":  value` with
nested containers indented four columns past their opening bracket.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable
from typing import Any

from hypervsim.powershell import api
from hypervsim.powershell.values import (
    NOTHING,
    ErrorRecordValue,
    ScriptBlockValue,
    SecureString,
    SwitchValue,
    format_number,
    to_string,
)

S = api.ParamKind.SWITCH
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "'": "\\u0027",
}


def json_string(text: str) -> str:
    out = ['"']
    for ch in text:
        escaped = _ESCAPES.get(ch)
        if escaped is not None:
            out.append(escaped)
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _scalar(value: Any) -> str | None:
    """JSON text of a scalar, or None if `value` is a container."""
    if value is None or value is NOTHING:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, SwitchValue):
        return "true" if value.is_present else "false"
    if isinstance(value, api.PSEnum):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return json_string(format_number(value))
        return format_number(value)
    if isinstance(value, str):
        return json_string(value)
    if isinstance(value, dt.datetime):
        epoch = dt.datetime(1970, 1, 1)
        millis = int((value - epoch).total_seconds() * 1000)
        return json_string(f"/Date({millis})/").replace("/", "\\/")
    if isinstance(value, ScriptBlockValue):
        return json_string(value.block.text)
    return None


def _members(value: Any) -> list[tuple[str, Any]] | None:
    if isinstance(value, api.PSObject):
        return [(n, v) for n, v in value.items()]
    if isinstance(value, dict):
        return [(to_string(k), v) for k, v in value.items()]
    if isinstance(value, SecureString):
        return [("Length", len(value.plain))]
    if isinstance(value, ErrorRecordValue):
        rec = value.record
        return [
            ("Exception", {"Message": rec.message}),
            ("TargetObject", rec.target),
            ("FullyQualifiedErrorId", rec.fqid),
            ("CategoryInfo", {"Category": rec.category.value}),
        ]
    return None


def _items(value: Any) -> list[Any] | None:
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, bytes | bytearray):
        return list(value)
    return None


def to_tree(value: Any, depth: int, max_depth: int) -> Any:
    """Value -> ('scalar', text) | ('object', [(k, tree)]) | ('array', [tree]) honouring -Depth."""
    scalar = _scalar(value)
    if scalar is not None:
        return ("scalar", scalar)
    members = _members(value)
    items = _items(value)
    if depth > max_depth and (members is not None or items is not None):
        return ("scalar", json_string(to_string(value)))
    if members is not None:
        return ("object", [(k, to_tree(v, depth + 1, max_depth)) for k, v in members])
    if items is not None:
        return ("array", [to_tree(v, depth + 1, max_depth) for v in items])
    return ("scalar", json_string(to_string(value)))


def render_compressed(tree: Any) -> str:
    kind, body = tree
    if kind == "scalar":
        return body
    if kind == "object":
        return "{" + ",".join(f"{json_string(k)}:{render_compressed(v)}" for k, v in body) + "}"
    return "[" + ",".join(render_compressed(v) for v in body) + "]"


def render_pretty(tree: Any, column: int = 0) -> str:
    """5.1 layout: members at bracket column + 4, closing bracket at the bracket's column."""
    kind, body = tree
    if kind == "scalar":
        return body
    inner = " " * (column + 4)
    close = " " * column
    nl = "\r\n"
    if kind == "object":
        if not body:
            return "{" + nl + nl + close + "}"
        parts = []
        for key, value in body:
            prefix = f"{json_string(key)}:  "
            parts.append(inner + prefix + render_pretty(value, column + 4 + len(prefix)))
        return "{" + nl + ("," + nl).join(parts) + nl + close + "}"
    if not body:
        return "[" + nl + nl + close + "]"
    parts = [inner + render_pretty(v, column + 4) for v in body]
    return "[" + nl + ("," + nl).join(parts) + nl + close + "]"


def convert_to_json(value: Any, depth: int = 2, compress: bool = False) -> str:
    tree = to_tree(value, 0, depth)
    return render_compressed(tree) if compress else render_pretty(tree)


@api.cmdlet(
    "ConvertTo-Json",
    api.Param("InputObject", position=0),
    api.Param("Depth"),
    api.Param("Compress", S),
    api.Param("EnumsAsStrings", S),
    api.Param("AsArray", S),
)
def convert_to_json_cmd(inv: api.Invocation) -> Iterable[Any]:
    depth = int(inv.bound.get("Depth", 2))
    if depth > 100:
        raise api.CmdletError(
            api.ErrorRecord(
                message=(
                    "Cannot validate argument on parameter 'Depth'. The 101 argument is"
                    " greater than the maximum allowed range of 100. Supply an argument that"
                    " is less than or equal to 100 and then try the command again."
                ),
                category=api.ErrorCategory.InvalidData,
                fqid="ParameterArgumentValidationError,Microsoft.PowerShell.Commands.ConvertToJsonCommand",
                exception_type="System.Management.Automation.ParameterBindingValidationException",
            )
        )
    if "InputObject" in inv.bound:
        value = inv.bound["InputObject"]
    elif not inv.input:
        return []
    elif len(inv.input) == 1:
        value = inv.input[0]
    else:
        value = list(inv.input)
    return [convert_to_json(value, depth, bool(inv.bound.get("Compress")))]


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        return api.PSObject({k: _from_json(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


def parse_json(text: str) -> Any:
    """JSON text -> PSObject/list/scalars; raises ValueError with 5.1's message."""
    stripped = text.strip()
    if not stripped:
        return NOTHING
    try:
        data = json.loads(stripped, parse_float=float)
    except json.JSONDecodeError as exc:
        token = stripped[exc.pos : exc.pos + 20].split()[0] if stripped[exc.pos :].split() else ""
        raise ValueError(f"Invalid JSON primitive: {token}.") from None
    return _from_json(data)


@api.cmdlet("ConvertFrom-Json", api.Param("InputObject", position=0))
def convert_from_json_cmd(inv: api.Invocation) -> Iterable[Any]:
    if "InputObject" in inv.bound:
        pieces = [inv.bound["InputObject"]]
    else:
        pieces = list(inv.input)
    text = "\n".join(to_string(p) for p in pieces)
    try:
        value = parse_json(text)
    except ValueError as exc:
        raise api.CmdletError(
            api.ErrorRecord(
                message=str(exc),
                category=api.ErrorCategory.NotSpecified,
                fqid="System.ArgumentException,Microsoft.PowerShell.Commands.ConvertFromJsonCommand",
                exception_type="System.ArgumentException",
            )
        ) from None
    if value is NOTHING:
        return []
    # 5.1 writes a top-level JSON array as one object (it does not enumerate it).
    return [value]
