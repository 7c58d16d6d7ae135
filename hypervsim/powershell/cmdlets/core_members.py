"""Add-Member: note properties, script properties, script methods and alias properties on
PSCustomObjects (and any PSObject the pipeline carries) and on hashtables.

The three ways scripts write notes: `-MemberType NoteProperty -Name n -Value v` (also
positionally), `-NotePropertyName n -NotePropertyValue v`, and `-NotePropertyMembers @{...}`.
`-MemberType ScriptProperty -Name n -Value {getter} [-SecondValue {setter}]` and
`ScriptMethod -Value {body}` run with `$this` as the object on each access;
`AliasProperty -Name n -Value target [-SecondValue type]` reads and writes `target`.
An existing member is refused with Windows' text unless -Force; -PassThru returns the object.
Scalars (strings, numbers) are not supported by the emulator and refused as such.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hypervsim.powershell import api
from hypervsim.powershell.types import convert
from hypervsim.powershell.values import (
    Hashtable,
    ScriptBlockValue,
    collapse,
    to_string,
    type_name_of,
)

UTILITY = "Microsoft.PowerShell.Utility"
CLASS = "Microsoft.PowerShell.Commands.AddMemberCommand"
S = api.ParamKind.SWITCH

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


def _error(
    message: str, fqid: str, category: api.ErrorCategory, exc: str, target: Any
) -> api.CmdletError:
    record = api.ErrorRecord(
        message=message,
        category=category,
        fqid=f"{fqid},{CLASS}",
        target=to_string(target),
        exception_type=exc,
    )
    return api.CmdletError(record)


def _member_type(value: Any) -> str:
    text = to_string(value).strip()
    for name in MEMBER_TYPES:
        if name.lower() == text.lower():
            return name
    names = ", ".join(MEMBER_TYPES)
    raise api.CmdletError(
        api.ErrorRecord(
            message=(
                f"Cannot bind parameter 'MemberType'. Cannot convert value \"{text}\" to type"
                f' "System.Management.Automation.PSMemberTypes". Error: "Unable to match the'
                f" identifier name {text} to a valid enumerator name. Specify one of the"
                f' following enumerator names and try again:\r\n{names}"'
            ),
            category=api.ErrorCategory.InvalidArgument,
            fqid=f"CannotConvertArgumentNoMessage,{CLASS}",
            exception_type="System.Management.Automation.ParameterBindingException",
        )
    )


COMPUTED = ("ScriptProperty", "ScriptMethod", "AliasProperty")


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
                api.ErrorCategory.InvalidArgument,
                "System.Management.Automation.PSArgumentException",
                members,
            )
        return [(to_string(k), v) for k, v in members.items()]
    if b.get("NotePropertyName") is not None:
        return [(to_string(b["NotePropertyName"]), b.get("NotePropertyValue"))]
    if b.get("MemberType") is None:
        raise api.CmdletError(
            api.ErrorRecord(
                message="Parameter set cannot be resolved using the specified named parameters.",
                category=api.ErrorCategory.InvalidArgument,
                fqid=f"AmbiguousParameterSet,{CLASS}",
                exception_type="System.Management.Automation.ParameterBindingException",
            )
        )
    kind = _member_type(b["MemberType"])
    if kind not in ("NoteProperty", *COMPUTED):
        raise _error(
            f"hypervsim does not support Add-Member -MemberType {kind}.",
            "NotSupportedByEmulator",
            api.ErrorCategory.NotImplemented,
            "System.NotSupportedException",
            kind,
        )
    if b.get("Name") is None:
        raise api.CmdletError(
            api.ErrorRecord(
                message=(
                    "Cannot process command because of one or more missing mandatory"
                    " parameters: Name."
                ),
                category=api.ErrorCategory.InvalidArgument,
                fqid=f"MissingMandatoryParameter,{CLASS}",
                exception_type="System.Management.Automation.ParameterBindingException",
            )
        )
    return [(to_string(b["Name"]), b.get("Value"))]


def _script_block(value: Any) -> ScriptBlockValue:
    if isinstance(value, ScriptBlockValue):
        return value
    raise _error(
        (
            f'Cannot convert the "{to_string(value)}" value of type "{type_name_of(value)}" to'
            ' type "System.Management.Automation.ScriptBlock".'
        ),
        "InvalidCastToScriptBlock",
        api.ErrorCategory.InvalidArgument,
        "System.Management.Automation.PSInvalidCastException",
        value,
    )


def _computed(
    inv: api.Invocation, kind: str, target: api.PSObject, this: Any, value: Any, second: Any
) -> Any:
    """The member object of a ScriptProperty, ScriptMethod or AliasProperty kept in `target`
    for the object `this` (the PSObject itself, or the hashtable whose members it holds)."""

    def run(block: ScriptBlockValue, args: list[Any]) -> Any:
        return collapse(inv.invoke(block, args, variables={"this": this}))

    if kind == "ScriptMethod":
        body = _script_block(value)
        return api.ScriptMethodMember(lambda *args: run(body, list(args)))
    if kind == "ScriptProperty":
        getter = _script_block(value)
        setter = _script_block(second) if second is not None else None
        return api.LiveProperty(
            lambda: run(getter, []),
            (lambda v: run(setter, [v]) and None) if setter is not None else None,
        )
    aliased = to_string(value)
    as_type = to_string(second) if second is not None else None

    def read() -> Any:
        if isinstance(this, dict):
            got = this[aliased] if aliased in this else target.get(aliased)
        else:
            got = target.get(aliased)
        return convert(as_type, got) if as_type else got

    def write(new: Any) -> None:
        if isinstance(this, dict) and aliased in this:
            this[aliased] = new
        else:
            target.set(aliased, new)

    return api.LiveProperty(read, write, kind="AliasProperty")


def _holder(target: Any) -> api.PSObject | None:
    """Where the members go: the PSObject itself, or a hashtable's extended members."""
    if isinstance(target, api.PSObject):
        return target
    if isinstance(target, Hashtable):
        if target.extended is None:
            target.extended = api.PSObject()
        return target.extended
    return None


