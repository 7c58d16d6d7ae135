"""VM names a program declares per host, so two components never manage one VM.

The Vm provider adopts a VM tagged with the stack's own owner (that is how a create cut short
is finished), so two components of one stack naming the same VM on the same host would both
"own" it and fight over its settings. Hyper-V compares VM names case-insensitively. Hosts are
compared by a key known at construction time (`host:<name>` for a configured host,
`nested:<component>` for a NestedHost); a host only known later (an Output) is not checked.
"""

from __future__ import annotations

import pulumi

# (project, stack, host key, folded VM name) -> the component that declared it
_CLAIMED: dict[tuple[str, str, str, str], str] = {}


def claim_vm_name(component: str, host_key: str | None, vm_name: str) -> None:
    """Record that `component` (e.g. "NestedHost 'a'") manages `vm_name` on the host; a
    ValueError names the other component if one already does."""
    if host_key is None:
        return
    slot = (pulumi.get_project(), pulumi.get_stack(), host_key, vm_name.casefold())
    other = _CLAIMED.get(slot)
    if other is not None and other != component:
        host = host_key.split(":", 1)[1]
        raise ValueError(
            f"{component} vm_name: '{vm_name}' on '{host}' is already the VM of {other} "
            "(allowed: a VM name no other component uses on that host)"
        )
    _CLAIMED[slot] = component


__all__ = ["claim_vm_name"]
