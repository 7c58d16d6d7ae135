"""Member access and method calls on run-time values (static members: `static_members.py`).

Only what Hyper-V lab scripts use; anything else fails with Windows' "does not contain a
method named" / "Unable to find type" errors rather than doing something silently.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from hypervsim.powershell.api import DotNetCallError, PSEnum, PSObject, ReadOnlyMemberError
from hypervsim.powershell.operators import (
    format_value,
)
from hypervsim.powershell.types import to_number
from hypervsim.powershell.values import (
    NO_SUCH_METHOD,
    NOTHING,
    ArrayList,
    DotNetObject,
    EncodingValue,
    ErrorRecordValue,
    ExceptionValue,
    Hashtable,
    ScriptBlockValue,
    SecureString,
    SwitchValue,
    TypeValue,
    collapse,
    to_string,
    type_name_of,
)


class MemberError(Exception):
    """A failed member access / method call, with Windows' message and error id."""

    def __init__(
        self,
        message: str,
        fqid: str,
        category: str = "InvalidOperation",
        exception_type: str = "System.Management.Automation.RuntimeException",
    ) -> None:
        super().__init__(message)
        self.fqid = fqid
        self.category = category
        self.exception_type = exception_type


@dataclass
class MemberContext:
    """What members need from the running session."""

    env: dict[str, str]
    computer_name: str
    invoke: Callable[[ScriptBlockValue, list[Any]], list[Any]]
    # The machine whose files [System.IO.File] reads (a `world.model.Computer`).
    computer: Any = None
    # "..." expansion of a text in the caller's scope ($ExecutionContext...ExpandString).
    expand: Callable[[str], str] | None = None


def _no_method(value: Any, name: str) -> MemberError:
    return MemberError(
        (
            f"Method invocation failed because [{type_name_of(value)}] does not contain a"
            f" method named '{name}'."
        ),
        "MethodNotFound",
    )


def dotnet_failure(
    method: str,
    args: list[Any],
    message: str,
    exception_type: str = "System.Management.Automation.MethodInvocationException",
) -> MemberError:
    return MemberError(
        f'Exception calling "{method}" with "{len(args)}" argument(s): "{message}"',
        exception_type.rsplit(".", 1)[-1],
        "NotSpecified",
        exception_type,
    )


@dataclass(frozen=True)
class RuntimeTypeInfo:
    """What `.GetType()` returns."""

    full_name: str

    @property
    def name(self) -> str:
        return self.full_name.rsplit(".", 1)[-1]

    def __str__(self) -> str:
        return self.full_name


# ------------------------------------------------------------------------- properties
def get_member(value: Any, name: str) -> Any:
    """`$value.Name` (member enumeration over arrays; missing members are $null)."""
    lowered = name.lower()
    if value is None or value is NOTHING:
        # PowerShell 3+ gives every value, $null included, a Count/Length: $null.Count is 0.
        return 0 if lowered in ("count", "length") else None
    if isinstance(value, PSObject):
        if value.has(name):
            return value.get(name)
        if lowered in ("count", "length"):
            return 1
        if lowered == "psobject":
            return _psobject_view(value)
        return None
    if isinstance(value, dict):
        if name in value:
            return value[name]
        extended = getattr(value, "extended", None)  # Add-Member on a hashtable
        if isinstance(extended, PSObject) and extended.has(name):
            return extended.get(name)
        if lowered == "count":
            return len(value)
        if lowered == "keys":
            return list(value.keys())
        if lowered == "values":
            return list(value.values())
        return None
    if isinstance(value, list | tuple):
        if lowered in ("count", "length", "longlength"):
            return len(value)
        results = [get_member(v, name) for v in value]
        results = [r for r in results if r is not None]
        flat: list[Any] = []
        for r in results:
            flat.extend(r if isinstance(r, list) else [r])
        return collapse(flat) if len(flat) != 1 else flat[0]
    if isinstance(value, bytes | bytearray):
        if lowered in ("count", "length"):
            return len(value)
        return None
    if isinstance(value, str):
        if lowered == "length":
            return len(value)
        if lowered == "count":
            return 1
        return None
    if isinstance(value, ErrorRecordValue):
        return _error_record_member(value, lowered)
    if isinstance(value, ExceptionValue):
        table = {
            "message": value.message,
            "innerexception": value.inner,
            "hresult": -2146233087,
            "errorrecord": ErrorRecordValue(value.record) if value.record else None,
        }
        return table.get(lowered)
    if isinstance(value, RuntimeTypeInfo):
        return {"fullname": value.full_name, "name": value.name}.get(lowered)
    if isinstance(value, TypeValue):
        return {"fullname": value.full_name, "name": value.full_name.rsplit(".", 1)[-1]}.get(
            lowered
        )
    if isinstance(value, SwitchValue):
        return value.is_present if lowered == "ispresent" else None
    if isinstance(value, SecureString):
        return len(value.plain) if lowered == "length" else None
    if isinstance(value, dt.datetime):
        attrs = {
            "year": value.year,
            "month": value.month,
            "day": value.day,
            "hour": value.hour,
            "minute": value.minute,
            "second": value.second,
            "millisecond": value.microsecond // 1000,
            "dayofweek": value.strftime("%A"),
            "date": value.replace(hour=0, minute=0, second=0, microsecond=0),
            "ticks": int((value - dt.datetime(1, 1, 1)).total_seconds() * 10**7),
        }
        return attrs.get(lowered)
    if isinstance(value, PSEnum):
        return int(value) if lowered == "value__" else None
    if isinstance(value, EncodingValue):
        return {"encodingname": value.name, "webname": value.codec}.get(lowered)
    if isinstance(value, int | float | bool):
        return 1 if lowered in ("count", "length") else None
    if isinstance(value, DotNetObject):
        return next((v for k, v in value.properties().items() if k.lower() == lowered), None)
    return getattr(value, name, None)


