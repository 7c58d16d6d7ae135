"""Type names, casts (`[int]$x`), `-is` / `-as`: the small part of .NET the scripts touch."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from typing import Any, cast

from hypervsim.powershell.api import PSEnum, PSObject
from hypervsim.powershell.values import (
    NOTHING,
    ErrorRecordValue,
    Hashtable,
    ScriptBlockValue,
    SecureString,
    SwitchValue,
    to_bool,
    to_string,
    type_name_of,
)

_ALIASES = {
    "int": "System.Int32",
    "int32": "System.Int32",
    "long": "System.Int64",
    "int64": "System.Int64",
    "uint32": "System.UInt32",
    "uint64": "System.UInt64",
    "byte": "System.Byte",
    "double": "System.Double",
    "float": "System.Single",
    "single": "System.Single",
    "decimal": "System.Decimal",
    "string": "System.String",
    "char": "System.Char",
    "bool": "System.Boolean",
    "boolean": "System.Boolean",
    "object": "System.Object",
    "array": "System.Array",
    "hashtable": "System.Collections.Hashtable",
    "ordered": "System.Collections.Specialized.OrderedDictionary",
    "pscustomobject": "System.Management.Automation.PSObject",
    "psobject": "System.Management.Automation.PSObject",
    "scriptblock": "System.Management.Automation.ScriptBlock",
    "switch": "System.Management.Automation.SwitchParameter",
    "datetime": "System.DateTime",
    "ipaddress": "System.Net.IPAddress",
    "void": "System.Void",
    "guid": "System.Guid",
    "securestring": "System.Security.SecureString",
    "pscredential": "System.Management.Automation.PSCredential",
    "regex": "System.Text.RegularExpressions.Regex",
    "math": "System.Math",
    "convert": "System.Convert",
    "text.encoding": "System.Text.Encoding",
    "environment": "System.Environment",
    "exception": "System.Exception",
    "type": "System.Type",
    "version": "System.Version",
    "timespan": "System.TimeSpan",
}

# Exception base types, for typed catch blocks.
_SMA = "System.Management.Automation."
_EXCEPTION_PARENTS = {
    _SMA + "CommandNotFoundException": _SMA + "RuntimeException",
    _SMA + "ParameterBindingException": _SMA + "RuntimeException",
    _SMA + "ActionPreferenceStopException": _SMA + "RuntimeException",
    _SMA + "ItemNotFoundException": _SMA + "SessionStateException",
    _SMA + "SessionStateException": _SMA + "RuntimeException",
    _SMA + "PSInvalidCastException": _SMA + "RuntimeException",
    _SMA + "MethodInvocationException": _SMA + "RuntimeException",
    _SMA + "ParseException": _SMA + "RuntimeException",
    "System.Management.Automation.RuntimeException": "System.SystemException",
    "System.ArgumentException": "System.SystemException",
    "System.InvalidOperationException": "System.SystemException",
    "System.FormatException": "System.SystemException",
    "Microsoft.Management.Infrastructure.CimException": "System.SystemException",
    "System.SystemException": "System.Exception",
}


def full_type_name(name: str) -> str:
    """`int` -> `System.Int32`; unknown names get `System.` tried, else stay as written."""
    cleaned = name.strip()
    if cleaned.endswith("[]"):
        return full_type_name(cleaned[:-2]) + "[]"
    lowered = cleaned.lower()
    if lowered in _ALIASES:
        return _ALIASES[lowered]
    if lowered.startswith("system.") and lowered[7:] in _ALIASES:
        return _ALIASES[lowered[7:]]
    return cleaned


def exception_matches(catch_type: str, exception_type: str) -> bool:
    """Does `catch [catch_type]` catch an exception of `exception_type` (or a subclass)?"""
    wanted = full_type_name(catch_type).lower()
    current: str | None = exception_type
    seen: set[str] = set()
    while current and current not in seen:
        seen.add(current)
        lowered = current.lower()
        if (
            lowered == wanted
            or lowered == "system." + wanted
            or lowered.rsplit(".", 1)[-1] == wanted
        ):
            return True
        parent = _EXCEPTION_PARENTS.get(current)
        current = parent or ("System.Exception" if current != "System.Exception" else None)
    return False


class CastError(Exception):
    """A failed conversion; the evaluator turns it into PowerShell's error record."""

    def __init__(self, value: Any, type_name: str, detail: str) -> None:
        shown = to_string(value)
        super().__init__(f'Cannot convert value "{shown}" to type "{type_name}". Error: "{detail}"')
        self.type_name = type_name