@api.cmdlet(
    "Add-Member",
    api.Param("MemberType", position=0, aliases=("Type",)),
    api.Param("Name", position=1),
    api.Param("Value", position=2),
    api.Param("SecondValue", position=3),
    api.Param("NotePropertyName"),
    api.Param("NotePropertyValue"),
    api.Param("NotePropertyMembers"),
    api.Param("InputObject", from_pipeline=True, mandatory=True),
    api.Param("TypeName"),
    api.Param("Force", S),
    api.Param("PassThru", S),
    module=UTILITY,
)
def add_member(inv: api.Invocation) -> Iterable[Any]:
    b = inv.bound
    target = b.get("InputObject")
    notes = _notes(b)
    holder = _holder(target)
    if holder is None:
        raise _error(
            (
                "hypervsim supports Add-Member only on PSObjects (such as [pscustomobject])"
                " and hashtables;"
                f" this input is a {type(target).__name__}."
            ),
            "NotSupportedByEmulator",
            api.ErrorCategory.NotImplemented,
            "System.NotSupportedException",
            target,
        )
    force = bool(b.get("Force"))
    for name, _ in notes:
        taken = holder.has(name) or (isinstance(target, dict) and name in target)
        if taken and not force:
            raise _error(
                (
                    f'Cannot add a member with the name "{name}" because a member with that'
                    " name already exists. To overwrite the member anyway, add the Force"
                    " parameter to your command."
                ),
                "MemberAlreadyExists",
                api.ErrorCategory.InvalidOperation,
                "System.InvalidOperationException",
                target,
            )
    kind = _member_type(b["MemberType"]) if isinstance(b.get("MemberType"), str) else ""
    for name, value in notes:
        if kind in COMPUTED:
            value = _computed(inv, kind, holder, target, value, b.get("SecondValue"))
        holder.define(name, value)
    if b.get("TypeName") is not None:
        holder.type_names.insert(0, to_string(b["TypeName"]))
    return [target] if b.get("PassThru") else []
