"""Commands that can change the world run guarded: a failure puts the world back as it was.

Before such a command the interpreter takes a `WorldSnapshot`; if the command ends in a
terminating error or an emulator bug (any exception other than a reported error), the
snapshot is restored, so no half-applied change outlives the failed command. Non-terminating
errors (one target of several refused) keep the other targets' changes, as on Windows.
Read-only commands skip the snapshot, which is why the choice is made here by name.
"""

from __future__ import annotations

from typing import Any

from hypervsim.powershell.should_process import changes_state
from hypervsim.world.model import World
from hypervsim.world.snapshot import WorldSnapshot

ALSO_CHANGING = frozenset({"out-file", "netsh"})
"""Commands that change the world without a changing verb in their name."""

SESSION_ONLY = frozenset(
    {
        "set-variable", "new-variable", "remove-variable", "clear-variable", "set-location",
        "set-strictmode", "new-object", "add-member", "start-sleep", "set-psdebug",
    }
)  # fmt: skip
"""Changing verbs that only touch the PowerShell session, never the world."""


def guards_world(command: str) -> bool:
    """Whether `command` can change the world (and so runs under a snapshot)."""
    key = command.lower()
    if key in SESSION_ONLY:
        return False
    return key in ALSO_CHANGING or changes_state(command, "Cmdlet")


def begin(computer: Any, command: str) -> WorldSnapshot | None:
    """A snapshot of the world `computer` belongs to, when `command` can change it."""
    world = getattr(computer, "_world", None)
    if not isinstance(world, World) or not guards_world(command):
        return None
    return world.snapshot()


def roll_back(snapshot: WorldSnapshot | None) -> None:
    """Undo whatever the failed command changed (nothing to do for unguarded commands)."""
    if snapshot is not None:
        snapshot.restore()
