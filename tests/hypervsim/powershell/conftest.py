"""Fixtures: a real emulated world and a PowerShell session on its physical host."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hypervsim.powershell.session import PowerShellSession, RunResult
from hypervsim.world.model import World


@pytest.fixture
def world() -> World:
    return World.create()


@pytest.fixture
def slept() -> list[float]:
    return []


@pytest.fixture
def session(world: World, slept: list[float]) -> PowerShellSession:
    return PowerShellSession(world, world.root, sleep=slept.append)


@pytest.fixture
def ps(session: PowerShellSession) -> Callable[[str], RunResult]:
    """Run a script with the world lock held, as the wire layer does."""

    def run(script: str) -> RunResult:
        with session.world.lock:
            return session.run(script)

    return run


def lines(result: RunResult) -> list[str]:
    """stdout split into lines (without the trailing empty one)."""
    text = result.stdout
    return text.split("\r\n")[:-1] if text.endswith("\r\n") else text.split("\r\n")


def errors(result: RunResult) -> list[str]:
    return [r.error.message for r in result.records if r.kind == "error" and r.error is not None]
