"""Object pipeline cmdlets: Where/ForEach/Select/Sort/Measure/Group-Object, Get-Member,"
" New-Object."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from hypervsim.powershell import api
from hypervsim.powershell.construct import construct
from hypervsim.powershell.members import MemberError, call_method, get_member
from hypervsim.powershell.operators import compare_op, equals, like
from hypervsim.powershell.types import to_number
from hypervsim.powershell.values import (
    NOTHING,
    ScriptBlockValue,
    enumerate_value,
    to_bool,
    to_string,
    type_name_of,
)

CORE = "Microsoft.PowerShell.Core"
S = api.ParamKind.SWITCH
L = api.ParamKind.LIST

_WHERE_OPERATORS = (
    "EQ",
    "NE",
    "GT",
    "GE",
    "LT",
    "LE",
    "Like",
    "NotLike",
    "Match",
    "NotMatch",
    "Contains",
    "NotContains",
    "In",
    "NotIn",
    "Is",
    "IsNot",
    "CEQ",
    "CNE",
    "CGT",
    "CGE",
    "CLT",
    "CLE",
    "CLike",
    "CNotLike",
    "CMatch",
    "CNotMatch",
    "CContains",
    "CNotContains",
    "CIn",
    "CNotIn",
    "Not",
)

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.powershell.evaluator import CmdletInvocation, Evaluator


def _ev(inv: api.Invocation) -> Evaluator:
    """Core cmdlets are part of the interpreter and may use its evaluator directly."""
    return cast("CmdletInvocation", inv).evaluator


def _run(inv: api.Invocation, block: ScriptBlockValue, item: Any = NOTHING) -> list[Any]:
    """Run a filter/process block in the caller's scope with $_ = item."""
    return _ev(inv).run_in_caller_scope(block, item)


def _collapse(values: list[Any]) -> Any:
    if not values:
        return None
    return values[0] if len(values) == 1 else values


@api.cmdlet(
    "Where-Object",
    api.Param("FilterScript", position=0),
    api.Param("Value", position=1),
    api.Param("Property"),
    api.Param("InputObject"),
    *(api.Param(op, S) for op in _WHERE_OPERATORS),
    module=CORE,
    aliases=("?", "where"),
)
def where_object(inv: api.Invocation) -> Iterable[Any]:
    items = (
        list(inv.input)
        if "InputObject" not in inv.bound
        else list(enumerate_value(inv.bound["InputObject"]))
    )
    block = inv.bound.get("FilterScript")
    if isinstance(block, ScriptBlockValue):
        return [item for item in items if to_bool(_collapse(_run(inv, block, item)))]
    prop = to_string(inv.bound.get("Property", block))
    operator = next((op for op in _WHERE_OPERATORS if inv.bound.get(op)), None)
    out: list[Any] = []
    for item in items:
        value = get_member(item, prop)
        if operator is None:
            keep = to_bool(value)
        elif operator == "Not":
            keep = not to_bool(value)
        else:
            result, _ = compare_op("-" + operator.lower(), value, inv.bound.get("Value"))
            keep = to_bool(result) if not isinstance(result, list) else bool(result)
        if keep:
            out.append(item)
    return out


@api.cmdlet(
    "ForEach-Object",
    api.Param("Process", L, position=0),
    api.Param("Begin"),
    api.Param("End"),
    api.Param("MemberName"),
    api.Param("ArgumentList", L),
    api.Param("InputObject"),
    module=CORE,
    aliases=("%", "foreach"),
    accepts_args=True,
)
def foreach_object(inv: api.Invocation) -> Iterable[Any]:
    items = (
        list(inv.input)
        if "InputObject" not in inv.bound
        else list(enumerate_value(inv.bound["InputObject"]))
    )
    process = inv.bound.get("Process") or []
    member = inv.bound.get("MemberName")
    if process and not isinstance(process[0], ScriptBlockValue):
        member, process = process[0], []
    out: list[Any] = []
    begin = inv.bound.get("Begin")
    if isinstance(begin, ScriptBlockValue):
        out.extend(_run(inv, begin))
    if member is not None:
        name = to_string(member)
        args = list(inv.bound.get("ArgumentList") or inv.args)
        for item in items:
            value = get_member(item, name)
            if value is None and not _has_member(item, name):
                try:
                    out.extend(enumerate_value(call_method(item, name, args, _ev(inv).members)))
                except MemberError:
                    continue
            else:
                out.extend(enumerate_value(value))
    else:
        blocks = [b for b in process if isinstance(b, ScriptBlockValue)]
        for item in items:
            for block in blocks:
                out.extend(_run(inv, block, item))
    end = inv.bound.get("End")
    if isinstance(end, ScriptBlockValue):
        out.extend(_run(inv, end))
    return out