CUSTOM_OBJECT = "System.Management.Automation.PSCustomObject"


class PropertyInfo(PSObject):
    """A PSPropertyInfo of `$obj.PSObject.Properties`: `Value` reads and writes the live
    property of the object it describes, as on Windows."""

    __slots__ = ("owner",)

    def __init__(self, owner: PSObject, name: str) -> None:
        note = owner.type_names[:1] == [CUSTOM_OBJECT]
        kind = owner.member_kind(name) or ("NoteProperty" if note else "Property")
        super().__init__(
            {
                "Value": None,
                "MemberType": kind,
                "IsSettable": True,
                "IsGettable": True,
                "TypeNameOfValue": None,
                "Name": name,
                "IsInstance": True,
            },
            type_names=[
                f"System.Management.Automation.PS{'Note' if note else ''}Property",
                "System.Management.Automation.PSPropertyInfo",
                "System.Management.Automation.PSMemberInfo",
                "System.Object",
            ],
        )
        self.owner = owner

    def get(self, name: str, default: Any = None) -> Any:
        key = name.lower()
        if key == "value":
            return self.owner.get(to_string(super().get("Name")))
        if key == "typenameofvalue":
            return type_name_of(self.get("Value"))
        return super().get(name, default)

    def set(self, name: str, value: Any) -> None:
        if name.lower() == "value" and hasattr(self, "owner"):
            self.owner.set(to_string(super().get("Name")), value)
        super().set(name, value)

    def items(self) -> Iterator[tuple[str, Any]]:
        return iter([(n, self.get(n)) for n, _ in super().items()])


class PropertyCollection(list[PropertyInfo]):
    """`$obj.PSObject.Properties` (PSMemberInfoCollection): a list of PropertyInfo that is
    also indexed by name (`['Name']`, `.Item('Name')`, $null when absent) and matched by
    wildcard (`.Match('N*')`), case-insensitively."""

    def item(self, name: str) -> PropertyInfo | None:
        lowered = name.lower()
        return next((p for p in self if to_string(p.get("Name")).lower() == lowered), None)

    def match(self, pattern: str) -> list[PropertyInfo]:
        from hypervsim.powershell.operators import wildcard_to_regex

        regex = re.compile(wildcard_to_regex(pattern), re.IGNORECASE)
        return [p for p in self if regex.match(to_string(p.get("Name")))]


def _psobject_view(value: PSObject) -> PSObject:
    props = PropertyCollection(PropertyInfo(value, n) for n in value.names())
    return PSObject({"Properties": props, "TypeNames": list(value.type_names)})