def _number_from_text(text: str, type_name: str, *, whole: bool) -> int | float:
    """Text as PowerShell reads it as a number: blank is 0, `0x..` is hex, then a whole number,
    then a decimal (rounded half to even, as .NET does, when a `whole` number is wanted)."""
    stripped = text.strip()
    if stripped == "":
        return 0
    try:
        if re.fullmatch(r"[+-]?0x[0-9a-fA-F]+", stripped):
            return int(stripped, 16)
        return int(stripped)
    except ValueError:
        try:
            return round(float(stripped)) if whole else float(stripped)
        except ValueError:
            raise CastError(text, type_name, "Input string was not in a correct format.") from None


def _to_int(value: Any, type_name: str) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        # .NET rounds half to even, as Python does.
        return round(value)
    if value is None:
        return 0
    if isinstance(value, str):
        return cast(int, _number_from_text(value, type_name, whole=True))
    if isinstance(value, list) and len(value) == 1:
        return _to_int(value[0], type_name)
    raise CastError(value, type_name, "Invalid cast.")


def to_number(value: Any) -> int | float:
    """Numeric conversion for arithmetic ($null -> 0, "5" -> 5, "1.5" -> 1.5)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    if value is None or value is NOTHING:
        return 0
    if isinstance(value, str):
        return _number_from_text(value, "System.Int32", whole=False)
    if isinstance(value, SwitchValue):
        return int(value.is_present)
    raise CastError(value, "System.Int32", "Invalid cast.")


def convert(type_name: str, value: Any) -> Any:
    """`[type]value`."""
    full = full_type_name(type_name)
    lowered = full.lower()
    if value is NOTHING:
        value = None
    if lowered.endswith("[]"):
        element = full[:-2]
        items = value if isinstance(value, list | tuple) else ([] if value is None else [value])
        if isinstance(value, bytes | bytearray):
            items = list(value)
        if element.lower() in ("system.byte",) and isinstance(value, list):
            return bytes(_to_int(v, element) & 0xFF for v in value)
        if element.lower() == "system.object":
            return list(items)
        return [convert(element, v) for v in items]
    if lowered in (
        "system.int32",
        "system.int64",
        "system.uint32",
        "system.uint64",
        "system.byte",
        "system.int16",
    ):
        if isinstance(value, PSEnum):
            return int(value)
        return _to_int(value, full)
    if lowered in ("system.double", "system.single", "system.decimal"):
        number = to_number(value)
        return float(number)
    if lowered == "system.string":
        return to_string(value)
    if lowered == "system.boolean":
        return to_bool(value)
    if lowered == "system.char":
        if isinstance(value, int):
            return chr(value)
        text = to_string(value)
        if len(text) != 1:
            raise CastError(value, full, "String must be exactly one character long.")
        return text
    if lowered in ("system.object", "system.management.automation.psobject"):
        if isinstance(value, dict) and lowered.endswith("psobject"):
            return PSObject(dict(value.items()))
        return value
    if lowered == "system.array":
        if isinstance(value, list):
            return value
        if isinstance(value, bytes | bytearray):
            return list(value)
        return [] if value is None else [value]
    if lowered == "system.collections.hashtable":
        if isinstance(value, dict):
            return Hashtable(value.items())
        raise CastError(value, full, "Invalid cast.")
    if lowered == "system.collections.specialized.ordereddictionary":
        if isinstance(value, dict):
            return Hashtable(value.items(), ordered=True)
        raise CastError(value, full, "Invalid cast.")
    if lowered == "system.management.automation.switchparameter":
        return SwitchValue(to_bool(value))
    if lowered == "system.net.ipaddress":
        try:
            return str(ipaddress.ip_address(to_string(value).strip()))
        except ValueError:
            raise CastError(value, full, "An invalid IP address was specified.") from None
    if lowered == "system.datetime":
        if isinstance(value, dt.datetime):
            return value
        try:
            return dt.datetime.fromisoformat(to_string(value))
        except ValueError:
            raise CastError(value, full, "String was not recognized as a valid DateTime.") from None
    if lowered == "system.management.automation.scriptblock":
        if isinstance(value, ScriptBlockValue):
            return value
        raise CastError(value, full, "Invalid cast.")
    if lowered == "system.guid":
        import uuid

        try:
            return str(uuid.UUID(to_string(value)))
        except ValueError:
            raise CastError(value, full, "Guid should contain 32 digits with 4 dashes.") from None
    if lowered == "system.security.securestring":
        if isinstance(value, SecureString):
            return value
        raise CastError(value, full, "Invalid cast.")
    if lowered == "system.version":
        return to_string(value)
    if lowered == "system.void":
        return NOTHING
    if lowered in ENUM_TYPES:
        return convert_enum(full, ENUM_TYPES[lowered], value)
    raise UnknownTypeError(type_name)


# .NET enum types known by full name (lower case) -> their PSEnum class; modules register
# theirs (the Hyper-V module its Microsoft.HyperV.PowerShell.* enums) with register_enum.
ENUM_TYPES: dict[str, type[PSEnum]] = {}


def register_enum(full_name: str, cls: type[PSEnum]) -> None:
    ENUM_TYPES[full_name.lower()] = cls


def convert_enum(full: str, cls: type[PSEnum], value: Any) -> PSEnum:
    """`[Enum]value`: from an enum, an integer that is a member's value, or a member name."""
    if isinstance(value, cls):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return cls(int(value))
        except ValueError:
            pass
    else:
        text = to_string(value).strip()
        hit = next((m for m in cls if m.name.lower() == text.lower()), None)
        if hit is not None:
            return hit
        if text.lstrip("-").isdigit():
            return convert_enum(full, cls, int(text))
    names = ", ".join(m.name for m in cls)
    raise CastError(
        value,
        full,
        f"Unable to match the identifier name {to_string(value)} to a valid enumerator name. "
        f"Specify one of the following enumerator names and try again: {names}",
    )


