"""-WhatIf for commands that change state: a "What if:" line and no change, as on Windows.

Windows cmdlets that change state declare SupportsShouldProcess; with -WhatIf they describe
what they would do and do nothing. The emulator's cmdlets are told apart by verb (the verbs
PowerShell's guidelines reserve for changing commands), so one check here covers every cmdlet
instead of a test in each."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypervsim.powershell.values import to_bool, to_string

CHANGING_VERBS = frozenset(
    {
        "add", "checkpoint", "clear", "connect", "copy", "disable", "disconnect", "dismount",
        "enable", "install", "mount", "move", "new", "register", "remove", "rename", "resize",
        "restart", "restore", "save", "set", "start", "stop", "uninstall", "unregister", "update",
    }
)  # fmt: skip
"""Verbs of commands that change state (Get-Verb's Common/Data/Lifecycle changing verbs)."""

TARGET_PARAMS = ("LiteralPath", "Path", "VMName", "Name", "VM", "InputObject", "FeatureName")
"""Where the target named in the "What if:" line comes from, in order."""


NO_SHOULD_PROCESS = frozenset(
    {
        "add-member", "new-object", "new-pssession", "set-location", "start-sleep",
        "enable-windowsoptionalfeature",
    }
)  # fmt: skip
"""Commands with a changing verb that Windows does not give -WhatIf/-Confirm."""

SHOULD_PROCESS_OTHERS = frozenset({"out-file"})
"""Commands without a changing verb that do support -WhatIf/-Confirm."""

NON_INTERACTIVE = (
    "Windows PowerShell is in NonInteractive mode. Read and Prompt functionality is not available."
)


def changes_state(command: str, kind: str) -> bool:
    """Whether a command supports -WhatIf/-Confirm (Windows' ShouldProcess cmdlets)."""
    lowered = command.lower()
    if kind != "Cmdlet" or "-" not in command or lowered in NO_SHOULD_PROCESS:
        return False
    return lowered in SHOULD_PROCESS_OTHERS or lowered.split("-", 1)[0] in CHANGING_VERBS


CONFIRM_IMPACT_HIGH = frozenset(
    {"remove-netipaddress", "remove-netroute", "remove-netnat", "remove-vm"}
)
"""Commands declared ConfirmImpact High: they ask unless -Confirm:$false (or
$ConfirmPreference is None), which is why scripts pass -Confirm:$false to them."""

FORCE_SKIPS_CONFIRM = frozenset({"remove-vm"})
"""High-impact commands whose -Force skips the question: Remove-VM asks 'Are you sure you
want to remove virtual machine "x"?' unless -Force (Microsoft's Remove-VM help, example 1)."""


def confirm_requested(
    command: str,
    kind: str,
    common: Mapping[str, Any],
    preference: Any = "High",
    bound: Mapping[str, Any] | None = None,
) -> bool:
    """Whether the command asks the host before changing anything: with -Confirm, or by its
    ConfirmImpact. powershell.exe over WinRS is non-interactive, so asking fails."""
    if not changes_state(command, kind):
        return False
    if "Confirm" in common:
        return to_bool(common["Confirm"])
    lowered = command.lower()
    if lowered in FORCE_SKIPS_CONFIRM and bound is not None and to_bool(bound.get("Force")):
        return False
    high = lowered in CONFIRM_IMPACT_HIGH
    return high and to_string(preference).strip().lower() in ("high", "medium", "low")


def what_if_line(
    command: str, kind: str, common: Mapping[str, Any], bound: Mapping[str, Any]
) -> str | None:
    """The line a changing command prints under -WhatIf, or None when it must run."""
    if not to_bool(common.get("WhatIf", False)) or not changes_state(command, kind):
        return None
    target = next((bound[p] for p in TARGET_PARAMS if bound.get(p) is not None), None)
    if isinstance(target, list | tuple):
        target = ", ".join(_name_of(t) for t in target)
    elif target is not None:
        target = _name_of(target)
    return f'What if: Performing the operation "{command}" on target "{target or ""}".'


def _name_of(value: Any) -> str:
    name = getattr(value, "name", None)
    return name if isinstance(name, str) else to_string(value)
