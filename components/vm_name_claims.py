"""VM names a program declares per host, so two components never manage one VM.

The Vm provider adopts a VM tagged with the stack's own owner (that is how a create cut short
is finished), so two components of one stack naming the same VM on the same host would both
"own" it and fight over its settings. Hyper-V compares VM names ignoring case. Hosts are
compared by a key known when the component is declared (`host:<name>` for a configured host,
`nested:<component>` for a NestedHost object); a host given as a route or an Output is left to
the provider's owner tag. The claims last one program run (`components.program_scope`).
"""

from __future__ import annotations

from typing import Any

from components.program_scope import program_registry


def host_key(host: Any, nested_name: str | None = None) -> str | None:
    """The comparable key of a host: a configured host name, or (`nested_name`) the name of the
    NestedHost component it is; None when it is only known later."""
    if nested_name is not None:
        return f"nested:{nested_name}"
    if isinstance(host, str):
        return f"host:{host}"
    return None


def claim_vm_name(component: str, key: str | None, vm_name: str) -> None:
    """Record that `component` (e.g. "NestedHost 'a'") manages `vm_name` on the host `key`; a
    ValueError names the component that already does."""
    if key is None:
        return
    claimed = program_registry("vm-names")  # (host key, lower-cased name) -> component
    slot = (key, vm_name.lower())
    other = claimed.get(slot)
    if other is not None:
        host = key.split(":", 1)[1]
        raise ValueError(
            f"{component} vm_name: '{vm_name}' on '{host}' is already the VM of {other} "
            "(allowed: a VM name no other component uses on that host)"
        )
    claimed[slot] = component


__all__ = ["claim_vm_name", "host_key"]
