"""Parameter binding of evaluated command arguments against `api.Param` specs.

Mirrors PowerShell's rules that scripts rely on: case-insensitive names and aliases, unique
prefixes (`-Expose` for `-ExposeVirtualizationExtensions`), `-Name:value`, switches,
positional parameters, common parameters, and Windows' texts for every binding failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypervsim.powershell.api import CmdletSpec, ErrorCategory, ErrorRecord, Param, ParamKind
from hypervsim.powershell.values import to_bool, to_string

NO_VALUE = object()


@dataclass
class NamedArg:
    """`-Name`, `-Name value` or `-Name:value` as written (`text` includes the dash)."""

    name: str
    value: Any = NO_VALUE
    colon: bool = False
    text: str = ""
    column: int | None = None


@dataclass
class PositionalArg:
    value: Any
    column: int | None = None


ArgItem = NamedArg | PositionalArg


@dataclass
class BindResult:
    bound: dict[str, Any] = field(default_factory=dict)
    args: list[Any] = field(default_factory=list)
    common: dict[str, Any] = field(default_factory=dict)


class BindingError(Exception):
    """A ParameterBindingException; `column` points at the offending token when known."""

    def __init__(self, record: ErrorRecord, column: int | None = None) -> None:
        super().__init__(record.message)
        self.record = record
        self.column = column


COMMON_PARAMS: tuple[Param, ...] = (
    Param("ErrorAction", aliases=("ea",)),
    Param("WarningAction", aliases=("wa",)),
    Param("InformationAction", aliases=("infa",)),
    Param("Verbose", ParamKind.SWITCH, aliases=("vb",)),
    Param("Debug", ParamKind.SWITCH, aliases=("db",)),
    Param("ErrorVariable", aliases=("ev",)),
    Param("WarningVariable", aliases=("wv",)),
    Param("InformationVariable", aliases=("iv",)),
    Param("OutVariable", aliases=("ov",)),
    Param("OutBuffer", aliases=("ob",)),
    Param("PipelineVariable", aliases=("pv",)),
    Param("WhatIf", ParamKind.SWITCH, aliases=("wi",)),
    Param("Confirm", ParamKind.SWITCH, aliases=("cf",)),
    Param("AsJob", ParamKind.SWITCH),
)
COMMON_NAMES = frozenset(p.name for p in COMMON_PARAMS)
ACTION_VALUES = ("Stop", "Continue", "SilentlyContinue", "Ignore", "Inquire", "Suspend")


def command_class(spec: CmdletSpec) -> str:
    """The suffix of FullyQualifiedErrorId: the .NET class implementing the command."""
    explicit = spec.extra.get("class")
    if explicit:
        return str(explicit)
    verb_noun = spec.name.replace("-", "")
    if spec.module == "Hyper-V":
        return f"Microsoft.HyperV.PowerShell.Commands.{verb_noun}"
    if spec.module.startswith("Microsoft.PowerShell"):
        return f"Microsoft.PowerShell.Commands.{verb_noun}Command"
    if spec.module == "ServerManager":
        return f"Microsoft.Windows.ServerManager.Commands.{verb_noun}Command"
    if spec.module == "Dism":
        return f"Microsoft.Dism.Commands.{verb_noun}Command"
    return spec.name


def _binding_error(
    spec_name: str, cls: str, message: str, fqid: str, column: int | None
) -> BindingError:
    record = ErrorRecord(
        message=message,
        category=ErrorCategory.InvalidArgument,
        fqid=f"{fqid},{cls}",
        command=spec_name,
        exception_type="System.Management.Automation.ParameterBindingException",
    )
    return BindingError(record, column)


def resolve_name(name: str, params: tuple[Param, ...]) -> list[Param]:
    """Params matching `name` exactly (name or alias), else by unique prefix."""
    lowered = name.lower()
    exact = [
        p for p in params if p.name.lower() == lowered or lowered in (a.lower() for a in p.aliases)
    ]
    if exact:
        return exact[:1]
    matches = [
        p
        for p in params
        if p.name.lower().startswith(lowered)
        or any(a.lower().startswith(lowered) for a in p.aliases)
    ]
    unique: list[Param] = []
    for p in matches:
        if p not in unique:
            unique.append(p)
    return unique


def bind(spec: CmdletSpec, items: list[ArgItem], has_pipeline_input: bool) -> BindResult:
    """Bind arguments for a cmdlet; raises `BindingError` with Windows' message."""
    result = BindResult()
    cls = command_class(spec)
    if spec.kind == "Application":
        for item in items:
            if isinstance(item, NamedArg):
                result.args.append(item.text + (":" if item.colon else ""))
                if item.value is not NO_VALUE:
                    result.args.append(_native_text(item.value))
            else:
                result.args.append(_native_text(item.value))
        return result
    declared = {p.name.lower() for p in spec.params}
    all_params = spec.params + tuple(p for p in COMMON_PARAMS if p.name.lower() not in declared)
    positionals: list[PositionalArg] = []
    i = 0
    while i < len(items):
        item = items[i]
        if isinstance(item, PositionalArg):
            positionals.append(item)
            i += 1
            continue
        found = resolve_name(item.name, all_params)
        if not found:
            raise _binding_error(
                spec.name,
                cls,
                f"A parameter cannot be found that matches parameter name '{item.name}'.",
                "NamedParameterNotFound",
                item.column,
            )
        if len(found) > 1:
            options = " ".join("-" + p.name for p in found)
            raise _binding_error(
                spec.name,
                cls,
                (
                    f"Parameter cannot be processed because the parameter name '{item.name}'"
                    f" is ambiguous. Possible matches include: {options}."
                ),
                "AmbiguousParameter",
                item.column,
            )
        param = found[0]
        target = (
            result.common
            if param.name in COMMON_NAMES and param.name.lower() not in declared
            else result.bound
        )
        if param.name in target:
            raise _binding_error(
                spec.name,
                cls,
                (
                    f"Cannot bind parameter because parameter '{param.name}' is specified more"
                    f" than once. To provide multiple values to parameters that can accept"
                    f' multiple values, use the array syntax. For example, "-parameter'
                    f' value1,value2,value3".'
                ),
                "ParameterAlreadyBound",
                item.column,
            )
        if param.kind == ParamKind.SWITCH:
            target[param.name] = True if item.value is NO_VALUE else to_bool(item.value)
            i += 1
            continue
        value = item.value
        if value is NO_VALUE:
            nxt = items[i + 1] if i + 1 < len(items) else None
            if isinstance(nxt, PositionalArg):
                value = nxt.value
                i += 1
            else:
                raise _binding_error(
                    spec.name,
                    cls,
                    (
                        f"Missing an argument for parameter '{param.name}'. Specify a"
                        f" parameter of type 'System.String' and try again."
                    ),
                    "MissingArgument",
                    item.column,
                )
        target[param.name] = _shape(param, value)
        i += 1
    by_position = sorted(
        (p for p in spec.params if p.position is not None), key=lambda p: p.position or 0
    )
    for param in by_position:
        if not positionals:
            break
        if param.name in result.bound:
            continue
        item = positionals.pop(0)
        result.bound[param.name] = _shape(param, item.value)
    if positionals:
        if spec.accepts_args:
            result.args.extend(p.value for p in positionals)
        else:
            first = positionals[0]
            raise _binding_error(
                spec.name,
                cls,
                (
                    f"A positional parameter cannot be found that accepts argument"
                    f" '{to_string(first.value)}'."
                ),
                "PositionalParameterNotFound",
                first.column,
            )
    _check_actions(spec, cls, result)
    missing = [
        p.name
        for p in spec.params
        if p.mandatory
        and p.name not in result.bound
        and not (p.from_pipeline and has_pipeline_input)
    ]
    if missing:
        raise _binding_error(
            spec.name,
            cls,
            (
                f"Cannot process command because of one or more missing mandatory parameters:"
                f" {' '.join(missing)}."
            ),
            "MissingMandatoryParameter",
            None,
        )
    return result


