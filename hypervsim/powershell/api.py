"""The contract between the PowerShell interpreter and the modules that implement cmdlets.

Cmdlet modules (core ones in `powershell/cmdlets/core*.py`, Hyper-V / NetNat / TCP-IP /
feature ones in `powershell/cmdlets/<noun>.py`) import only this module and `hypervsim.world`.
The interpreter imports every module of `powershell/cmdlets/` once so their `@cmdlet`
decorators register them.

Values that flow through pipelines are plain Python values (str, int, float, bool, None,
list, dict for hashtables) or `PSObject` (ordered properties + type names) or `PSEnum`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.world.model import Computer


class PSEnum(enum.IntEnum):
    """Base for .NET enums: prints as its name, ConvertTo-Json writes the integer (as Windows)."""

    def __str__(self) -> str:
        return self.name


ENUM_TYPES: dict[str, type[PSEnum]] = {}
"""Lower-cased .NET full name -> enum class, for `[Full.Name]::Member`, casts and binding."""

_E = TypeVar("_E", bound=type[PSEnum])


def dotnet_enum(full_name: str) -> Callable[[_E], _E]:
    """Give a PSEnum its .NET type name (GetType().FullName) and make the type known by it."""

    def register(cls: _E) -> _E:
        cls.dotnet_name = full_name  # type: ignore[attr-defined]
        ENUM_TYPES[full_name.lower()] = cls
        return cls

    return register


class ReadOnlyMemberError(Exception):
    """A computed property without a setter was assigned (PowerShell refuses it)."""


class LiveProperty:
    """A computed member of a PSObject, evaluated on each access as PowerShell does:
    Add-Member's ScriptProperty (getter/setter script blocks) and AliasProperty."""

    __slots__ = ("getter", "kind", "setter")

    def __init__(
        self,
        getter: Callable[[], Any],
        setter: Callable[[Any], None] | None = None,
        kind: str = "ScriptProperty",
    ) -> None:
        self.getter = getter
        self.setter = setter
        self.kind = kind

    def assign(self, name: str, value: Any) -> None:
        if self.setter is None:
            raise ReadOnlyMemberError(f'Set accessor for property "{name}" is unavailable.')
        self.setter(value)


class ScriptMethodMember:
    """A method Add-Member gave a PSObject (ScriptMethod): callable, and no property, so
    property views (Format-*, ConvertTo-Json, PSObject.Properties) leave it out."""

    __slots__ = ("call",)

    def __init__(self, call: Callable[..., Any]) -> None:
        self.call = call

    def __call__(self, *args: Any) -> Any:
        return self.call(*args)


class PSObject:
    """A PowerShell object: ordered, case-insensitive properties plus .NET type names.

    `type_names[0]` is the most specific type, e.g. "Microsoft.HyperV.PowerShell.VirtualMachine".
    `ref` may carry a reference to the world object it describes (e.g. the VM) so that a
    cmdlet receiving it from the pipeline can find the live object; it is never serialized.
    """

    __slots__ = ("_props", "ref", "type_names")

    def __init__(
        self,
        props: dict[str, Any] | None = None,
        type_names: Iterable[str] = ("System.Management.Automation.PSCustomObject",),
        ref: Any = None,
    ) -> None:
        self._props: dict[str, tuple[str, Any]] = {}
        for k, v in (props or {}).items():
            self.set(k, v)
        self.type_names = list(type_names)
        self.ref = ref

    def get(self, name: str, default: Any = None) -> Any:
        hit = self._props.get(name.lower())
        if hit is None:
            return default
        value = hit[1]
        return value.getter() if type(value) is LiveProperty else value

    def has(self, name: str) -> bool:
        return name.lower() in self._props

    def set(self, name: str, value: Any) -> None:
        """Set a property; a computed one (ScriptProperty/AliasProperty) runs its setter,
        unless `value` is itself a computed member (Add-Member defining it)."""
        key = name.lower()
        hit = self._props.get(key)
        if hit is not None and type(hit[1]) is LiveProperty and type(value) is not LiveProperty:
            hit[1].assign(hit[0], value)
            return
        original = hit[0] if hit is not None else name
        self._props[key] = (original, value)

    def define(self, name: str, value: Any) -> None:
        """Add or replace a member as such (Add-Member -Force), never through a setter."""
        key = name.lower()
        self._props.pop(key, None)
        self._props[key] = (name, value)

    def member_kind(self, name: str) -> str | None:
        """The MemberType of a computed member (None for a plain property)."""
        hit = self._props.get(name.lower())
        return hit[1].kind if hit is not None and type(hit[1]) is LiveProperty else None

    def items(self) -> Iterator[tuple[str, Any]]:
        """(name as first written, value) in insertion order (computed members evaluated)."""
        return iter(
            [
                (n, v.getter() if type(v) is LiveProperty else v)
                for n, v in self._props.values()
                if type(v) is not ScriptMethodMember
            ]
        )

    def names(self) -> list[str]:
        return [n for n, v in self._props.values() if type(v) is not ScriptMethodMember]

    def __repr__(self) -> str:
        inner = ", ".join(f"{n}={v!r}" for n, v in self.items())
        return f"PSObject[{self.type_names[0]}]({inner})"