def _error_record_member(value: ErrorRecordValue, lowered: str) -> Any:
    record = value.record
    if lowered == "exception":
        return value.exception
    if lowered == "fullyqualifiederrorid":
        return record.fqid
    if lowered == "categoryinfo":
        return PSObject(
            {
                "Category": record.category.value,
                "Activity": record.command or "",
                "Reason": record.exception_type.rsplit(".", 1)[-1],
                "TargetName": record.target or "",
                "TargetType": "String" if record.target else "",
            },
            type_names=("System.Management.Automation.ErrorCategoryInfo",),
        )
    if lowered == "targetobject":
        return value.target_object if value.target_object is not None else record.target
    if lowered == "invocationinfo":
        return PSObject(
            {
                "MyCommand": record.command,
                "ScriptLineNumber": record.line or 0,
                "OffsetInLine": record.column or 0,
                "Line": record.script_line or "",
                "PositionMessage": f"At line:{record.line or 1} char:{record.column or 1}",
            }
        )
    if lowered == "errordetails":
        return None
    if lowered == "scriptstacktrace":
        return f"at <ScriptBlock>, <No file>: line {record.line or 1}"
    return None


def set_member(target: Any, name: str, value: Any) -> None:
    """`$obj.Name = value`."""
    if isinstance(target, PSObject):
        if not target.has(name):
            raise MemberError(
                (
                    f"The property '{name}' cannot be found on this object. Verify that the"
                    f" property exists and can be set."
                ),
                "PropertyAssignmentException",
            )
        try:
            target.set(name, value)
        except ReadOnlyMemberError as exc:
            raise MemberError(str(exc), "SetWithoutSetterFromScriptProperty") from None
        return
    if isinstance(target, dict):
        target[name] = value
        return
    if isinstance(target, DotNetObject) and target.set_property(name.lower(), value):
        return
    raise MemberError(
        (
            f"The property '{name}' cannot be found on this object. Verify that the property"
            f" exists and can be set."
        ),
        "PropertyNotFound",
    )


# ------------------------------------------------------------------------- methods
def call_method(value: Any, name: str, args: list[Any], ctx: MemberContext) -> Any:
    """`$value.Name(args)`. Returns NOTHING for void methods."""
    lowered = name.lower()
    if value is None or value is NOTHING:
        raise MemberError(
            "You cannot call a method on a null-valued expression.", "InvokeMethodOnNull"
        )
    if lowered == "gettype" and not args:
        return RuntimeTypeInfo(type_name_of(value))
    if isinstance(value, str):
        return _string_method(value, lowered, name, args)
    if isinstance(value, DotNetObject):
        result = value.call(lowered, args, ctx)
        if result is not NO_SUCH_METHOD:
            return result
    if isinstance(value, PSObject):
        member = value.get(name)
        if callable(member):
            try:
                return member(*args)
            except DotNetCallError as exc:
                raise dotnet_failure(name, args, exc.message, exc.exception_type) from None
        if lowered == "tostring":
            return to_string(value)
        if lowered == "equals":
            return value is args[0]
        raise _no_method(value, name)
    if isinstance(value, dict):
        extended = getattr(value, "extended", None)
        if isinstance(extended, PSObject) and callable(extended.get(name)):
            return call_method(extended, name, args, ctx)
        return _dict_method(value, lowered, name, args)
    if isinstance(value, PropertyCollection) and lowered in ("item", "match") and args:
        found = (
            value.item(to_string(args[0])) if lowered == "item" else value.match(to_string(args[0]))
        )
        return found
    if isinstance(value, list | tuple):
        return _list_method(value, lowered, name, args)
    if isinstance(value, ScriptBlockValue):
        if lowered in ("invoke", "invokereturnasis"):
            return collapse(ctx.invoke(value, list(args)))
        if lowered == "tostring":
            return value.block.text
        raise _no_method(value, name)
    if isinstance(value, EncodingValue):
        return _encoding_method(value, lowered, name, args)
    if isinstance(value, dt.datetime):
        return _datetime_method(value, lowered, name, args)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if lowered == "tostring":
            return format_value(value, to_string(args[0])) if args else to_string(value)
        if lowered == "equals":
            return value == to_number(args[0])
        if lowered == "compareto":
            other = to_number(args[0])
            return (value > other) - (value < other)
        raise _no_method(value, name)
    if lowered == "tostring":
        return to_string(value)
    if lowered == "equals":
        return value == args[0]
    if isinstance(value, bytes | bytearray) and lowered == "clone":
        return bytes(value)
    raise _no_method(value, name)


