"""What one run of a Pulumi program has declared so far (claimed VM names, NATs per host).

Components refuse a second claim on the same thing (two components managing one VM, two
NetNats on one host) while the program declares them, so the claims must live exactly as long
as the program run: not per process (tests and automation run many programs in one) and not
per component. A run is identified by the engine connection the SDK holds for it (its
resource monitor); outside any run (plain unit tests) one shared scope is used.
"""

from __future__ import annotations

import weakref
from typing import Any

from pulumi.runtime.settings import SETTINGS

_RUNS: weakref.WeakKeyDictionary[Any, dict[str, dict[Any, Any]]] = weakref.WeakKeyDictionary()
_OUTSIDE_A_RUN: dict[str, dict[Any, Any]] = {}


def program_registry(kind: str) -> dict[Any, Any]:
    """The running program's registry of `kind` (e.g. "vm-names"), empty at its start."""
    monitor = SETTINGS.monitor
    scope = _OUTSIDE_A_RUN if monitor is None else _RUNS.setdefault(monitor, {})
    return scope.setdefault(kind, {})


__all__ = ["program_registry"]
