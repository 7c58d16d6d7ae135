"""Fixtures for end-to-end tests that drive the real `pulumi` CLI built by `scripts/setup`.

Each test gets its own copy of a Pulumi program and its own file backend under `tmp_path`, so
tests never share state with each other or with the developer's `.pulumi-state/`; the
projects of one test share a state home (`XDG_STATE_HOME`, where the providers keep their
pending-create journal), as programs run on one machine do, but not the developer's. The
environment comes from `.tools/env.sh` (the single source of truth for how pulumi runs here),
with the backend, a test passphrase, and non-interactive output on top.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.emulator import EmulatorProcess
from harness.stack import (
    ENV_SCRIPT,
    PROJECT_PROGRAM_FILES,
    REPO_ROOT,
    EngineNotSetUpError,
    PulumiCommandError,
    PulumiProject,
    PulumiResult,
    read_engine_env,
)

__all__ = [
    "ENV_SCRIPT",
    "PROJECT_PROGRAM_FILES",
    "REPO_ROOT",
    "EmulatorProcess",
    "PulumiCommandError",
    "PulumiProject",
    "PulumiResult",
]

ProjectFactory = Callable[..., PulumiProject]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Passphrase for the per-test stacks' secrets provider: throwaway, tests only.
TEST_PASSPHRASE = "e2e-only-passphrase"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/e2e is an e2e test."""
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def engine_env() -> dict[str, str]:
    """The process environment after sourcing `.tools/env.sh`."""
    try:
        return read_engine_env()
    except EngineNotSetUpError as exc:
        pytest.fail(str(exc))


@pytest.fixture
def pulumi_project(tmp_path: Path, engine_env: dict[str, str]) -> Iterator[ProjectFactory]:
    """Factory: `pulumi_project(program_dir=REPO_ROOT, stack="e2e")` copies the program into
    tmp_path, points it at a fresh file backend there, and creates and selects the stack."""
    created: list[PulumiProject] = []

    def make(
        program: Path = REPO_ROOT,
        *,
        stack: str = "e2e",
        name: str = "project",
        only: tuple[str, ...] | None = None,
        backend_url: str | None = None,
        init: bool = True,
    ) -> PulumiProject:
        """Copy `program` (by default the project's own program: just `PROJECT_PROGRAM_FILES`,
        or the files named in `only`) and create the stack `stack` on a fresh backend (or on
        `backend_url`, a shared one); `init=False` leaves the `stack init` to the test."""
        directory = tmp_path / name
        if only is None and program == REPO_ROOT:
            only = PROJECT_PROGRAM_FILES
        if only is None:
            shutil.copytree(program, directory, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            directory.mkdir()
            for entry in only:
                source = program / entry
                if source.is_dir():
                    shutil.copytree(source, directory / entry)
                else:
                    shutil.copy2(source, directory / entry)
        backend_dir = tmp_path / f"{name}-backend"
        backend_dir.mkdir()
        env = {
            **engine_env,
            "PULUMI_BACKEND_URL": backend_url or f"file://{backend_dir}",
            "PULUMI_CONFIG_PASSPHRASE": TEST_PASSPHRASE,
            "XDG_STATE_HOME": str(tmp_path / "state-home"),
            "PYTHONPATH": os.pathsep.join(
                [str(REPO_ROOT), *filter(None, [engine_env.get("PYTHONPATH", "")])]
            ),
        }
        project = PulumiProject(directory=directory, backend_dir=backend_dir, env=env)
        if init:
            project.pulumi("stack", "init", stack)
        created.append(project)
        return project

    yield make


@pytest.fixture
def smoke_program() -> Path:
    """The tiny record-provider program used by the engine smoke test."""
    return FIXTURES / "smoke_program"


EmulatorFactory = Callable[..., EmulatorProcess]


@pytest.fixture
def hypervsim_server(tmp_path: Path, engine_env: dict[str, str]) -> Iterator[EmulatorFactory]:
    """Factory: `hypervsim_server(*extra_serve_args)` starts an emulator with its own state
    file under tmp_path; every emulator started is stopped at the end of the test."""
    started: list[EmulatorProcess] = []

    def make(*extra_args: str, name: str = "hypervsim") -> EmulatorProcess:
        emulator = EmulatorProcess(
            state_path=tmp_path / f"{name}-state.json", env=engine_env, extra_args=extra_args
        )
        started.append(emulator)
        emulator.start()
        return emulator

    yield make
    for emulator in started:
        emulator.kill()