def _chars(arg: Any) -> str | None:
    if arg is None:
        return None
    if isinstance(arg, list):
        return "".join(to_string(a) for a in arg)
    return to_string(arg)


def _string_method(value: str, lowered: str, name: str, args: list[Any]) -> Any:
    a = args
    if lowered == "tostring":
        return value
    if lowered in ("tolower", "tolowerinvariant"):
        return value.lower()
    if lowered in ("toupper", "toupperinvariant"):
        return value.upper()
    if lowered == "trim":
        return value.strip(_chars(a[0]) if a else None)
    if lowered == "trimstart":
        return value.lstrip(_chars(a[0]) if a else None)
    if lowered == "trimend":
        return value.rstrip(_chars(a[0]) if a else None)
    if lowered == "split":
        return _split_string(value, a)
    if lowered == "contains":
        return to_string(a[0]) in value
    if lowered == "startswith":
        return value.startswith(to_string(a[0]))
    if lowered == "endswith":
        return value.endswith(to_string(a[0]))
    if lowered == "replace":
        return value.replace(to_string(a[0]), to_string(a[1]))
    if lowered == "substring":
        start = int(to_number(a[0]))
        if start > len(value):
            raise dotnet_failure(
                name,
                a,
                "startIndex cannot be larger than length of string.\r\nParameter name: startIndex",
                "System.ArgumentOutOfRangeException",
            )
        if len(a) > 1:
            length = int(to_number(a[1]))
            if start + length > len(value):
                raise dotnet_failure(
                    name,
                    a,
                    (
                        "Index and length must refer to a location within the"
                        " string.\r\nParameter name: length"
                    ),
                    "System.ArgumentOutOfRangeException",
                )
            return value[start : start + length]
        return value[start:]
    if lowered == "indexof":
        return value.find(to_string(a[0]), int(to_number(a[1])) if len(a) > 1 else 0)
    if lowered == "lastindexof":
        return value.rfind(to_string(a[0]))
    if lowered == "padleft":
        return value.rjust(int(to_number(a[0])), to_string(a[1]) if len(a) > 1 else " ")
    if lowered == "padright":
        return value.ljust(int(to_number(a[0])), to_string(a[1]) if len(a) > 1 else " ")
    if lowered == "equals":
        return value == to_string(a[0])
    if lowered == "compareto":
        other = to_string(a[0])
        return (value > other) - (value < other)
    if lowered == "insert":
        idx = int(to_number(a[0]))
        return value[:idx] + to_string(a[1]) + value[idx:]
    if lowered == "remove":
        idx = int(to_number(a[0]))
        count = int(to_number(a[1])) if len(a) > 1 else len(value) - idx
        return value[:idx] + value[idx + count :]
    if lowered == "tochararray":
        return list(value)
    if lowered == "normalize":
        return value
    if lowered == "gethashcode":
        return hash(value) & 0x7FFFFFFF
    raise _no_method(value, name)


def _split_string(value: str, args: list[Any]) -> list[str]:
    """String.Split: a string argument is a set of separator characters, as in PS 5.1."""
    if not args:
        return re.split(r"\s", value)
    seps = args[0]
    if isinstance(seps, list):
        # string[] separators
        pattern = "|".join(re.escape(to_string(s)) for s in seps if to_string(s))
    else:
        chars = to_string(seps)
        pattern = "[" + re.escape(chars) + "]" if chars else r"\s"
    parts = re.split(pattern, value) if pattern else [value]
    options = [to_string(a).lower() for a in args[1:]]
    if any("removeemptyentries" in o or o == "1" for o in options):
        parts = [p for p in parts if p]
    return parts


