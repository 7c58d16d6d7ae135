"""`New-Object T args` / `[T]::new(args)` for the few .NET types lab scripts create."""

from __future__ import annotations

from typing import Any

from hypervsim.powershell.api import PSObject
from hypervsim.powershell.members import MemberError
from hypervsim.powershell.static_members import STATIC_CALL
from hypervsim.powershell.types import full_type_name
from hypervsim.powershell.values import (
    NO_SUCH_METHOD,
    ArrayList,
    ExceptionValue,
    Hashtable,
    SecureString,
    to_string,
)

CREDENTIAL_TYPE = "System.Management.Automation.PSCredential"


def make_credential(user: Any, password: Any) -> PSObject:
    """A PSCredential; the password must be a SecureString, as on Windows."""
    if not isinstance(password, SecureString):
        raise MemberError(
            'Cannot find an overload for "PSCredential" and the argument count: "2".',
            "ConstructorInvokedThrowException",
        )
    return PSObject(
        {"UserName": to_string(user), "Password": password},
        type_names=(CREDENTIAL_TYPE, "System.Object"),
    )


def construct(type_name: str, args: list[Any]) -> Any:
    full = full_type_name(type_name)
    lowered = full.lower()
    if lowered in ("system.management.automation.psobject", "psobject", "system.object"):
        return PSObject()
    if lowered == CREDENTIAL_TYPE.lower():
        if len(args) == 1 and isinstance(args[0], list):
            args = args[0]
        if len(args) != 2:
            raise MemberError(
                (
                    f'Cannot find an overload for "PSCredential" and the argument count:'
                    f' "{len(args)}".'
                ),
                "ConstructorInvokedThrowException",
            )
        return make_credential(args[0], args[1])
    if lowered in ("system.collections.arraylist",) or lowered.startswith(
        "system.collections.generic.list"
    ):
        initial = args[0] if args and isinstance(args[0], list) else []
        return ArrayList(initial, generic=lowered.startswith("system.collections.generic"))
    if lowered == "system.collections.hashtable":
        return Hashtable()
    if lowered.endswith("exception"):
        message = to_string(args[0]) if args else f"Exception of type '{full}' was thrown."
        return ExceptionValue(message, full if "." in full else "System." + full)
    if lowered == "system.security.securestring":
        return SecureString("")
    handler = STATIC_CALL.get(lowered)
    if handler is not None:
        value = handler("new", args, None)  # the types with a constructor that needs no session
        if value is not NO_SUCH_METHOD:
            return value
    raise MemberError(
        f"Cannot find type [{type_name}]: verify that the assembly containing this type is loaded.",
        "TypeNotFound",
        "InvalidType",
    )
