"""A team on a shared backend: state in a real PostgreSQL (`scripts/team-backend`, the CLI's
postgres:// DIY backend), developer stacks made by `scripts/new-dev-stack`, one emulated host.

- Two developers' stacks live side by side; an `up` of a stack that is already running is
  refused with the CLI's lock message; a run killed with SIGKILL leaves its lock behind, which
  `pulumi cancel` clears, and the next `up` converges. Nothing is lost: the host holds exactly
  what both stacks' states record, and both stacks are whole.
- A stack of the same name and prefix on another backend has another owner id, so it is
  refused instead of taking over the first developer's VM (issue 15, item 6).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from glob import glob
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from components.providers.vm import OWNER_TAG
from tests.e2e.conftest import REPO_ROOT, EmulatorFactory, ProjectFactory, PulumiProject
from tests.e2e.lab_stack import (
    GUEST_CREDENTIAL,
    IMAGE,
    host_inventory,
    run_ps,
    set_passwords,
    state_inventory,
    vm_names,
    write_lab,
)

TEAM_BACKEND = REPO_ROOT / "scripts" / "team-backend"
NEW_DEV_STACK = REPO_ROOT / "scripts" / "new-dev-stack"
LOCK_MESSAGE = (
    "the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end "
    "or delete the lock file with `pulumi cancel`."
)
POLLS = 3000  # bound on polling for a run to reach a given point
POLL_PAUSE_SECONDS = 0.1
UP = ("pulumi", "up", "--yes", "--skip-preview", "--non-interactive", "--color", "never")


@pytest.fixture(scope="session")
def team_backend() -> Iterator[str]:
    """The project's PostgreSQL, started by its own script (installed first if missing); it is
    stopped again at the end unless it was already running."""
    was_running = subprocess.run([TEAM_BACKEND, "status"], check=False).returncode == 0
    url = subprocess.run(
        [TEAM_BACKEND], check=True, capture_output=True, text=True, timeout=900
    ).stdout.strip()
    assert url.startswith("postgres://"), url
    yield url
    if not was_running:
        subprocess.run([TEAM_BACKEND, "stop"], check=True, timeout=120)


def psql(url: str, query: str) -> str:
    """One query as the backend's role (password in the environment, not on a command line)."""
    parts = urlsplit(url)
    binary = shutil.which("psql") or sorted(glob("/usr/lib/postgresql/*/bin/psql"))[-1]
    env = {**os.environ, "PGPASSWORD": parts.password or ""}
    return subprocess.run(
        [
            binary, "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1",
            "-h", str(parts.hostname), "-p", str(parts.port), "-U", str(parts.username),
            "-d", parts.path.lstrip("/"), "-c", query,
        ],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    ).stdout.strip()  # fmt: skip


@dataclass(frozen=True)
class SharedBackend:
    """A fresh state store for one test: its own table in the team database."""

    database_url: str
    table: str

    @property
    def url(self) -> str:
        """The `PULUMI_BACKEND_URL` for it."""
        return f"{self.database_url}&table={self.table}"

    def lock_count(self) -> int:
        """Lock files the DIY backend holds in the table (`.pulumi/locks/...` keys)."""
        query = f"SELECT count(*) FROM {self.table} WHERE key LIKE '%/.pulumi/locks/%'"
        return int(psql(self.database_url, query))


@pytest.fixture
def shared_backend(team_backend: str) -> Iterator[SharedBackend]:
    backend = SharedBackend(team_backend, f"e2e_{uuid.uuid4().hex[:12]}")
    yield backend
    psql(team_backend, f"DROP TABLE IF EXISTS {backend.table}")


def one_vm_lab() -> dict[str, Any]:
    """The smallest lab: one L1 on the L0."""
    return {
        "nested_hosts": [
            {
                "name": "l1",
                "host": "l0",
                "credential": GUEST_CREDENTIAL,
                "image": IMAGE,
                "memory_startup_mb": 2048,
            }
        ]
    }


