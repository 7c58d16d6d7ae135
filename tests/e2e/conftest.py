"""Fixtures for end-to-end tests that drive the real `pulumi` CLI built by `scripts/setup`.

Each test gets its own copy of a Pulumi program and its own file backend under `tmp_path`, so
tests never share state with each other or with the developer's `.pulumi-state/`. The
environment comes from `.tools/env.sh` (the single source of truth for how pulumi runs here),
with the backend, a test passphrase, and non-interactive output on top.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ENV_SCRIPT = REPO_ROOT / ".tools" / "env.sh"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# What makes up the project's own Pulumi program; its packages come in through PYTHONPATH.
PROJECT_PROGRAM_FILES = ("Pulumi.yaml", "__main__.py")
# Passphrase for the per-test stacks' secrets provider: throwaway, tests only.
TEST_PASSPHRASE = "e2e-only-passphrase"
# Throwaway WinRM credentials for the per-test emulators.
EMULATOR_USER = "Administrator"
EMULATOR_PASSWORD = "E2e-only-Passw0rd!"
_LISTENING = re.compile(r"hypervsim listening on (?P<url>http\S+?:(?P<port>\d+)/wsman)")
_STOP_ATTEMPTS = 60
_STOP_RETRY_SECONDS = 0.5
# Generous bound for one CLI command on a loaded 2-core machine; a hang fails the test.
DEFAULT_TIMEOUT_SECONDS = 300.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/e2e is an e2e test."""
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def engine_env() -> dict[str, str]:
    """The process environment after sourcing `.tools/env.sh`."""
    if not ENV_SCRIPT.is_file() or not (REPO_ROOT / ".tools" / "bin" / "pulumi").is_file():
        pytest.fail("the Pulumi engine is not set up: run ./scripts/setup first")
    dumped = subprocess.run(
        ["bash", "-c", f'. "{ENV_SCRIPT}" && env -0'],
        check=True,
        capture_output=True,
        timeout=30,
    ).stdout.decode()
    env = dict(entry.split("=", 1) for entry in dumped.split("\0") if "=" in entry)
    for leaked in ("PULUMI_CONFIG_PASSPHRASE_FILE", "PULUMI_ACCESS_TOKEN", "PULUMI_STACK"):
        env.pop(leaked, None)
    return env


@dataclass
class PulumiResult:
    """One finished CLI command."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        """stdout and stderr together, for assertions about what a user would see."""
        return self.stdout + self.stderr


class PulumiCommandError(AssertionError):
    """A CLI command exited non-zero when it was expected to succeed."""


@dataclass
class PulumiProject:
    """A Pulumi program in a temp dir with its own file backend; `pulumi(...)` runs the CLI."""

    directory: Path
    backend_dir: Path
    env: dict[str, str]
    history: list[PulumiResult] = field(default_factory=list)

    def pulumi(
        self,
        *args: str,
        check: bool = True,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        input_text: str | None = None,
    ) -> PulumiResult:
        """Run `pulumi ARGS --non-interactive` in the project; raise on failure if `check`."""
        argv = ("pulumi", *args, "--non-interactive", "--color", "never")
        completed = subprocess.run(
            argv,
            cwd=self.directory,
            env=self.env,
            input=input_text,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        result = PulumiResult(argv, completed.returncode, completed.stdout, completed.stderr)
        self.history.append(result)
        if check and completed.returncode != 0:
            raise PulumiCommandError(
                f"{' '.join(argv)} exited {completed.returncode}\n"
                f"--- stdout ---\n{completed.stdout}\n--- stderr ---\n{completed.stderr}"
            )
        return result

    def set_config(self, key: str, value: str, *, secret: bool = False) -> None:
        """`pulumi config set` (value on stdin for secrets, so it never appears in argv)."""
        if secret:
            self.pulumi("config", "set", "--secret", key, input_text=value)
        else:
            self.pulumi("config", "set", key, value)

    def state_text(self) -> str:
        """Every file the backend wrote, concatenated: for 'no plain-text secret' checks."""
        return "\n".join(
            path.read_text(errors="replace")
            for path in sorted(self.backend_dir.rglob("*"))
            if path.is_file()
        )


ProjectFactory = Callable[..., PulumiProject]


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


@dataclass
class EmulatorProcess:
    """A `python -m hypervsim serve` child with its state file; restartable on the same port."""

    state_path: Path
    env: dict[str, str]
    extra_args: tuple[str, ...] = ()
    user: str = EMULATOR_USER
    password: str = EMULATOR_PASSWORD
    port: int = 0
    url: str = ""
    process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        """Start serving (on a free port the first time, the same port after a restart)."""
        argv = [
            sys.executable, "-m", "hypervsim", "serve",
            "--port", str(self.port), "--user", self.user,
            "--state", str(self.state_path), *self.extra_args,
        ]  # fmt: skip
        log_path = self.state_path.with_suffix(".log")
        with log_path.open("a") as log:
            # The password travels in the environment, never on a command line (`ps`).
            env = {**self.env, "HYPERVSIM_PASSWORD": self.password}
            self.process = subprocess.Popen(
                argv, env=env, stdout=subprocess.PIPE, stderr=log, text=True
            )
        assert self.process.stdout is not None
        seen: list[str] = []
        for line in self.process.stdout:  # ends at EOF if the emulator exits
            seen.append(line)
            match = _LISTENING.search(line)
            if match is not None:
                self.url = match["url"]
                self.port = int(match["port"])
                _drain_in_background(self.process.stdout, log_path)
                return
        self.kill()
        raise AssertionError(
            f"hypervsim did not start:\n{''.join(seen)}{log_path.read_text(errors='replace')}"
        )

    def stop(self) -> None:
        """Graceful stop (SIGINT), so the emulator saves its world.

        SIGINT is repeated until the process ends: a process-wide signal may land on a worker
        thread while the main thread sleeps in an untimed wait, which then never wakes."""
        if self.process is not None:
            for _ in range(_STOP_ATTEMPTS):
                if self.process.poll() is not None:
                    break
                self.process.send_signal(signal.SIGINT)
                try:
                    self.process.wait(timeout=_STOP_RETRY_SECONDS)
                except subprocess.TimeoutExpired:
                    continue
            else:
                self.kill()
                raise AssertionError("hypervsim did not stop after repeated SIGINT")
        self.process = None

    def kill(self) -> None:
        """Abrupt stop (SIGKILL), as in a crash or power loss."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        self.process = None

    def show(self) -> str:
        """`python -m hypervsim show --state FILE` (stop the server first for a settled view)."""
        return subprocess.run(
            [sys.executable, "-m", "hypervsim", "show", "--state", str(self.state_path)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout


def _drain_in_background(stream: IO[str], log_path: Path) -> None:
    """Keep reading the emulator's stdout into its log, so a chatty emulator never blocks."""

    def drain() -> None:
        with log_path.open("a") as log:
            for line in stream:
                log.write(line)

    threading.Thread(target=drain, name="hypervsim-stdout", daemon=True).start()


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