class ErrorCategory(enum.Enum):
    """System.Management.Automation.ErrorCategory names used in error records."""

    NotSpecified = "NotSpecified"
    InvalidArgument = "InvalidArgument"
    InvalidOperation = "InvalidOperation"
    ObjectNotFound = "ObjectNotFound"
    ResourceExists = "ResourceExists"
    ResourceUnavailable = "ResourceUnavailable"
    NotImplemented = "NotImplemented"
    NotInstalled = "NotInstalled"
    PermissionDenied = "PermissionDenied"
    InvalidData = "InvalidData"
    ParserError = "ParserError"
    OperationStopped = "OperationStopped"
    SecurityError = "SecurityError"
    DeviceError = "DeviceError"
    ConnectionError = "ConnectionError"
    OpenError = "OpenError"
    InvalidType = "InvalidType"
    InvalidResult = "InvalidResult"
    LimitsExceeded = "LimitsExceeded"
    ResourceBusy = "ResourceBusy"  # added by the world engineer (Remove-VMSwitch in use)
    WriteError = "WriteError"  # added by the world engineer (Remove-Item on a disk in use)
    ProtocolError = "ProtocolError"
    MetadataError = "MetadataError"


@dataclass
class ErrorRecord:
    """What Windows would put in $Error / on stderr.

    `message` is the exact Windows text; `fqid` the FullyQualifiedErrorId, e.g.
    "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.SetVMProcessor"; `command` the
    cmdlet name shown in "At line:..." / "+ CategoryInfo" lines; `exception_type` the .NET type
    a catch block would see (`$_.Exception.GetType().FullName`).
    """

    message: str
    category: ErrorCategory = ErrorCategory.NotSpecified
    fqid: str = "RuntimeException"
    target: str | None = None
    command: str | None = None
    exception_type: str = "System.Management.Automation.RuntimeException"
    line: int | None = None
    column: int | None = None
    script_line: str | None = None
    # Length of the source extent to underline with ~~~ (None: to the end of the line).
    extent: int | None = None


class DotNetCallError(Exception):
    """A method of a .NET/COM object a module implements (a PSObject's callable member) threw:
    the interpreter reports it as PowerShell does, 'Exception calling "M" with "n" argument(s)'."""

    def __init__(self, message: str, exception_type: str) -> None:
        super().__init__(message)
        self.message = message
        self.exception_type = exception_type


class CmdletError(Exception):
    """Raised by a cmdlet for an error record.

    Cmdlets report *non-terminating* errors with `inv.write_error(record)` and keep going; they
    raise `CmdletError(record, terminating=True)` for terminating ones. The interpreter applies
    -ErrorAction / $ErrorActionPreference to both exactly as PowerShell does.
    """

    def __init__(self, record: ErrorRecord, terminating: bool = True) -> None:
        super().__init__(record.message)
        self.record = record
        self.terminating = terminating


class ParamKind(enum.Enum):
    SWITCH = "switch"  # -Force, -Force:$false
    VALUE = "value"  # -Name x
    LIST = "list"  # -Name a,b (value coerced to a list)


@dataclass(frozen=True)
class Param:
    """One cmdlet parameter. Prefix matching of names (-Expose...) is done by the binder."""

    name: str
    kind: ParamKind = ParamKind.VALUE
    aliases: tuple[str, ...] = ()
    position: int | None = None
    mandatory: bool = False
    # Pipeline objects bind here (whole object) when no explicit value was given.
    from_pipeline: bool = False
    # The .NET type binding errors name ("Specify a parameter of type '...'").
    type_name: str = "System.String"
    # An enum parameter: names (any case) or integers convert; others fail binding.
    enum: type[PSEnum] | None = None