def developer_stack(
    pulumi_project: ProjectFactory, developer: str, backend_url: str | None, *, name: str
) -> PulumiProject:
    """A developer's checkout: `scripts/new-dev-stack <developer>`, then `pulumi stack init`, as
    the script says; the lab is then pointed at the test's emulator (keeping the owner id)."""
    project = pulumi_project(
        stack=f"dev-{developer}", name=name, backend_url=backend_url, init=False
    )
    stacks_dir = project.directory / "stacks"
    stacks_dir.mkdir()
    made = subprocess.run(
        [NEW_DEV_STACK, developer, "--stacks-dir", str(stacks_dir)],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert f"pulumi stack init dev-{developer}" in made.stdout
    project.pulumi("stack", "init", f"dev-{developer}")
    return project


def owner_id(project: PulumiProject, stack: str) -> str:
    doc = yaml.safe_load((project.directory / "stacks" / f"Pulumi.{stack}.yaml").read_text())
    value: str = doc["config"]["hyperv-lab:owner_id"]
    return value


def start_up(project: PulumiProject) -> subprocess.Popen[str]:
    return subprocess.Popen(
        UP, cwd=project.directory, env=project.env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def wait_until(condition: Any, run: subprocess.Popen[str], what: str) -> None:
    for _ in range(POLLS):
        if condition():
            return
        assert run.poll() is None, f"the run ended before {what}:\n{run.communicate()[0]}"
        time.sleep(POLL_PAUSE_SECONDS)
    raise AssertionError(f"timed out waiting for {what}")


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (the CLI puts its plugins in their own process groups)."""
    listing = subprocess.run(
        ["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True, check=True
    ).stdout
    children: dict[int, list[int]] = {}
    for line in listing.splitlines():
        child, parent = (int(field) for field in line.split())
        children.setdefault(parent, []).append(child)
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        tree.append(current)
        pending.extend(children.get(current, []))
    return tree


def test_two_developers_share_a_postgres_backend_with_locking_and_recovery(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory, shared_backend: SharedBackend
) -> None:
    # Latency per round trip keeps an `up` running long enough to be caught in the middle.
    emulator = hypervsim_server("--latency-ms", "20")
    alice = developer_stack(pulumi_project, "alice", shared_backend.url, name="alice")
    bob = developer_stack(pulumi_project, "bob", shared_backend.url, name="bob")
    for project, stack in ((alice, "dev-alice"), (bob, "dev-bob")):
        write_lab(project, stack, emulator, one_vm_lab(), prefix=f"{stack}-")
        set_passwords(project, emulator)

    # Alice runs `up` from two shells: while the first holds the stack's lock (its CLI paused
    # right there), the second is refused with the lock message and changes nothing.
    first = start_up(alice)
    wait_until(lambda: shared_backend.lock_count() == 1, first, "the first up took its lock")
    os.kill(first.pid, signal.SIGSTOP)
    try:
        second = alice.pulumi("up", "--yes", "--skip-preview", check=False)
    finally:
        os.kill(first.pid, signal.SIGCONT)
    assert second.returncode != 0
    assert LOCK_MESSAGE in second.output, second.output
    assert f"(pid {first.pid})" in second.output, second.output
    # The lock's address names the backend without its password.
    assert str(urlsplit(shared_backend.url).password) not in second.output
    output = first.communicate(timeout=600)[0]
    assert first.returncode == 0, output
    assert shared_backend.lock_count() == 0

    # Bob's run is killed (SIGKILL: CLI, language host, providers) in the middle of its update.
    crashed = start_up(bob)
    wait_until(lambda: "dev-bob-l1" in vm_names(emulator), crashed, "bob's VM was created")
    for pid in process_tree(crashed.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    crashed.communicate(timeout=60)
    assert shared_backend.lock_count() == 1
    stale = bob.pulumi("up", "--yes", "--skip-preview", check=False)
    assert stale.returncode != 0
    assert LOCK_MESSAGE in stale.output, stale.output
    bob.pulumi("cancel", "--yes")
    assert shared_backend.lock_count() == 0
    # The killed run's interrupted creates are dropped from state; the providers find what they
    # had made on the host as their own (owner tag) when `up` creates them again.
    bob.pulumi("refresh", "--clear-pending-creates", "--yes", "--skip-preview")
    bob.pulumi("up", "--yes", "--skip-preview")
    bob.pulumi("preview", "--expect-no-changes")
    alice.pulumi("preview", "--expect-no-changes")

    # Nothing lost: the host's census equals what both states record, and each is whole.
    recorded = {}
    for project, stack in ((alice, "dev-alice"), (bob, "dev-bob")):
        state = json.loads(project.pulumi("stack", "export").stdout)
        assert not state["deployment"].get("pending_operations")
        recorded[stack] = state_inventory(state)
        assert ("vm", "", f"{stack}-l1") in recorded[stack]
        notes = run_ps(emulator, f"(Get-VM -Name '{stack}-l1').Notes")
        assert notes.endswith(f"{OWNER_TAG}hyperv-lab/{stack}/{owner_id(project, stack)}"), notes
    assert host_inventory(emulator, "dev-") == recorded["dev-alice"] | recorded["dev-bob"]
    assert vm_names(emulator) == ["dev-alice-l1", "dev-bob-l1"]


def test_same_stack_name_and_prefix_on_another_backend_cannot_take_over_the_vms(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory, shared_backend: SharedBackend
) -> None:
    emulator = hypervsim_server()
    alice = developer_stack(pulumi_project, "alice", shared_backend.url, name="alice")
    write_lab(alice, "dev-alice", emulator, one_vm_lab(), prefix="dev-alice-")
    set_passwords(alice, emulator)
    alice.pulumi("up", "--yes", "--skip-preview")
    owner = f"hyperv-lab/dev-alice/{owner_id(alice, 'dev-alice')}"

    # Another team's backend (a file backend here) with its own `dev-alice`, made the same way.
    other = developer_stack(pulumi_project, "alice", None, name="other-alice")
    assert owner_id(other, "dev-alice") != owner_id(alice, "dev-alice")
    write_lab(other, "dev-alice", emulator, one_vm_lab(), prefix="dev-alice-")
    set_passwords(other, emulator)
    refused = other.pulumi("preview", check=False)
    assert refused.returncode != 0
    assert f"belongs to stack '{owner}'" in refused.output, refused.output
    forced = other.pulumi("up", "--yes", "--skip-preview", check=False)
    assert forced.returncode != 0
    assert f"belongs to stack '{owner}'" in forced.output, forced.output
    other.pulumi("destroy", "--yes", "--skip-preview")

    # Alice's VM is still hers, unchanged, and her stack has nothing to do.
    assert vm_names(emulator) == ["dev-alice-l1"]
    notes = run_ps(emulator, "(Get-VM -Name 'dev-alice-l1').Notes")
    assert notes.endswith(OWNER_TAG + owner), notes
    alice.pulumi("preview", "--expect-no-changes")
    alice.pulumi("destroy", "--yes", "--skip-preview")
    assert vm_names(emulator) == []


def test_an_existing_stack_takes_an_owner_id_and_keeps_its_vm(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    """A stack without `hyperv-lab:owner_id` (its id made at the first `up`, kept in state)
    gets one in its file: the next `up` re-tags its own VM in place instead of refusing it as
    another stack's."""
    emulator = hypervsim_server()
    project = pulumi_project(stack="dev-old", name="dev-old")
    write_lab(project, "dev-old", emulator, one_vm_lab(), prefix="dev-old-")
    set_passwords(project, emulator)
    project.pulumi("up", "--yes", "--skip-preview")
    vm_id = run_ps(emulator, "(Get-VM -Name 'dev-old-l1').Id.ToString()")
    assert run_ps(emulator, "(Get-VM -Name 'dev-old-l1').Notes").startswith(
        OWNER_TAG + "hyperv-lab/dev-old/"
    )

    new_id = str(uuid.uuid4())
    project.set_config("hyperv-lab:owner_id", new_id)
    project.pulumi("preview")
    project.pulumi("up", "--yes", "--skip-preview")
    notes = run_ps(emulator, "(Get-VM -Name 'dev-old-l1').Notes")
    assert notes.endswith(f"{OWNER_TAG}hyperv-lab/dev-old/{new_id}"), notes
    assert run_ps(emulator, "(Get-VM -Name 'dev-old-l1').Id.ToString()") == vm_id
    project.pulumi("preview", "--expect-no-changes")


def test_an_owner_id_that_is_not_a_uuid_fails_preview_with_one_line(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    emulator = hypervsim_server()
    project = pulumi_project(stack="dev-typo", name="dev-typo")
    write_lab(project, "dev-typo", emulator, one_vm_lab(), prefix="dev-typo-")
    set_passwords(project, emulator)
    project.set_config("hyperv-lab:owner_id", "alice")
    result = project.pulumi("preview", check=False)
    assert result.returncode != 0
    expected = "hyperv-lab:owner_id: 'alice' is not a UUID"
    assert [line for line in result.output.splitlines() if expected in line], result.output
    assert "Traceback" not in result.output
    assert "hyperv-lab:index:NestedHost" not in result.output  # nothing registered
    assert vm_names(emulator) == []
