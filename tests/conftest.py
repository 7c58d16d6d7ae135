"""Shared fixtures: the emulated Hyper-V host (`python -m hypervsim serve`) as a subprocess.

Fixtures:
  emulator           session-scoped, HTTP + NTLM (message encryption), fresh world, temp state.
  https_emulator     session-scoped, HTTPS (self-signed CA in a temp cert dir; see .ca_path).
  emulator_factory   function-scoped factory: emulator_factory(**options) -> Emulator, each
                     with its own world/state; all of them are stopped after the test.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.emulator import REPO_ROOT, Emulator, port_outside_ephemeral_range

__all__ = ["REPO_ROOT", "Emulator", "port_outside_ephemeral_range"]

EmulatorFactory = Callable[..., Emulator]


def _new_emulator(tmp: Path, **options: Any) -> Emulator:
    https = bool(options.pop("https", False))
    faults = options.pop("faults", ())
    if isinstance(faults, str):
        faults = (faults,)
    emulator = Emulator(
        user=options.pop("user", "lab-admin"),
        password=options.pop("password", "Pw-" + secrets.token_urlsafe(12)),
        state_path=Path(options.pop("state_path", tmp / "world.json")),
        https=https,
        cert_dir=Path(options.pop("cert_dir", tmp / "certs")) if https else None,
        faults=tuple(faults),
        **options,
    )
    return emulator.start()


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """A shared HTTP emulator (NTLM with message encryption). Do not kill or restart it."""
    with tempfile.TemporaryDirectory(prefix="hypervsim-") as tmp:
        emu = _new_emulator(Path(tmp))
        yield emu
        emu.stop()


@pytest.fixture(scope="session")
def https_emulator() -> Iterator[Emulator]:
    """A shared HTTPS emulator; clients verify its certificate with `.ca_path` (ca.pem)."""
    with tempfile.TemporaryDirectory(prefix="hypervsim-tls-") as tmp:
        emu = _new_emulator(Path(tmp), https=True)
        yield emu
        emu.stop()


@pytest.fixture
def emulator_factory(tmp_path: Path) -> Iterator[EmulatorFactory]:
    """emulator_factory(https=False, cert_dir=None, allow_unencrypted=False, faults=(),
    latency_ms=0, ps_start_ms=0, seed=0, host_profile=None, executed_keep=..., user=...,
    password=...) -> a fresh Emulator (over HTTPS it reuses certificates found in cert_dir)."""
    started: list[Emulator] = []

    def factory(**options: Any) -> Emulator:
        sub = tmp_path / f"emu{len(started)}"
        sub.mkdir()
        emu = _new_emulator(sub, **options)
        started.append(emu)
        return emu

    yield factory
    for emu in started:
        emu.stop()
