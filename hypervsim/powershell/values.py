"""Run-time values beyond plain Python ones, and PowerShell's conversions between them.

Plain values: None ($null), bool, int, float, str, list (object[]), bytes (byte[]),
`Hashtable` (a dict with case-insensitive keys), `api.PSObject`, `api.PSEnum`, datetime.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hypervsim.powershell.api import ErrorCategory, ErrorRecord, PSEnum, PSObject

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.powershell import ast as psast


class _Nothing:
    """AutomationNull: what a void method or an empty pipeline yields (enumerates to nothing)."""

    _instance: _Nothing | None = None

    def __new__(cls) -> _Nothing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOTHING"

    def __bool__(self) -> bool:
        return False


NOTHING = _Nothing()


class Hashtable(dict):  # type: ignore[type-arg]
    """System.Collections.Hashtable: a dict whose string keys match case-insensitively.

    It stays a real dict (cmdlets receive it as one); `ordered` marks `[ordered]@{}`.
    """

    def __init__(
        self, items: Iterable[tuple[Any, Any]] | dict[Any, Any] = (), ordered: bool = False
    ) -> None:
        super().__init__()
        self._index: dict[Any, Any] = {}
        self.ordered = ordered
        self.extended: PSObject | None = None  # members Add-Member gave this hashtable
        pairs = items.items() if isinstance(items, dict) else items
        for k, v in pairs:
            self[k] = v

    @staticmethod
    def _fold(key: Any) -> Any:
        return key.lower() if isinstance(key, str) else key

    def __setitem__(self, key: Any, value: Any) -> None:
        folded = self._fold(key)
        original = self._index.get(folded, key)
        self._index[folded] = original
        super().__setitem__(original, value)

    def __getitem__(self, key: Any) -> Any:
        return super().__getitem__(self._index[self._fold(key)])

    def __contains__(self, key: object) -> bool:
        return self._fold(key) in self._index

    def __delitem__(self, key: Any) -> None:
        original = self._index.pop(self._fold(key))
        super().__delitem__(original)

    def get(self, key: Any, default: Any = None) -> Any:
        original = self._index.get(self._fold(key), _MISSING)
        if original is _MISSING:
            return default
        return super().__getitem__(original)

    def pop(self, key: Any, *default: Any) -> Any:
        if key in self:
            value = self[key]
            del self[key]
            return value
        if default:
            return default[0]
        raise KeyError(key)

    def copy(self) -> Hashtable:
        return Hashtable(self.items(), ordered=self.ordered)

    def clear(self) -> None:
        super().clear()
        self._index.clear()


_MISSING = object()


class ArrayList(list):  # type: ignore[type-arg]
    """System.Collections.ArrayList / List[T]: a growable array (`.Add` works)."""

    def __init__(self, items: Iterable[Any] = (), generic: bool = False) -> None:
        super().__init__(items)
        self.generic = generic


@dataclass
class ScriptBlockValue:
    """A `{ ... }` value; runs in a child of whatever scope invokes it (dynamic scoping)."""

    block: psast.ScriptBlock
    source_lines: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return self.block.text


@dataclass(frozen=True)
class TypeValue:
    """A type literal such as [int] or [System.Text.Encoding] used as a value."""

    name: str

    @property
    def full_name(self) -> str:
        from hypervsim.powershell.types import full_type_name

        return full_type_name(self.name)

    def __str__(self) -> str:
        return self.full_name


@dataclass
class EncodingValue:
    """[Text.Encoding]::UTF8 / Unicode / ASCII."""

    codec: str
    name: str

    def __str__(self) -> str:
        return f"System.Text.{self.name}Encoding"


@dataclass
class SecureString:
    """System.Security.SecureString: keeps the text, never prints it."""

    plain: str

    def __str__(self) -> str:
        return "System.Security.SecureString"

    @property
    def Length(self) -> int:  # noqa: N802 (.NET member name)
        return len(self.plain)


@dataclass
class ExceptionValue:
    """`$_.Exception`: Message, GetType().FullName, InnerException."""

    message: str
    type_name: str
    record: ErrorRecord | None = None
    inner: ExceptionValue | None = None

    def __str__(self) -> str:
        return self.message


@dataclass
class ErrorRecordValue:
    """`$_` in catch, entries of `$Error`: wraps an api.ErrorRecord (plus a thrown object)."""

    record: ErrorRecord
    target_object: Any = None
    thrown: Any = None

    @property
    def exception(self) -> ExceptionValue:
        return ExceptionValue(self.record.message, self.record.exception_type, self.record)

    def __str__(self) -> str:
        return self.record.message


class DotNetObject:
    """A .NET object implemented in Python (Version, TimeSpan, Stopwatch, $Host...).

    `properties()` are its readable properties in display order (computed on each read, so a
    running Stopwatch's Elapsed moves); `call` runs a method or returns NO_SUCH_METHOD.
    """

    type_name = "System.Object"

    def properties(self) -> dict[str, Any]:
        return {}

    def call(self, lowered: str, args: list[Any], ctx: Any) -> Any:
        return NO_SUCH_METHOD

    def set_property(self, lowered: str, value: Any) -> bool:
        """`$obj.Name = value`; False when the property cannot be set."""
        return False

    def display_lines(self) -> list[str] | None:
        """Out-Default's lines when the type has its own view (else a table/list of properties)."""
        return None

    def __str__(self) -> str:
        return self.type_name


NO_SUCH_METHOD = object()


def make_error(
    message: str,
    fqid: str,
    category: ErrorCategory = ErrorCategory.NotSpecified,
    exception_type: str = "System.Management.Automation.RuntimeException",
    target: str | None = None,
    command: str | None = None,
) -> ErrorRecord:
    return ErrorRecord(
        message=message,
        category=category,
        fqid=fqid,
        target=target,
        command=command,
        exception_type=exception_type,
    )


# ------------------------------------------------------------------------------ conversions
def enumerate_value(value: Any) -> Iterator[Any]:
    """What the pipeline sees for a value: arrays unroll one level, NOTHING is empty."""
    if value is NOTHING:
        return iter(())
    if isinstance(value, list | tuple):
        return iter(value)
    if isinstance(value, bytes | bytearray):
        return iter(list(value))
    return iter((value,))


def is_enumerable(value: Any) -> bool:
    return isinstance(value, list | tuple | bytes | bytearray)


def collapse(items: list[Any]) -> Any:
    """Pipeline output assigned to a variable: none -> $null, one -> it, many -> array."""
    if not items:
        return None
    if len(items) == 1:
        return items[0]
    return list(items)


class PSChar(str):
    """A System.Char (a one-character str): the NUL char a CIM property uses for "no drive
    letter" is false, like the number it is."""

    __slots__ = ()


def to_bool(value: Any) -> bool:
    """PowerShell truthiness."""
    if value is None or value is NOTHING:
        return False
    if isinstance(value, PSChar):
        return value != "\0"
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        return value != ""
    if isinstance(value, list | tuple):
        if len(value) == 0:
            return False
        if len(value) == 1:
            return to_bool(value[0])
        return True
    if isinstance(value, SwitchValue):
        return value.is_present
    return True


@dataclass(frozen=True)
class SwitchValue:
    """[switch] parameter value inside a function: `.IsPresent`, truthiness."""

    is_present: bool

    def __bool__(self) -> bool:
        return self.is_present

    def __str__(self) -> str:
        return "True" if self.is_present else "False"


def format_number(value: float) -> str:
    """[double] -> string as .NET prints it (15 significant digits, no trailing .0)."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.15g}"
    if "e" in text:
        mantissa, exp = text.split("e")
        sign = exp[0]
        digits = exp[1:].lstrip("0").rjust(2, "0")
        text = f"{mantissa}E{sign}{digits}"
    return text


def to_string(value: Any) -> str:
    """[string]$x / string expansion: arrays join with a space, $null is ''."""
    if value is None or value is NOTHING:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, PSEnum):
        return value.name
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return " ".join(to_string(v) for v in value)
    if isinstance(value, bytes | bytearray):
        return " ".join(str(b) for b in value)
    if isinstance(value, Hashtable | dict):
        return (
            "System.Collections.Specialized.OrderedDictionary"
            if getattr(value, "ordered", False)
            else "System.Collections.Hashtable"
        )
    if isinstance(value, PSObject):
        if (
            value.type_names
            and value.type_names[0] != "System.Management.Automation.PSCustomObject"
        ):
            display = value.get("__ToString")
            if display is not None:
                return to_string(display)
            return value.type_names[0]
        inner = "; ".join(f"{n}={to_string(v)}" for n, v in value.items())
        return "@{" + inner + "}"
    if isinstance(value, dt.datetime):
        return value.strftime("%m/%d/%Y %H:%M:%S")
    if isinstance(value, ScriptBlockValue):
        return value.block.text
    return str(value)


def type_name_of(value: Any) -> str:
    """The .NET full type name (`.GetType().FullName`)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "System.Boolean"
    if isinstance(value, PSEnum):
        return getattr(type(value), "dotnet_name", type(value).__name__)
    if isinstance(value, int):
        return "System.Int32" if -(2**31) <= value < 2**31 else "System.Int64"
    if isinstance(value, float):
        return "System.Double"
    if isinstance(value, PSChar):
        return "System.Char"
    if isinstance(value, str):
        return "System.String"
    if isinstance(value, list | tuple):
        return "System.Object[]"
    if isinstance(value, bytes | bytearray):
        return "System.Byte[]"
    if isinstance(value, Hashtable):
        return (
            "System.Collections.Specialized.OrderedDictionary"
            if value.ordered
            else "System.Collections.Hashtable"
        )
    if isinstance(value, dict):
        return "System.Collections.Hashtable"
    if isinstance(value, PSObject):
        return (
            value.type_names[0]
            if value.type_names
            else "System.Management.Automation.PSCustomObject"
        )
    if isinstance(value, ScriptBlockValue):
        return "System.Management.Automation.ScriptBlock"
    if isinstance(value, dt.datetime):
        return "System.DateTime"
    if isinstance(value, SecureString):
        return "System.Security.SecureString"
    if isinstance(value, ErrorRecordValue):
        return "System.Management.Automation.ErrorRecord"
    if isinstance(value, ExceptionValue):
        return value.type_name
    if isinstance(value, TypeValue):
        return "System.RuntimeType"
    if isinstance(value, SwitchValue):
        return "System.Management.Automation.SwitchParameter"
    if isinstance(value, DotNetObject):
        return value.type_name
    return "System.Object"