def _has_member(item: Any, name: str) -> bool:
    if isinstance(item, api.PSObject):
        return item.has(name)
    if isinstance(item, dict):
        return name in item
    return False


def _property_value(inv: api.Invocation, item: Any, spec: Any) -> Any:
    if isinstance(spec, ScriptBlockValue):
        return _collapse(_run(inv, spec, item))
    return get_member(item, to_string(spec))


def _calculated(spec: dict[Any, Any]) -> tuple[str, Any]:
    name = None
    expr = None
    for key, value in spec.items():
        k = to_string(key).lower()
        if k in ("n", "name", "l", "label") or ("name".startswith(k) and k):
            name = to_string(value)
        elif k in ("e", "expression") or "expression".startswith(k):
            expr = value
    if expr is None:
        raise api.CmdletError(
            api.ErrorRecord(
                message=(
                    'The "Expression" key is missing. Specify an expression key in the hash table.'
                ),
                category=api.ErrorCategory.InvalidArgument,
                fqid="DictionaryKeyMissing,Microsoft.PowerShell.Commands.SelectObjectCommand",
                exception_type="System.NotSupportedException",
            )
        )
    return (name if name is not None else to_string(expr)), expr


def _expand_names(item: Any, pattern: str) -> list[str]:
    if "*" not in pattern and "?" not in pattern:
        return [pattern]
    if isinstance(item, api.PSObject):
        return [n for n in item.names() if like(n, pattern)]
    if isinstance(item, dict):
        return [to_string(k) for k in item.keys() if like(to_string(k), pattern)]
    return []


@api.cmdlet(
    "Select-Object",
    api.Param("Property", L, position=0),
    api.Param("ExpandProperty"),
    api.Param("ExcludeProperty", L),
    api.Param("First"),
    api.Param("Last"),
    api.Param("Skip"),
    api.Param("Index", L),
    api.Param("Unique", S),
    api.Param("InputObject"),
    aliases=("select",),
)
def select_object(inv: api.Invocation) -> Iterable[Any]:
    items = (
        list(inv.input)
        if "InputObject" not in inv.bound
        else list(enumerate_value(inv.bound["InputObject"]))
    )
    if "Skip" in inv.bound:
        items = items[int(to_number(inv.bound["Skip"])) :]
    if "Index" in inv.bound:
        wanted = [int(to_number(i)) for i in inv.bound["Index"]]
        items = [items[i] for i in wanted if -len(items) <= i < len(items)]
    if "First" in inv.bound or "Last" in inv.bound:
        first = items[: int(to_number(inv.bound["First"]))] if "First" in inv.bound else []
        last_n = int(to_number(inv.bound.get("Last", 0)))
        last = items[len(items) - last_n :] if last_n else []
        items = (
            first + [i for i in last if not any(i is f for f in first)]
            if "First" in inv.bound
            else last
        )
    props = inv.bound.get("Property")
    excluded = [to_string(e).lower() for e in inv.bound.get("ExcludeProperty") or []]
    out: list[Any] = []
    if props:
        for item in items:
            selected = api.PSObject(
                type_names=(
                    f"Selected.{type_name_of(item)}",
                    "System.Management.Automation.PSCustomObject",
                )
            )
            for spec in props:
                if isinstance(spec, dict):
                    name, expr = _calculated(spec)
                    selected.set(name, _property_value(inv, item, expr))
                    continue
                for name in _expand_names(item, to_string(spec)):
                    if name.lower() not in excluded:
                        selected.set(name, get_member(item, name))
            out.append(selected)
    else:
        out = items
    expand = inv.bound.get("ExpandProperty")
    if expand is not None:
        expanded: list[Any] = []
        for item in out:
            name = to_string(expand)
            if not _has_member(item, name) and get_member(item, name) is None:
                raise api.CmdletError(
                    api.ErrorRecord(
                        message=f'Property "{name}" cannot be found.',
                        category=api.ErrorCategory.InvalidArgument,
                        fqid="ExpandPropertyNotFound,Microsoft.PowerShell.Commands.SelectObjectCommand",
                        target=to_string(item),
                        exception_type="System.Management.Automation.PSArgumentException",
                    ),
                    terminating=False,
                )
            expanded.extend(enumerate_value(get_member(item, name)))
        out = expanded
    if inv.bound.get("Unique"):
        unique: list[Any] = []
        for item in out:
            if not any(_same(item, u) for u in unique):
                unique.append(item)
        out = unique
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, api.PSObject) and isinstance(b, api.PSObject):
        return list(a.items()) == list(b.items())
    return equals(a, b, True) if isinstance(a, str) else a == b