class UnknownTypeError(Exception):
    """[Some.Type] that the emulator does not know: Windows' TypeNotFound."""

    def __init__(self, type_name: str) -> None:
        super().__init__(f"Unable to find type [{type_name}].")
        self.type_name = type_name


def is_instance(value: Any, type_name: str) -> bool:
    """`$x -is [type]`."""
    full = full_type_name(type_name)
    lowered = full.lower()
    if lowered == "system.object":
        return value is not None
    if lowered in ("system.management.automation.psobject",):
        return isinstance(value, PSObject) or value is not None
    if lowered == "system.array" or lowered == "system.object[]":
        return isinstance(value, list | tuple)
    if lowered == "system.collections.hashtable":
        return isinstance(value, dict) and not getattr(value, "ordered", False)
    if lowered in ("system.collections.idictionary",):
        return isinstance(value, dict)
    if lowered == "system.management.automation.errorrecord":
        return isinstance(value, ErrorRecordValue)
    if lowered in ("system.valuetype",):
        return isinstance(value, int | float | bool)
    if (
        lowered == "system.int32"
        and isinstance(value, int)
        and not isinstance(value, bool | PSEnum)
    ):
        return -(2**31) <= value < 2**31
    actual = type_name_of(value).lower()
    if actual == lowered:
        return True
    if isinstance(value, PSObject):
        return any(t.lower() == lowered for t in value.type_names)
    return False
