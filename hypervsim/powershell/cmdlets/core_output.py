"""Write-* and Out-* cmdlets: the output, error, warning, verbose, information and host streams."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from hypervsim.powershell import api
from hypervsim.powershell.format_output import format_objects
from hypervsim.powershell.values import ErrorRecordValue, enumerate_value, to_string

UTILITY = "Microsoft.PowerShell.Utility"
CORE = "Microsoft.PowerShell.Core"
S = api.ParamKind.SWITCH

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.powershell.evaluator import CmdletInvocation, Evaluator


def _ev(inv: api.Invocation) -> Evaluator:
    """Core cmdlets are part of the interpreter and may use its evaluator directly."""
    return cast("CmdletInvocation", inv).evaluator


def _message(inv: api.Invocation, key: str = "Message") -> str:
    parts: list[Any] = []
    if key in inv.bound:
        parts.append(inv.bound[key])
    parts.extend(inv.args)
    if not parts and inv.input:
        parts.extend(inv.input)
    return " ".join(to_string(p) for p in parts)


@api.cmdlet(
    "Write-Output",
    api.Param("InputObject", position=0),
    api.Param("NoEnumerate", S),
    accepts_args=True,
    aliases=("echo", "write"),
)
def write_output(inv: api.Invocation) -> Iterable[Any]:
    if "InputObject" not in inv.bound and not inv.args:
        return list(inv.input)
    out: list[Any] = []
    values = [inv.bound["InputObject"]] if "InputObject" in inv.bound else []
    values.extend(inv.args)
    if len(values) > 1:
        return values
    for value in values:
        if inv.bound.get("NoEnumerate"):
            out.append(value)
        else:
            out.extend(enumerate_value(value))
    return out


@api.cmdlet(
    "Write-Host",
    api.Param("Object", position=0),
    api.Param("NoNewline", S),
    api.Param("Separator"),
    api.Param("ForegroundColor"),
    api.Param("BackgroundColor"),
    accepts_args=True,
)
def write_host(inv: api.Invocation) -> None:
    values: list[Any] = []
    if "Object" in inv.bound:
        values.append(inv.bound["Object"])
    values.extend(inv.args)
    if not values:
        values = list(inv.input)
    sep = to_string(inv.bound.get("Separator", " "))
    flat: list[str] = []
    for value in values:
        flat.extend(to_string(v) for v in enumerate_value(value))
    text = sep.join(flat)
    if inv.bound.get("NoNewline"):
        _ev(inv).emit_host(text)
    else:
        inv.write_host(text)


@api.cmdlet(
    "Write-Error",
    api.Param("Message", position=0),
    api.Param("Exception"),
    api.Param("ErrorRecord"),
    api.Param("Category"),
    api.Param("ErrorId"),
    api.Param("TargetObject"),
    api.Param("CategoryTargetName"),
    api.Param("RecommendedAction"),
    accepts_args=True,
)
def write_error(inv: api.Invocation) -> None:
    given = inv.bound.get("ErrorRecord")
    if isinstance(given, ErrorRecordValue):
        inv.write_error(
            api.ErrorRecord(
                **{**given.record.__dict__, "line": None, "column": None, "script_line": None}
            )
        )
        return
    exception = inv.bound.get("Exception")
    message = (
        _message(inv)
        if "Message" in inv.bound or inv.args
        else to_string(exception)
        if exception is not None
        else ""
    )
    category = api.ErrorCategory.NotSpecified
    if "Category" in inv.bound:
        wanted = to_string(inv.bound["Category"]).lower()
        category = next(
            (c for c in api.ErrorCategory if c.value.lower() == wanted),
            api.ErrorCategory.NotSpecified,
        )
    error_id = inv.bound.get("ErrorId")
    target = inv.bound.get("TargetObject")
    inv.write_error(
        api.ErrorRecord(
            message=message,
            category=category,
            fqid=f"{to_string(error_id)}"
            if error_id
            else "Microsoft.PowerShell.Commands.WriteErrorException",
            target=None if target is None else to_string(target),
            command="Write-Error",
            exception_type=getattr(
                exception, "type_name", "Microsoft.PowerShell.Commands.WriteErrorException"
            ),
        )
    )


@api.cmdlet("Write-Warning", api.Param("Message", position=0, mandatory=True, from_pipeline=True))
def write_warning(inv: api.Invocation) -> None:
    inv.write_warning(to_string(inv.bound.get("Message")))


@api.cmdlet("Write-Verbose", api.Param("Message", position=0, mandatory=True, from_pipeline=True))
def write_verbose(inv: api.Invocation) -> None:
    inv.write_verbose(to_string(inv.bound.get("Message")))


@api.cmdlet("Write-Debug", api.Param("Message", position=0, mandatory=True, from_pipeline=True))
def write_debug(inv: api.Invocation) -> None:
    return None


@api.cmdlet(
    "Write-Information",
    api.Param("MessageData", position=0),
    api.Param("Tags", api.ParamKind.LIST, position=1),
)
def write_information(inv: api.Invocation) -> None:
    text = to_string(inv.bound.get("MessageData"))
    _ev(inv).emit_information(text)


@api.cmdlet(
    "Write-Progress",
    api.Param("Activity", position=0),
    api.Param("Status", position=1),
    api.Param("Id"),
    api.Param("PercentComplete"),
    api.Param("SecondsRemaining"),
    api.Param("CurrentOperation"),
    api.Param("ParentId"),
    api.Param("Completed", S),
)
def write_progress(inv: api.Invocation) -> None:
    """Progress records are not shown over WinRM here; accepted and ignored."""
    return None


@api.cmdlet("Out-Null", api.Param("InputObject"), module=CORE)
def out_null(inv: api.Invocation) -> None:
    return None


@api.cmdlet("Out-Default", api.Param("InputObject"), module=CORE)
def out_default(inv: api.Invocation) -> None:
    text = format_objects(
        list(inv.input) + ([inv.bound["InputObject"]] if "InputObject" in inv.bound else [])
    )
    if text:
        _ev(inv).emit_host(text)


@api.cmdlet("Out-Host", api.Param("InputObject"), api.Param("Paging", S), module=CORE)
def out_host(inv: api.Invocation) -> None:
    out_default(inv)


@api.cmdlet(
    "Out-String", api.Param("InputObject", position=0), api.Param("Stream", S), api.Param("Width")
)
def out_string(inv: api.Invocation) -> Iterable[Any]:
    objects = list(inv.input)
    if "InputObject" in inv.bound:
        objects.append(inv.bound["InputObject"])
    text = format_objects(objects)
    if inv.bound.get("Stream"):
        return [line for line in text.split("\r\n")[:-1]]
    return [text]


@api.cmdlet(
    "Format-Table",
    api.Param("Property", api.ParamKind.LIST, position=0),
    api.Param("AutoSize", S),
    api.Param("HideTableHeaders", S),
    api.Param("Wrap", S),
    aliases=("ft",),
)
def format_table_cmd(inv: api.Invocation) -> Iterable[Any]:
    from hypervsim.powershell.api import PSObject
    from hypervsim.powershell.format_output import format_table

    props = [to_string(p) for p in inv.bound.get("Property") or []]
    rows = [o for o in inv.input if isinstance(o, PSObject)]
    if not rows:
        return [format_objects(list(inv.input))]
    columns = props or rows[0].names()
    return ["\r\n".join(format_table(rows, columns))]


@api.cmdlet("Format-List", api.Param("Property", api.ParamKind.LIST, position=0), aliases=("fl",))
def format_list_cmd(inv: api.Invocation) -> Iterable[Any]:
    from hypervsim.powershell.api import PSObject
    from hypervsim.powershell.format_output import format_list

    props = [to_string(p) for p in inv.bound.get("Property") or []]
    lines: list[str] = []
    for obj in inv.input:
        if isinstance(obj, PSObject):
            columns = props if props and props != ["*"] else obj.names()
            lines.extend(format_list(obj, columns))
        else:
            lines.append(to_string(obj))
    return ["\r\n".join(lines)]