def _sort_key_compare(a: Any, b: Any) -> int:
    if a is None and b is None:
        return 0
    if a is None:
        return -1
    if b is None:
        return 1
    if isinstance(a, api.PSEnum):
        a = int(a)
    if isinstance(b, api.PSEnum):
        b = int(b)
    if isinstance(a, int | float) and isinstance(b, int | float):
        return (a > b) - (a < b)
    sa, sb = to_string(a).lower(), to_string(b).lower()
    return (sa > sb) - (sa < sb)


@api.cmdlet(
    "Sort-Object",
    api.Param("Property", L, position=0),
    api.Param("Descending", S),
    api.Param("Unique", S),
    api.Param("CaseSensitive", S),
    api.Param("InputObject"),
    aliases=("sort",),
)
def sort_object(inv: api.Invocation) -> Iterable[Any]:
    items = (
        list(inv.input)
        if "InputObject" not in inv.bound
        else list(enumerate_value(inv.bound["InputObject"]))
    )
    descending = bool(inv.bound.get("Descending"))
    keys: list[tuple[Any, bool]] = []
    for spec in inv.bound.get("Property") or []:
        if isinstance(spec, dict):
            expr = next(
                (v for k, v in spec.items() if to_string(k).lower() in ("e", "expression")), None
            )
            desc = next(
                (
                    to_bool(v)
                    for k, v in spec.items()
                    if to_string(k).lower() in ("descending", "d")
                ),
                descending,
            )
            asc = next(
                (to_bool(v) for k, v in spec.items() if to_string(k).lower() in ("ascending", "a")),
                None,
            )
            keys.append((expr, (not asc) if asc is not None else desc))
        else:
            keys.append((spec, descending))
    if not keys:
        keys = [(None, descending)]

    def cmp(x: Any, y: Any) -> int:
        for spec, desc in keys:
            vx = x if spec is None else _property_value(inv, x, spec)
            vy = y if spec is None else _property_value(inv, y, spec)
            result = _sort_key_compare(vx, vy)
            if result:
                return -result if desc else result
        return 0

    ordered = sorted(items, key=functools.cmp_to_key(cmp))
    if inv.bound.get("Unique"):
        unique: list[Any] = []
        for item in ordered:
            if not unique or cmp(unique[-1], item) != 0:
                unique.append(item)
        ordered = unique
    return ordered


@api.cmdlet(
    "Measure-Object",
    api.Param("Property", L, position=0),
    api.Param("Sum", S),
    api.Param("Average", S),
    api.Param("Maximum", S),
    api.Param("Minimum", S),
    api.Param("Line", S),
    api.Param("Word", S),
    api.Param("Character", S),
    api.Param("InputObject"),
    aliases=("measure",),
)
def measure_object(inv: api.Invocation) -> Iterable[Any]:
    items = (
        list(inv.input)
        if "InputObject" not in inv.bound
        else list(enumerate_value(inv.bound["InputObject"]))
    )
    props = inv.bound.get("Property") or [None]
    out: list[Any] = []
    for prop in props:
        values = [item if prop is None else get_member(item, to_string(prop)) for item in items]
        numbers = [to_number(v) for v in values if v is not None]
        result = api.PSObject(
            {
                "Count": len(values),
                "Average": (sum(numbers) / len(numbers) if numbers else None)
                if inv.bound.get("Average")
                else None,
                "Sum": sum(numbers) if inv.bound.get("Sum") else None,
                "Maximum": (max(numbers) if numbers else None)
                if inv.bound.get("Maximum")
                else None,
                "Minimum": (min(numbers) if numbers else None)
                if inv.bound.get("Minimum")
                else None,
                "Property": None if prop is None else to_string(prop),
            },
            type_names=("Microsoft.PowerShell.Commands.GenericMeasureInfo",),
        )
        out.append(result)
    return out


@api.cmdlet(
    "Group-Object",
    api.Param("Property", L, position=0),
    api.Param("NoElement", S),
    api.Param("AsHashTable", S),
    aliases=("group",),
)
def group_object(inv: api.Invocation) -> Iterable[Any]:
    props = inv.bound.get("Property") or []
    groups: dict[str, list[Any]] = {}
    names: dict[str, str] = {}
    for item in inv.input:
        key_values = [_property_value(inv, item, p) for p in props] if props else [item]
        name = ", ".join(to_string(v) for v in key_values)
        groups.setdefault(name.lower(), []).append(item)
        names.setdefault(name.lower(), name)
    if inv.bound.get("AsHashTable"):
        from hypervsim.powershell.values import Hashtable

        return [Hashtable((names[k], v if len(v) > 1 else v[0]) for k, v in groups.items())]
    return [
        api.PSObject(
            {"Count": len(v), "Name": names[k], "Group": v}
            if not inv.bound.get("NoElement")
            else {"Count": len(v), "Name": names[k]},
            type_names=("Microsoft.PowerShell.Commands.GroupInfo",),
        )
        for k, v in groups.items()
    ]


