"""Objects -> text, the way Out-Default shows them (simple Format-Table / Format-List).

Strings and numbers print as-is; objects with up to four properties print as a table, more as
a list; hashtables as Name/Value tables. Cmdlet modules may `register_view(type_name, props)`
to choose the default columns of their objects (as Windows' format.ps1xml files do).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from hypervsim.powershell.api import PSEnum, PSObject
from hypervsim.powershell.values import NOTHING, DotNetObject, ErrorRecordValue, to_string

NL = "\r\n"
# A column: a property name, or (header, value computed from the object) as format.ps1xml
# views define them with a Label and a script block.
Column = str | tuple[str, Callable[[PSObject], Any]]
_VIEWS: dict[str, tuple[list[Column], str | None]] = {}


def register_view(type_name: str, columns: Sequence[Column], layout: str | None = None) -> None:
    """Default display of objects of type `type_name` (or derived): its columns, and
    `layout` "table" or "list" (None: a table up to four columns, else a list)."""
    _VIEWS[type_name.lower()] = (list(columns), layout)


def _shown(obj: PSObject) -> tuple[PSObject, str | None]:
    """The object as its view displays it (headers as property names), and the layout."""
    # A view of a base type applies to derived ones (VMInternalNetworkAdapter...).
    view = next((_VIEWS[t.lower()] for t in obj.type_names if t.lower() in _VIEWS), None)
    if view is None:
        return obj, None
    columns, layout = view
    props: dict[str, Any] = {}
    for column in columns:
        if isinstance(column, str):
            props[column] = obj.get(column)
        else:
            props[column[0]] = column[1](obj)
    return PSObject(props, type_names=obj.type_names), layout


def _cell(value: Any) -> str:
    if value is None or value is NOTHING:
        return ""
    if isinstance(value, list):
        inner = ", ".join(_cell(v) for v in value[:4])
        # $FormatEnumerationLimit is 4: "{a, b, c, d...}".
        return "{" + inner + ("..." if len(value) > 4 else "") + "}"
    if isinstance(value, dict):
        return "{" + ", ".join(str(k) for k in value.keys()) + "}"
    return to_string(value)


def _is_numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool | PSEnum)


def format_table(rows: list[PSObject], columns: list[str]) -> list[str]:
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    numeric = [all(_is_numeric(row.get(c)) or row.get(c) is None for row in rows) for c in columns]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]

    def render(values: list[str], underline: bool = False) -> str:
        parts = []
        for i, text in enumerate(values):
            last = i == len(values) - 1
            if numeric[i] and not underline:
                parts.append(text.rjust(widths[i]))
            else:
                parts.append(text if last else text.ljust(widths[i]))
        return " ".join(parts).rstrip()

    header = render(columns)
    rule = render(["-" * len(c) for c in columns], underline=True)
    if any(numeric):
        header = " ".join(
            c.rjust(widths[i]) if numeric[i] else c.ljust(widths[i]) for i, c in enumerate(columns)
        ).rstrip()
        rule = " ".join(
            ("-" * len(c)).rjust(widths[i]) if numeric[i] else ("-" * len(c)).ljust(widths[i])
            for i, c in enumerate(columns)
        ).rstrip()
    return ["", header, rule, *[render(r) for r in cells], "", ""]


def format_list(obj: PSObject, columns: list[str]) -> list[str]:
    width = max((len(c) for c in columns), default=0)
    lines = [""]
    for c in columns:
        lines.append(f"{c.ljust(width)} : {_cell(obj.get(c))}".rstrip())
    lines.append("")
    return lines


NAME_WIDTH = 30  # DictionaryEntry's table view: a Name column 30 wide


def _dictionary_table(rows: list[PSObject]) -> list[str]:
    """Name/Value rows as Windows prints a hashtable: Name padded (or cut with "...") to 30."""

    def name(row: PSObject) -> str:
        text = _cell(row.get("Name"))
        return text if len(text) <= NAME_WIDTH else text[: NAME_WIDTH - 3] + "..."

    body = [f"{name(r).ljust(NAME_WIDTH)} {_cell(r.get('Value'))}".rstrip() for r in rows]
    return [
        "",
        "Name".ljust(NAME_WIDTH) + " Value",
        "-" * 4 + " " * (NAME_WIDTH - 3) + "-----",
        *body,
        "",
        "",
    ]


def _hashtable_rows(table: dict[Any, Any]) -> list[PSObject]:
    return [PSObject({"Name": k, "Value": v}) for k, v in table.items()]


def format_objects(objects: list[Any]) -> str:
    """Format one statement's output objects; returns text ending in "\\r\\n" (or "")."""
    objects = [
        PSObject(o.properties(), type_names=(o.type_name,))
        if isinstance(o, DotNetObject) and o.display_lines() is None
        else o
        for o in objects
    ]
    lines: list[str] = []
    i = 0
    while i < len(objects):
        obj = objects[i]
        if obj is None or obj is NOTHING:
            i += 1
            continue
        if isinstance(obj, DotNetObject):
            lines.extend(obj.display_lines() or [to_string(obj)])
            i += 1
            continue
        if (
            isinstance(obj, PSObject)
            and obj.type_names
            and obj.type_names[0] == "System.Collections.DictionaryEntry"
        ):
            group = [obj]
            while (
                i + 1 < len(objects)
                and isinstance(objects[i + 1], PSObject)
                and objects[i + 1].type_names[0] == obj.type_names[0]
            ):
                i += 1
                group.append(objects[i])
            lines.extend(_dictionary_table(group))
        elif isinstance(obj, PSObject):
            shown, layout = _shown(obj)
            columns = shown.names()
            group = [shown]
            while i + 1 < len(objects) and isinstance(objects[i + 1], PSObject):
                nxt, nxt_layout = _shown(objects[i + 1])
                if nxt.names() != columns or nxt_layout != layout:
                    break
                i += 1
                group.append(nxt)
            if not columns:
                lines.append(to_string(obj))
            elif layout == "table" or (layout is None and len(columns) <= 4):
                lines.extend(format_table(group, columns))
            else:
                lines.append("")
                for item in group:
                    lines.extend(format_list(item, columns)[1:])
                lines.append("")
        elif isinstance(obj, dict):
            lines.extend(_dictionary_table(_hashtable_rows(obj)))
        elif isinstance(obj, list):
            for item in obj:
                lines.append(_cell(item) if not isinstance(item, str) else item)
        elif isinstance(obj, ErrorRecordValue):
            from hypervsim.powershell.format_error import format_error_record

            lines.append(format_error_record(obj.record))
        elif isinstance(obj, dt.datetime):
            lines.extend(["", obj.strftime("%A, %B %d, %Y %I:%M:%S %p").replace(" 0", " "), "", ""])
        else:
            lines.append(to_string(obj))
        i += 1
    if not lines:
        return ""
    return NL.join(lines) + NL
