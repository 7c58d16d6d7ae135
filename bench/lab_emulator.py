"""An emulated host for a benchmark run, and the stack config the providers get for it.

Uses the shared launcher `harness.emulator.Emulator` so benchmarks start the server exactly
as the tests do; `StackConfig` mimics what `ConfigureRequest.config` offers.
"""

from __future__ import annotations

import json
import secrets
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from pulumi.dynamic import ConfigureRequest  # noqa: E402

from components.config import HOSTS_KEY  # noqa: E402
from components.providers.base import HostBoundProvider  # noqa: E402
from harness.emulator import Emulator  # noqa: E402


class StackConfig:
    """The `.get(key)` view of stack config a provider's `configure()` reads."""

    def __init__(self, values: dict[str, str]) -> None:
        self._values = values

    def get(self, key: str) -> str | None:
        return self._values.get(key)

    def require(self, key: str) -> str:
        return self._values[key]


def stack_config_for(emulator: Emulator, **host_options: Any) -> StackConfig:
    """Config with one host "l0" = `emulator` (as the engine passes `hyperv-lab:hosts`)."""
    host = {"endpoint": emulator.endpoint, "user": emulator.user, "password": emulator.password}
    host.update(host_options)
    return StackConfig({HOSTS_KEY: json.dumps({"l0": host})})


def configured(cls: type[HostBoundProvider], config: StackConfig) -> HostBoundProvider:
    """A provider `configure()`d the way the Pulumi engine does it."""
    provider = cls()
    provider.configure(ConfigureRequest(config))  # type: ignore[arg-type]
    return provider


@contextmanager
def running_emulator(**options: Any) -> Iterator[Emulator]:
    """`python -m hypervsim serve` with `options` (latency_ms, ps_start_ms, faults...)."""
    with tempfile.TemporaryDirectory(prefix="hypervsim-bench-") as tmp:
        faults = options.pop("faults", ())
        emulator = Emulator(
            user="lab-admin",
            password="Pw-" + secrets.token_urlsafe(12),
            state_path=Path(tmp) / "world.json",
            faults=tuple(faults),
            **options,
        )
        emulator.start()
        try:
            yield emulator
        finally:
            emulator.stop()