def _dict_method(value: dict[Any, Any], lowered: str, name: str, args: list[Any]) -> Any:
    if lowered == "containskey" or lowered == "contains":
        return args[0] in value
    if lowered == "containsvalue":
        return any(v == args[0] for v in value.values())
    if lowered == "add":
        key = args[0]
        if key in value:
            raise dotnet_failure(
                name,
                args,
                (
                    f"Item has already been added. Key in dictionary: '{to_string(key)}'  Key"
                    f" being added: '{to_string(key)}'"
                ),
                "System.ArgumentException",
            )
        value[key] = args[1]
        return NOTHING
    if lowered == "remove":
        if args[0] in value:
            del value[args[0]]
        return NOTHING
    if lowered == "clear":
        value.clear()
        return NOTHING
    if lowered == "clone":
        return Hashtable(value.items(), ordered=getattr(value, "ordered", False))
    if lowered == "getenumerator":
        return [
            PSObject(
                {"Name": k, "Key": k, "Value": v},
                type_names=("System.Collections.DictionaryEntry",),
            )
            for k, v in value.items()
        ]
    if lowered == "tostring":
        return to_string(value)
    if lowered == "get_item" or lowered == "item":
        return value.get(args[0])
    raise _no_method(value, name)


def _list_method(
    value: list[Any] | tuple[Any, ...], lowered: str, name: str, args: list[Any]
) -> Any:
    from hypervsim.powershell.operators import equals

    if lowered == "contains":
        return any(equals(v, args[0]) for v in value)
    if lowered == "indexof":
        for idx, v in enumerate(value):
            if equals(v, args[0]):
                return idx
        return -1
    if isinstance(value, ArrayList):
        if lowered == "add":
            value.append(args[0] if args else None)
            return NOTHING if value.generic else len(value) - 1
        if lowered == "addrange":
            value.extend(args[0] if isinstance(args[0], list) else [args[0]])
            return NOTHING
        if lowered == "remove":
            for idx, v in enumerate(value):
                if equals(v, args[0]):
                    del value[idx]
                    break
            return NOTHING
        if lowered == "clear":
            value.clear()
            return NOTHING
        if lowered == "toarray":
            return list(value)
        if lowered == "insert":
            value.insert(int(to_number(args[0])), args[1])
            return NOTHING
    if lowered == "add":
        raise dotnet_failure(
            name, args, "Collection was of a fixed size.", "System.NotSupportedException"
        )
    if lowered == "tostring":
        return "System.Object[]"
    if lowered == "clone":
        return list(value)
    if lowered == "getenumerator":
        return list(value)
    if lowered == "tochararray":
        raise _no_method(value, name)
    raise _no_method(value, name)


def _encoding_method(value: EncodingValue, lowered: str, name: str, args: list[Any]) -> Any:
    if lowered == "getstring":
        data = args[0]
        if isinstance(data, list):
            data = bytes(int(to_number(b)) & 0xFF for b in data)
        if not isinstance(data, bytes | bytearray):
            raise dotnet_failure(
                name,
                args,
                "Array cannot be null.\r\nParameter name: bytes",
                "System.ArgumentNullException",
            )
        return bytes(data).decode(value.codec, errors="replace")
    if lowered == "getbytes":
        return to_string(args[0]).encode(value.codec)
    raise _no_method(value, name)


def _datetime_method(value: dt.datetime, lowered: str, name: str, args: list[Any]) -> Any:
    if lowered == "tostring":
        if args:
            return dotnet_date_format(value, to_string(args[0]))
        return to_string(value)
    adders = {
        "addseconds": "seconds",
        "addminutes": "minutes",
        "addhours": "hours",
        "adddays": "days",
        "addmilliseconds": "milliseconds",
    }
    if lowered in adders:
        return value + dt.timedelta(**{adders[lowered]: float(to_number(args[0]))})
    if lowered == "touniversaltime":
        return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
    if lowered == "tolocaltime":
        return value
    raise _no_method(value, name)


def dotnet_date_format(value: dt.datetime, fmt: str) -> str:
    """The custom .NET date format tokens used in scripts (yyyy MM dd HH mm ss fff, o, s, u)."""
    if fmt == "o":
        return value.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0"
    if fmt == "s":
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    if fmt == "u":
        return value.strftime("%Y-%m-%d %H:%M:%SZ")
    tokens = [
        ("yyyy", "%Y"),
        ("yy", "%y"),
        ("MM", "%m"),
        ("dd", "%d"),
        ("HH", "%H"),
        ("hh", "%I"),
        ("mm", "%M"),
        ("ss", "%S"),
        ("fff", "{ms}"),
        ("tt", "%p"),
    ]
    out = fmt
    for token, repl in tokens:
        out = out.replace(token, repl)
    return value.strftime(out).replace("{ms}", f"{value.microsecond // 1000:03d}")
