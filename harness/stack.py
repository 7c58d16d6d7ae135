"""A stack of the project's own Pulumi program in a temp dir, run with the real CLI, with a
lab written into its stack file: shared by the e2e tests and the benchmarks (which must not
import test fixtures).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from harness.emulator import EmulatorProcess

REPO_ROOT = Path(__file__).resolve().parent.parent
ENV_SCRIPT = REPO_ROOT / ".tools" / "env.sh"
# What makes up the project's own Pulumi program; its packages come in through PYTHONPATH.
PROJECT_PROGRAM_FILES = ("Pulumi.yaml", "__main__.py")
# Generous bound for one CLI command on a loaded 2-core machine; a hang fails the test.
DEFAULT_TIMEOUT_SECONDS = 300.0


class EngineNotSetUpError(RuntimeError):
    """`./scripts/setup` has not been run: there is no Pulumi CLI to drive."""


def read_engine_env() -> dict[str, str]:
    """The process environment after sourcing `.tools/env.sh` (how pulumi runs here), without
    what would leak a developer's own backend or stack into a temp project."""
    if not ENV_SCRIPT.is_file() or not (REPO_ROOT / ".tools" / "bin" / "pulumi").is_file():
        raise EngineNotSetUpError("the Pulumi engine is not set up: run ./scripts/setup first")
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


GUEST_CREDENTIAL = "lab-admin"
GUEST_USER = "Administrator"
GUEST_PASSWORD = "Guest-e2e-Passw0rd!"  # throwaway, tests only
IMAGE = "ws2022"
IMAGE_PATH = "C:\\Images\\WS2022-Datacenter.vhdx"  # on the emulated L0 (default profile)
IMAGES: dict[str, Any] = {
    IMAGE: {
        "host": "l0",
        "path": IMAGE_PATH,
        "os": "windows-server",
        "build": 20348,
        "generation": 2,
    }
}


def stack_file(project: PulumiProject, stack: str) -> Path:
    return project.directory / "stacks" / f"Pulumi.{stack}.yaml"


def write_lab(
    project: PulumiProject,
    stack: str,
    emulator: EmulatorProcess,
    lab: dict[str, Any],
    *,
    prefix: str = "",
    images: dict[str, Any] | None = None,
    host_options: dict[str, Any] | None = None,
) -> None:
    """Put hosts, credentials, images (default: the L0's Windows Server 2022 image), prefix
    and the lab into the stack file (keeping what the CLI wrote there, e.g. the encryption
    salt and secrets)."""
    path = stack_file(project, stack)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = yaml.safe_load(path.read_text()) if path.is_file() else None
    doc = doc or {}
    config = doc.setdefault("config", {})
    l0 = {"endpoint": emulator.url, "user": emulator.user, **(host_options or {})}
    config["hyperv-lab:hosts"] = {"l0": l0}
    config["hyperv-lab:credentials"] = {GUEST_CREDENTIAL: {"user": GUEST_USER}}
    config["hyperv-lab:images"] = IMAGES if images is None else images
    config["hyperv-lab:lab"] = lab
    if prefix:
        config["hyperv-lab:prefix"] = prefix
    else:
        config.pop("hyperv-lab:prefix", None)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def set_passwords(project: PulumiProject, emulator: EmulatorProcess) -> None:
    """Both passwords as `--secret` config values (read from stdin, never on a command line)."""
    for name, value in (("l0", emulator.password), (GUEST_CREDENTIAL, GUEST_PASSWORD)):
        project.pulumi(
            "config", "set", "--secret", "--path", f"hyperv-lab:passwords.{name}", input_text=value
        )
