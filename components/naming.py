"""Names of host objects: one stack-wide prefix, one owner tag.

Two developers' stacks can target the same Hyper-V host; what keeps them apart is the prefix
(`hyperv-lab:prefix`, e.g. "dev-a-") put in front of every VM, switch and NAT name a component
creates, and the owner tag the Vm provider writes into the VM Notes so a name already owned by
another stack is refused at preview. The tag is always `<project>/<stack>/<owner id>`: the id
is `hyperv-lab:owner_id` when the stack file has one (a UUID that `scripts/new-dev-stack` makes
once per stack), else a UUID made at the stack's first `up` and kept in its state
(`StackOwnerId`). Stack names repeat across backends (two developers' `dev-a` on two state
stores), the id does not, so another backend's stack of the same name and prefix is refused
instead of taking over this one's VMs.

A stack whose VMs still carry the old tag `<project>/<stack>` (made before the id existed)
keeps managing them: those VMs are in its state, so nothing looks them up by tag, and the next
`up` re-tags them with the new owner (an in-place Notes update, shown in the preview as an
update of `owner`).
"""

from __future__ import annotations

import re
import uuid

import pulumi

from components.config import NAMESPACE, PREFIX_ENV, ConfigSources
from components.providers.stack_owner_id import StackOwnerId

PREFIX_PATTERN = re.compile(r"^[A-Za-z0-9_-]{0,32}$")


OWNER_ID_KEY = f"{NAMESPACE}:owner_id"


def lab_prefix() -> str:
    """The stack's name prefix: `hyperv-lab:prefix`, else `HYPERV_LAB_PREFIX`, else "".

    Read by `ConfigSources`, as the lab loaders read it, so the prefix that names the objects
    is the one that was checked."""
    return ConfigSources.of_program().prefix


def prefixed(name: str, prefix: str | None = None) -> str:
    """`name` as it is called on the host: `prefix` in front (None: the stack's prefix)."""
    return f"{lab_prefix() if prefix is None else prefix}{name}"


class OwnerIdError(pulumi.RunError):
    """`hyperv-lab:owner_id` is not a UUID (one line, reported without a traceback)."""


def owner_id() -> str | None:
    """The stack's owner id in canonical form, or None when `hyperv-lab:owner_id` is unset.

    Canonical (lower case, hyphenated) so that the same id written another way still names
    the same owner."""
    raw = ConfigSources.of_program().owner_id
    if raw is None or raw == "":
        return None
    try:
        return str(uuid.UUID(raw.strip()))
    except ValueError:
        raise OwnerIdError(
            f"{OWNER_ID_KEY}: {raw!r} is not a UUID (allowed: a UUID such as "
            "3f2b8c1e-0d4a-4c7e-9b1f-2a6d5e8c9f01; scripts/new-dev-stack makes one)"
        ) from None


STATE_OWNER_ID_RESOURCE = "stack-owner-id"
"""Name of the `StackOwnerId` resource of a stack without `hyperv-lab:owner_id`."""

_STATE_OWNER_IDS: dict[tuple[str, str], pulumi.Output[str]] = {}


def stack_owner() -> pulumi.Input[str]:
    """Owner tag the Vm provider writes into the VM Notes: `<project>/<stack>/<owner id>`, with
    `hyperv-lab:owner_id` when it is set (known at preview), else the id kept in the stack's
    state (one `StackOwnerId` per program run, registered on first use)."""
    base = f"{pulumi.get_project()}/{pulumi.get_stack()}"
    oid = owner_id()
    if oid:
        return f"{base}/{oid}"
    key = (pulumi.get_project(), pulumi.get_stack())
    if key not in _STATE_OWNER_IDS:
        _STATE_OWNER_IDS[key] = StackOwnerId(STATE_OWNER_ID_RESOURCE).owner_id
    return _STATE_OWNER_IDS[key].apply(lambda made: f"{base}/{made}")


__all__ = [
    "OWNER_ID_KEY",
    "PREFIX_ENV",
    "PREFIX_PATTERN",
    "STATE_OWNER_ID_RESOURCE",
    "OwnerIdError",
    "lab_prefix",
    "owner_id",
    "prefixed",
    "stack_owner",
]