class ScriptBlockLike(Protocol):
    """What a `{ ... }` value is at run time; call it through `Invocation.invoke`."""


class Invocation(Protocol):
    """What a cmdlet sees when it runs. Implemented by the interpreter."""

    name: str  # cmdlet name as invoked
    bound: dict[str, Any]  # canonical parameter name -> value (switches -> bool)
    args: list[Any]  # unbound positional args (only for cmdlets declaring accepts_args)
    input: list[Any]  # all pipeline input objects, in order
    computer: Computer  # the machine this script runs on (L0 host, or a VM's guest OS)

    def write_error(self, record: ErrorRecord) -> None: ...
    def write_warning(self, text: str) -> None: ...
    def write_verbose(self, text: str) -> None: ...
    def write_host(self, text: str) -> None: ...

    def invoke(
        self,
        block: ScriptBlockLike,
        args: list[Any] | None = None,
        *,
        dollar_underscore: Any = None,
        computer: Computer | None = None,
        variables: dict[str, Any] | None = None,
    ) -> list[Any]:
        """Run a script block in a child scope and return its output.

        `computer` switches the machine the block runs on (PowerShell Direct into a VM);
        the block then sees none of the caller's variables except `variables` and `$using:`.
        """
        ...

    def sleep(self, seconds: float) -> None:
        """Sleep without holding the world lock (Start-Sleep, waits)."""
        ...


CmdletFunc = Callable[[Invocation], Iterable[Any] | None]


@dataclass
class CmdletSpec:
    name: str  # canonical, e.g. "Get-VM"
    func: CmdletFunc
    params: tuple[Param, ...] = ()
    module: str = "Microsoft.PowerShell.Utility"  # allows `Hyper-V\Get-VM`
    # Accept extra positional arguments in `inv.args` (e.g. external commands like netsh).
    accepts_args: bool = False
    # Common parameters (-ErrorAction, -WarningAction, -Verbose, -Confirm, -WhatIf, -AsJob...)
    # are always accepted and handled by the interpreter.
    aliases: tuple[str, ...] = ()
    kind: str = "Cmdlet"  # "Cmdlet" | "Application" (netsh.exe, ping.exe) | "Function"
    extra: dict[str, Any] = field(default_factory=dict)
    # Whether the command exists on a given machine (e.g. ServerManager's cmdlets only on
    # Windows Server); None = everywhere. Elsewhere it is "not recognized", as on Windows.
    available: Callable[[Any], bool] | None = None

    def available_on(self, computer: Any) -> bool:
        if computer is None:
            return True
        module_check = MODULE_AVAILABILITY.get(self.module.lower())
        if module_check is not None and not module_check(computer):
            return False
        return self.available is None or bool(self.available(computer))


MODULE_AVAILABILITY: dict[str, Callable[[Any], bool]] = {}
"""Module name (lower case) -> whether that module is installed on a machine."""


def module_available_when(module: str, check: Callable[[Any], bool]) -> None:
    """Declare when a whole module's commands exist (e.g. Hyper-V's only where it is installed)."""
    MODULE_AVAILABILITY[module.lower()] = check


REGISTRY: dict[str, CmdletSpec] = {}


def cmdlet(
    name: str,
    *params: Param,
    module: str = "Microsoft.PowerShell.Utility",
    accepts_args: bool = False,
    aliases: tuple[str, ...] = (),
    kind: str = "Cmdlet",
    available: Callable[[Any], bool] | None = None,
) -> Callable[[CmdletFunc], CmdletFunc]:
    """Register a cmdlet (lookup is case-insensitive, by name, module-qualified name or alias)."""

    def register(func: CmdletFunc) -> CmdletFunc:
        spec = CmdletSpec(
            name, func, params, module, accepts_args, aliases, kind, available=available
        )
        for key in (name, f"{module}\\{name}", *aliases):
            REGISTRY[key.lower()] = spec
        return func

    return register


def lookup(name: str, computer: Any = None) -> CmdletSpec | None:
    """The command called `name`, or None if unknown (or absent from `computer`)."""
    spec = REGISTRY.get(name.lower())
    if spec is None or not spec.available_on(computer):
        return None
    return spec