@api.cmdlet(
    "Get-Member",
    api.Param("Name", L, position=0),
    api.Param("MemberType"),
    api.Param("Force", S),
    aliases=("gm",),
)
def get_member_cmd(inv: api.Invocation) -> Iterable[Any]:
    out: list[Any] = []
    seen: set[str] = set()
    for item in inv.input:
        type_name = type_name_of(item)
        if type_name in seen:
            continue
        seen.add(type_name)
        names: list[tuple[str, str]] = []
        if isinstance(item, api.PSObject):
            names = [(n, "NoteProperty") for n in item.names()]
        elif isinstance(item, dict):
            names = [
                ("Count", "Property"),
                ("Keys", "Property"),
                ("Values", "Property"),
                ("Add", "Method"),
                ("ContainsKey", "Method"),
            ]
        elif isinstance(item, str):
            names = [
                ("Length", "Property"),
                ("Contains", "Method"),
                ("Replace", "Method"),
                ("Split", "Method"),
                ("Trim", "Method"),
            ]
        members = [
            ("Equals", "Method"),
            ("GetHashCode", "Method"),
            ("GetType", "Method"),
            ("ToString", "Method"),
            *names,
        ]
        kinds = _member_kinds(inv.bound.get("MemberType"))
        patterns = [to_string(n) for n in inv.bound.get("Name") or []]
        for name, kind in sorted(members, key=lambda m: (m[1], m[0].lower())):
            if kinds is not None and kind not in kinds:
                continue
            if patterns and not any(like(name, p) for p in patterns):
                continue
            out.append(
                api.PSObject(
                    {"TypeName": type_name, "Name": name, "MemberType": kind, "Definition": name},
                    type_names=("Microsoft.PowerShell.Commands.MemberDefinition",),
                )
            )
    return out


_MEMBER_GROUPS = {
    "properties": ("AliasProperty", "CodeProperty", "Property", "NoteProperty", "ScriptProperty"),
    "methods": ("Method", "CodeMethod", "ScriptMethod"),
}


def _member_kinds(value: Any) -> set[str] | None:
    """-MemberType NoteProperty,Method / Properties / All -> the member kinds kept."""
    if value is None:
        return None
    known = {k.lower(): k for group in _MEMBER_GROUPS.values() for k in group}
    kinds: set[str] = set()
    for part in value if isinstance(value, list) else to_string(value).split(","):
        text = to_string(part).strip().lower()
        if text == "all":
            return None
        kinds.update(_MEMBER_GROUPS.get(text, (known.get(text, text),)))
    return kinds


@api.cmdlet(
    "New-Object",
    api.Param("TypeName", position=0),
    api.Param("ArgumentList", L, position=1, aliases=("Args",)),
    api.Param("Property"),
    api.Param("ComObject"),
)
def new_object(inv: api.Invocation) -> Iterable[Any]:
    if "ComObject" in inv.bound:
        if to_string(inv.bound["ComObject"]).lower() == "schedule.service":
            from hypervsim.powershell.cmdlets.scheduled_tasks import schedule_service

            return [schedule_service(inv.computer)]
        raise api.CmdletError(
            api.ErrorRecord(
                message=(
                    "Retrieving the COM class factory for component with CLSID"
                    " {00000000-0000-0000-0000-000000000000} failed due to the following"
                    " error: 80040154 Class not registered (Exception from HRESULT: 0x80040154"
                    " (REGDB_E_CLASSNOTREG))."
                ),
                category=api.ErrorCategory.ResourceUnavailable,
                fqid="NoCOMClassIdentified,Microsoft.PowerShell.Commands.NewObjectCommand",
                exception_type="System.Runtime.InteropServices.COMException",
            )
        )
    type_name = to_string(inv.bound.get("TypeName", "PSObject"))
    args = list(inv.bound.get("ArgumentList") or [])
    try:
        obj = construct(type_name, args)
    except MemberError as exc:
        raise api.CmdletError(
            api.ErrorRecord(
                message=str(exc),
                category=api.ErrorCategory.InvalidType,
                fqid=f"{exc.fqid},Microsoft.PowerShell.Commands.NewObjectCommand",
                target=type_name,
                exception_type="System.Management.Automation.PSArgumentException",
            )
        ) from None
    props = inv.bound.get("Property")
    if isinstance(props, dict) and isinstance(obj, api.PSObject):
        for key, value in props.items():
            obj.set(to_string(key), value)
    return [obj]
