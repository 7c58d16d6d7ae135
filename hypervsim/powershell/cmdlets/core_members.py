"""Add-Member: note properties on PSCustomObjects (and any PSObject the pipeline carries).

The three ways scripts write it: `-MemberType NoteProperty -Name n -Value v` (also
positionally), `-NotePropertyName n -NotePropertyValue v`, and `-NotePropertyMembers @{...}`.
An existing member is refused with Windows' text unless -Force; -PassThru returns the object.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hypervsim.powershell.api import (
    CmdletError,
    ErrorCategory,
    ErrorRecord,
    Invocation,
    Param,
    ParamKind,
    PSObject,
    cmdlet,
)
from hypervsim.powershell.values import to_string

UTILITY = "Microsoft.PowerShell.Utility"
CLASS = "Microsoft.PowerShell.Commands.AddMemberCommand"
S = ParamKind.SWITCH

MEMBER_TYPES = (
    "AliasProperty",
    "CodeProperty",
    "Property",
    "NoteProperty",
    "ScriptProperty",
    "Properties",
    "PropertySet",
    "Method",
    "CodeMethod",
    "ScriptMethod",
    "Methods",
    "ParameterizedProperty",
    "MemberSet",
    "Event",
    "Dynamic",
    "All",
)


def _error(message: str, fqid: str, category: ErrorCategory, exc: str, target: Any) -> CmdletError:
    record = ErrorRecord(
        message=message,
        category=category,
        fqid=f"{fqid},{CLASS}",
        target=to_string(target),
        exception_type=exc,
    )
    return CmdletError(record)


def _member_type(value: Any) -> str:
    text = to_string(value).strip()
    for name in MEMBER_TYPES:
        if name.lower() == text.lower():
            return name
    names = ", ".join(MEMBER_TYPES)
    raise CmdletError(
        ErrorRecord(
            message=(
                f"Cannot bind parameter 'MemberType'. Cannot convert value \"{text}\" to type"
                f' "System.Management.Automation.PSMemberTypes". Error: "Unable to match the'
                f" identifier name {text} to a valid enumerator name. Specify one of the"
                f' following enumerator names and try again:\r\n{names}"'
            ),
            category=ErrorCategory.InvalidArgument,
            fqid=f"CannotConvertArgumentNoMessage,{CLASS}",
            exception_type="System.Management.Automation.ParameterBindingException",
        )
    )


def _notes(b: dict[str, Any]) -> list[tuple[str, Any]]:
    """The (name, value) pairs to add, by the parameter set the bound names select."""
    members = b.get("NotePropertyMembers")
    if members is None and isinstance(b.get("MemberType"), dict):
        members = b["MemberType"]  # `Add-Member @{...}`: the hashtable is positional
    if members is not None:
        if not isinstance(members, dict):
            raise _error(
                (
                    'Cannot bind parameter "NotePropertyMembers" because the value is not a'
                    " hashtable or an ordered dictionary."
                ),
                "InvalidCastFromAnyTypeToIDictionary",
                ErrorCategory.InvalidArgument,
                "System.Management.Automation.PSArgumentException",
                members,
            )
        return [(to_string(k), v) for k, v in members.items()]
    if b.get("NotePropertyName") is not None:
        return [(to_string(b["NotePropertyName"]), b.get("NotePropertyValue"))]
    if b.get("MemberType") is None:
        raise CmdletError(
            ErrorRecord(
                message="Parameter set cannot be resolved using the specified named parameters.",
                category=ErrorCategory.InvalidArgument,
                fqid=f"AmbiguousParameterSet,{CLASS}",
                exception_type="System.Management.Automation.ParameterBindingException",
            )
        )
    kind = _member_type(b["MemberType"])
    if kind != "NoteProperty":
        raise _error(
            f"hypervsim does not support Add-Member -MemberType {kind}.",
            "NotSupportedByEmulator",
            ErrorCategory.NotImplemented,
            "System.NotSupportedException",
            kind,
        )
    if b.get("Name") is None:
        raise CmdletError(
            ErrorRecord(
                message=(
                    "Cannot process command because of one or more missing mandatory"
                    " parameters: Name."
                ),
                category=ErrorCategory.InvalidArgument,
                fqid=f"MissingMandatoryParameter,{CLASS}",
                exception_type="System.Management.Automation.ParameterBindingException",
            )
        )
    return [(to_string(b["Name"]), b.get("Value"))]


@cmdlet(
    "Add-Member",
    Param("MemberType", position=0, aliases=("Type",)),
    Param("Name", position=1),
    Param("Value", position=2),
    Param("SecondValue", position=3),
    Param("NotePropertyName"),
    Param("NotePropertyValue"),
    Param("NotePropertyMembers"),
    Param("InputObject", from_pipeline=True, mandatory=True),
    Param("TypeName"),
    Param("Force", S),
    Param("PassThru", S),
    module=UTILITY,
)
def add_member(inv: Invocation) -> Iterable[Any]:
    b = inv.bound
    target = b.get("InputObject")
    notes = _notes(b)
    if not isinstance(target, PSObject):
        raise _error(
            (
                "hypervsim supports Add-Member only on PSObjects (such as [pscustomobject]);"
                f" this input is a {type(target).__name__}."
            ),
            "NotSupportedByEmulator",
            ErrorCategory.NotImplemented,
            "System.NotSupportedException",
            target,
        )
    force = bool(b.get("Force"))
    for name, _ in notes:
        if target.has(name) and not force:
            raise _error(
                (
                    f'Cannot add a member with the name "{name}" because a member with that'
                    " name already exists. To overwrite the member anyway, add the Force"
                    " parameter to your command."
                ),
                "MemberAlreadyExists",
                ErrorCategory.InvalidOperation,
                "System.InvalidOperationException",
                target,
            )
    for name, value in notes:
        target.set(name, value)
    if b.get("TypeName") is not None:
        target.type_names.insert(0, to_string(b["TypeName"]))
    return [target] if b.get("PassThru") else []
