"""One-line messages for a wrong lab value, the same whether the lab is stack YAML or Python.

A stack file's `hyperv-lab:lab` and a Python program's component args are validated by the
same models (`components.lab_models`), so a value refused in one is refused in the other with
the same words; only the path in front differs: `hyperv-lab:lab.nested_hosts[0].cpu_count` for
the YAML, `NestedHostArgs.cpu_count` for Python. The error is a `pulumi.RunError`, which the
Python runtime prints as one line without a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pulumi
from pydantic import BaseModel, ValidationError

from components.config import (
    CREDENTIALS_KEY,
    HOSTS_KEY,
    first_error,
    model_at,
    wrong_type_hint,
)

NAME_RULE = "letters, digits, '_', '.', '-'; starts with a letter or digit; at most 48"


class LabConfigError(pulumi.RunError):
    """A wrong lab description: one line, `key: what is wrong (allowed: ...)`."""


class LabArgsError(LabConfigError, ValueError):
    """A wrong value in a component's args in a Python lab (also a ValueError, as the
    components' other refusals before anything is registered)."""


def path_of(root: str, loc: Iterable[Any]) -> str:
    """`root.key[0].field` for a pydantic error location."""
    out = root
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def one_line(exc: ValidationError, root: str, model: type[BaseModel]) -> str:
    """The first error of validating `model` as `path: what is wrong (allowed: ...)`."""
    err = first_error(exc)
    loc = tuple(err["loc"])
    kind = err["type"]
    ctx = err.get("ctx", {})
    given = err.get("input")
    where = path_of(root, loc)
    if kind == "extra_forbidden":
        at = model_at(model, loc[:-1])
        allowed = ", ".join(keys_of(at)) if at else "see the docs"
        return f"{where}: unknown key (allowed: {allowed})"
    if kind == "missing":
        return f"{where}: required"
    if kind == "literal_error":
        return f"{where}: {given!r} is not allowed (allowed: {ctx.get('expected', '')})"
    if kind == "string_pattern_mismatch":
        rule = NAME_RULE if loc and loc[-1] == "name" else f"pattern {ctx.get('pattern')}"
        return f"{where}: {given!r} is not allowed (allowed: {rule})"
    if kind in ("greater_than_equal", "less_than_equal"):
        return f"{where}: {given!r} is out of range (allowed: {_bounds(model, loc)})"
    if kind == "multiple_of":
        return f"{where}: {given!r} is not allowed (allowed: a multiple of {ctx['multiple_of']})"
    msg = str(err["msg"]).removeprefix("Value error, ")
    return f"{where}: {msg}{wrong_type_hint(err)}"


def known(names: Iterable[str]) -> str:
    """The names a value may take, sorted, for an `(allowed: ...)`."""
    return ", ".join(sorted(names)) or "none configured"


def unknown_host(name: str, hosts: Iterable[str]) -> str:
    """A host name not in `hyperv-lab:hosts`."""
    return f"unknown host '{name}' (allowed: {known(hosts)}; define it in {HOSTS_KEY})"


def unknown_credential(name: str, credentials: Iterable[str]) -> str:
    """A login name not in `hyperv-lab:credentials`."""
    return (
        f"unknown credential '{name}' (allowed: {known(credentials)}; "
        f"define it in {CREDENTIALS_KEY})"
    )


def overlaps_on_chain(network: object, other: str, other_network: object) -> str:
    """A NAT prefix overlapping `other`'s on the same nesting chain (an L1's NAT inside the
    NAT of the L0 it runs on cannot route)."""
    return (
        f"{network} overlaps {other} ({other_network}) on the same nesting chain "
        "(allowed: a prefix that does not overlap it)"
    )


def keys_of(model: type[BaseModel]) -> list[str]:
    """The keys of `model`, its own first (an entry's name, host and image before the settings
    it shares with the Python args)."""
    keys: list[str] = []
    for cls in model.__mro__:
        keys += [k for k in getattr(cls, "__annotations__", {}) if k in model.model_fields]
    return list(dict.fromkeys(keys))


def _bounds(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """The tightest bounds among the field's constraints (a lab field may narrow the
    provider's: a nested host's memory starts at 512 MB, a VM's at 32)."""
    names = [p for p in loc if isinstance(p, str)]
    at = model_at(model, loc[:-1]) if names else None
    field = at.model_fields.get(names[-1]) if at else None
    metadata = getattr(field, "metadata", None) or []
    lows = [item.ge for item in metadata if getattr(item, "ge", None) is not None]
    highs = [item.le for item in metadata if getattr(item, "le", None) is not None]
    low = max(lows) if lows else None
    high = min(highs) if highs else None
    if low is not None and high is not None:
        return f"{low} to {high}"
    return f">= {low}" if low is not None else f"<= {high}"


__all__ = [
    "NAME_RULE",
    "LabArgsError",
    "LabConfigError",
    "known",
    "one_line",
    "overlaps_on_chain",
    "path_of",
    "unknown_credential",
    "unknown_host",
]
