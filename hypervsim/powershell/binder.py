"""Parameter binding of evaluated command arguments against `api.Param` specs.

Mirrors PowerShell's rules that scripts rely on: case-insensitive names and aliases, unique
prefixes (`-Expose` for `-ExposeVirtualizationExtensions`), `-Name:value`, switches,
positional parameters, common parameters, and Windows' texts for every binding failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypervsim.powershell.api import CmdletSpec, ErrorCategory, ErrorRecord, Param, ParamKind
from hypervsim.powershell.should_process import changes_state
from hypervsim.powershell.types import CastError, convert_enum, full_type_name
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
    Param(
        "ErrorAction", aliases=("ea",), type_name="System.Management.Automation.ActionPreference"
    ),
    Param(
        "WarningAction", aliases=("wa",), type_name="System.Management.Automation.ActionPreference"
    ),
    Param(
        "InformationAction",
        aliases=("infa",),
        type_name="System.Management.Automation.ActionPreference",
    ),
    Param("Verbose", ParamKind.SWITCH, aliases=("vb",)),
    Param("Debug", ParamKind.SWITCH, aliases=("db",)),
    Param("ErrorVariable", aliases=("ev",)),
    Param("WarningVariable", aliases=("wv",)),
    Param("InformationVariable", aliases=("iv",)),
    Param("OutVariable", aliases=("ov",)),
    Param("OutBuffer", aliases=("ob",), type_name="System.Int32"),
    Param("PipelineVariable", aliases=("pv",)),
    Param("WhatIf", ParamKind.SWITCH, aliases=("wi",)),
    Param("Confirm", ParamKind.SWITCH, aliases=("cf",)),
    Param("AsJob", ParamKind.SWITCH),
)
COMMON_NAMES = frozenset(p.name for p in COMMON_PARAMS)
SHOULD_PROCESS_NAMES = ("WhatIf", "Confirm")
# An advanced function has the common parameters, -WhatIf/-Confirm only with
# SupportsShouldProcess, and never -AsJob (a parameter of some cmdlets, not a common one).
FUNCTION_COMMON = tuple(
    p for p in COMMON_PARAMS if p.name not in SHOULD_PROCESS_NAMES and p.name != "AsJob"
)
FUNCTION_SHOULD_PROCESS = tuple(p for p in COMMON_PARAMS if p.name in SHOULD_PROCESS_NAMES)
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


@dataclass
class Matched:
    """Named arguments matched to parameters; what is left over, in order, is positional."""

    named: dict[str, Any] = field(default_factory=dict)
    common: dict[str, Any] = field(default_factory=dict)
    positionals: list[PositionalArg] = field(default_factory=list)


def match_named(
    command: str,
    cls: str,
    params: tuple[Param, ...],
    items: list[ArgItem],
    *,
    common: tuple[Param, ...] = COMMON_PARAMS,
    loose: bool = False,
) -> Matched:
    """Match `-Name value` arguments to `params` and the `common` parameters.

    One set of rules for cmdlets and script functions: exact name or alias, else a unique
    prefix; `-Name:value`; a switch takes no value; a named parameter without `:value` takes
    the next argument. `loose` (a simple function without [CmdletBinding()] or positions)
    passes an unknown `-Name` on as positional text, as PowerShell does for `$args`.
    """
    declared = {p.name.lower() for p in params}
    extra = tuple(p for p in common if p.name.lower() not in declared)
    all_params = params + extra
    result = Matched()
    i = 0
    while i < len(items):
        item = items[i]
        if isinstance(item, PositionalArg):
            result.positionals.append(item)
            i += 1
            continue
        found = resolve_name(item.name, all_params)
        if not found and loose:
            result.positionals.append(PositionalArg(item.text, item.column))
            if item.value is not NO_VALUE:
                result.positionals.append(PositionalArg(item.value, item.column))
            i += 1
            continue
        if not found:
            raise _binding_error(
                command,
                cls,
                f"A parameter cannot be found that matches parameter name '{item.name}'.",
                "NamedParameterNotFound",
                item.column,
            )
        if len(found) > 1:
            options = " ".join("-" + p.name for p in found)
            raise _binding_error(
                command,
                cls,
                (
                    f"Parameter cannot be processed because the parameter name '{item.name}'"
                    f" is ambiguous. Possible matches include: {options}."
                ),
                "AmbiguousParameter",
                item.column,
            )
        param = found[0]
        target = result.common if param in extra else result.named
        if param.name in target:
            raise _binding_error(
                command,
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
            if not isinstance(nxt, PositionalArg):
                raise _binding_error(
                    command,
                    cls,
                    (
                        f"Missing an argument for parameter '{param.name}'. Specify a"
                        f" parameter of type '{param.type_name}' and try again."
                    ),
                    "MissingArgument",
                    item.column,
                )
            value = nxt.value
            i += 1
        target[param.name] = _shape(param, value, command, cls)
        i += 1
    return result


_SWITCH_TYPES = ("switch", "system.management.automation.switchparameter")


def script_params(block: Any) -> tuple[Param, ...]:
    """A script block's `param()` declarations as binder parameters (an `ast.ScriptBlock`)."""
    return tuple(
        Param(
            decl.name,
            ParamKind.SWITCH
            if (decl.type_name or "").lower() in _SWITCH_TYPES
            else ParamKind.VALUE,
            aliases=decl.aliases,
            position=decl.position,
            mandatory=decl.mandatory,
            from_pipeline=decl.from_pipeline,
            type_name=full_type_name(decl.type_name) if decl.type_name else "System.Object",
        )
        for decl in block.params
    )


