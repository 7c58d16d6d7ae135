"""What to tell a user whose `pulumi up` deletes something that lives inside a VM that is not
running (an L1 turned off by hand while its NAT or an L2 guest is taken out of the lab).

Nothing inside such a VM can be reached (PowerShell Direct needs it running), so the delete
fails fast and the stack keeps the object; the message says which VM to start and the command
that then finishes the delete. `pulumi up --refresh` does it in one go: the refresh reads the VM
Off, its power state starts it, and the deletes run after the updates.
"""

from __future__ import annotations

import re

from components.config import HostRef
from components.remote import GuestVmOffError

_OFF_VM = re.compile(r"^VM '(?P<name>.+?)' is (?P<state>\w+), so PowerShell Direct")
"""The sentence `invoke_in_guest.ps1` writes with the HyperVLab.GuestVmOff ErrorId."""


def _off_vm(ref: HostRef, exc: GuestVmOffError) -> tuple[str, str, str]:
    """(VM name, its state, the host it is on) of the VM on `ref`'s route that is not
    running; the route's own VM when the text does not say which."""
    found = _OFF_VM.match(exc.message)
    name = found["name"] if found else ref.vm_name or ""
    state = found["state"] if found else "not running"
    hop: HostRef | None = ref
    while hop is not None and hop.parent is not None:
        if hop.vm_name == name:
            return name, state, hop.parent.label()
        hop = hop.parent
    parent = ref.parent.label() if ref.parent is not None else ref.label()
    return name, state, parent


def delete_refusal(kind: str, what: str, ref: HostRef, exc: GuestVmOffError) -> str:
    """One line: the `kind` object `what` on the route `ref` was not deleted because a VM on
    that route is Off (or Saved, Paused), and what to do about it."""
    name, state, host = _off_vm(ref, exc)
    return (
        f"{kind} {what} on {ref.label()} was not deleted: VM '{name}' on {host} is {state}, "
        "and what lives inside a VM can only be deleted while it runs. Start it "
        f"(Start-VM -Name '{name}' on {host}) and run `pulumi up` again, or run "
        "`pulumi up --refresh`, which starts it before deleting; until then the stack keeps "
        f"the {kind}"
    )


__all__ = ["delete_refusal"]
