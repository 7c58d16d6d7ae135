"""Names of host objects: one stack-wide prefix, one owner tag.

Two developers' stacks can target the same Hyper-V host; what keeps them apart is the prefix
(`hyperv-lab:prefix`, e.g. "dev-a-") put in front of every VM, switch and NAT name a component
creates, and the owner tag (`<project>/<stack>`) the Vm provider writes into the VM Notes so a
name already owned by another stack is refused at preview.
"""

from __future__ import annotations

import os
import re

import pulumi

from components.config import NAMESPACE

PREFIX_PATTERN = re.compile(r"^[A-Za-z0-9_-]{0,32}$")


PREFIX_ENV = "HYPERV_LAB_PREFIX"
"""Environment fallback for `hyperv-lab:prefix`, as the config loaders read it."""


def lab_prefix() -> str:
    """The stack's name prefix: `hyperv-lab:prefix`, else `HYPERV_LAB_PREFIX`, else "".

    The lab loaders validate the same two sources in the same order, so the prefix that names
    the objects is the one that was checked (before, the variable passed validation but the
    objects were named without it)."""
    return pulumi.Config(NAMESPACE).get("prefix") or os.environ.get(PREFIX_ENV, "")


def prefixed(name: str) -> str:
    """`name` as it is called on the host: the stack prefix in front."""
    return f"{lab_prefix()}{name}"


def stack_owner() -> str:
    """Owner tag the Vm provider writes into the VM Notes: `<project>/<stack>`."""
    return f"{pulumi.get_project()}/{pulumi.get_stack()}"


__all__ = ["PREFIX_ENV", "PREFIX_PATTERN", "lab_prefix", "prefixed", "stack_owner"]