def missing_mandatory(command: str, cls: str, names: list[str]) -> BindingError:
    return _binding_error(
        command,
        cls,
        (
            f"Cannot process command because of one or more missing mandatory parameters:"
            f" {' '.join(names)}."
        ),
        "MissingMandatoryParameter",
        None,
    )


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
    common = (
        COMMON_PARAMS
        if changes_state(spec.name, spec.kind)
        else tuple(p for p in COMMON_PARAMS if p.name not in SHOULD_PROCESS_NAMES)
    )
    matched = match_named(spec.name, cls, spec.params, items, common=common)
    result.bound, result.common = matched.named, matched.common
    positionals = matched.positionals
    by_position = sorted(
        (p for p in spec.params if p.position is not None), key=lambda p: p.position or 0
    )
    for param in by_position:
        if not positionals:
            break
        if param.name in result.bound:
            continue
        item = positionals.pop(0)
        result.bound[param.name] = _shape(param, item.value, spec.name, cls)
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
    check_actions(spec.name, cls, result.common)
    missing = [
        p.name
        for p in spec.params
        if p.mandatory
        and p.name not in result.bound
        and not (p.from_pipeline and has_pipeline_input)
    ]
    if missing:
        raise missing_mandatory(spec.name, cls, missing)
    return result


def _native_text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(to_string(v) for v in value)
    return to_string(value)


def _shape(param: Param, value: Any, command: str = "", cls: str = "") -> Any:
    if param.enum is not None:
        try:
            if isinstance(value, list) and param.kind == ParamKind.LIST:
                return [convert_enum(param.enum, v) for v in value]
            return convert_enum(param.enum, value)
        except CastError as exc:
            raise _binding_error(
                command,
                cls,
                f"Cannot bind parameter '{param.name}'. {exc}",
                "CannotConvertArgumentNoMessage",
                None,
            ) from None
    if param.kind == ParamKind.LIST:
        if isinstance(value, list):
            return list(value)
        if isinstance(value, bytes | bytearray):
            return list(value)
        return [value]
    return value


def check_actions(command: str, cls: str, common: dict[str, Any]) -> None:
    """-ErrorAction/-WarningAction values must name an ActionPreference."""
    for key in ("ErrorAction", "WarningAction", "InformationAction"):
        if key not in common:
            continue
        text = to_string(common[key]).strip()
        canonical = canonical_action(text)
        if canonical is None:
            raise _binding_error(
                command,
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
        common[key] = canonical


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