def _native_text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(to_string(v) for v in value)
    return to_string(value)


def _shape(param: Param, value: Any) -> Any:
    if param.kind == ParamKind.LIST:
        if isinstance(value, list):
            return list(value)
        if isinstance(value, bytes | bytearray):
            return list(value)
        return [value]
    return value


def _check_actions(spec: CmdletSpec, cls: str, result: BindResult) -> None:
    """-ErrorAction/-WarningAction values must name an ActionPreference."""
    for key in ("ErrorAction", "WarningAction", "InformationAction"):
        if key not in result.common:
            continue
        text = to_string(result.common[key]).strip()
        canonical = canonical_action(text)
        if canonical is None:
            raise _binding_error(
                spec.name,
                cls,
                (
                    f"Cannot bind parameter '{key}'. Cannot convert value \"{text}\" to type"
                    f' "System.Management.Automation.ActionPreference". Error: "Unable to'
                    f" match the identifier name {text} to a valid enumerator name. Specify"
                    f" one of the following enumerator names and try"
                    f' again:\r\nSilentlyContinue, Stop, Continue, Inquire, Ignore, Suspend"'
                ),
                "CannotConvertArgumentNoMessage",
                None,
            )
        result.common[key] = canonical


def canonical_action(text: Any) -> str | None:
    """'stop' -> 'Stop'; numeric ActionPreference values too; None if not an action."""
    raw = to_string(text).strip()
    numeric = {
        "0": "SilentlyContinue",
        "1": "Stop",
        "2": "Continue",
        "3": "Inquire",
        "4": "Ignore",
        "5": "Suspend",
    }
    if raw in numeric:
        return numeric[raw]
    for action in ACTION_VALUES:
        if action.lower() == raw.lower():
            return action
    return None
