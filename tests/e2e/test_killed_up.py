"""`pulumi up` killed with SIGKILL (issue 16, items 6 and the chaos test of its Done-when):
the CLI, the program and the provider processes die at once, so nobody deletes a shell,
releases the stack's lock or records how the operations in flight ended. The commands the
README gives (`pulumi cancel --yes`, `pulumi refresh --yes --clear-pending-creates`, `pulumi
up`) then converge: the state holds exactly what is on the hosts (nothing orphaned), no
pending-operation warning is left, the killed runs' shells expire on the host's idle clock
and never lock the user out of the next run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from typing import Any

from components.providers.pending_creates import default_journal_dir
from tests.e2e.conftest import EmulatorFactory, EmulatorProcess, ProjectFactory, PulumiProject
from tests.e2e.lab_stack import (
    host_inventory,
    set_passwords,
    small_lab,
    state_inventory,
    vm_names,
    write_lab,
)

PREFIX = "kill-"
POLL_PAUSE_SECONDS = 0.02
IN_FLIGHT_WAIT_SECONDS = 60
PENDING_WARNING = "pending operations from previous deployment"


def _counters(emulator: EmulatorProcess) -> dict[str, Any]:
    base = emulator.url.rsplit("/wsman", 1)[0]
    with urllib.request.urlopen(f"{base}/hypervsim/counters", timeout=10) as reply:
        result: dict[str, Any] = json.load(reply)
    return result


def _advance_shell_clock(emulator: EmulatorProcess, seconds: float) -> int:
    base = emulator.url.rsplit("/wsman", 1)[0]
    request = urllib.request.Request(
        f"{base}/hypervsim/shell-clock",
        data=json.dumps({"advance_s": seconds}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        return int(json.load(reply)["expired"])


def _in_flight(project: PulumiProject) -> bool:
    """Whether the file backend's checkpoint of the stack lists a pending operation."""
    for checkpoint in project.backend_dir.glob(".pulumi/stacks/**/*.json"):
        try:
            deployment = json.loads(checkpoint.read_text()).get("checkpoint", {}).get("latest")
        except (OSError, ValueError):
            continue  # being rewritten
        if deployment and deployment.get("pending_operations"):
            return True
    return False


def _create_started(project: PulumiProject) -> bool:
    """Whether a provider has noted a create it sent to a host (its pending-create journal),
    so the kill lands inside the create, not between the engine's note and the provider."""
    return any(default_journal_dir(project.env).glob("*.json"))


def _kill_up_after(project: PulumiProject, emulator: EmulatorProcess, requests: int) -> str:
    """Start `pulumi up` and SIGKILL its whole process group once the host has served
    `requests` more requests (an operation in flight, most likely a create); its output."""
    start = _counters(emulator)["requests"]
    up = subprocess.Popen(
        ["pulumi", "up", "--yes", "--skip-preview", "--non-interactive", "--color", "never"],
        cwd=project.directory,
        env=project.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    while up.poll() is None and _counters(emulator)["requests"] - start < requests:
        time.sleep(POLL_PAUSE_SECONDS)
    # Then kill only once the engine has recorded an operation in flight and its provider has
    # sent the create, however busy the machine is (a request count alone can land between two
    # operations, and the engine records an operation before the provider starts it).
    deadline = time.monotonic() + IN_FLIGHT_WAIT_SECONDS
    while (
        up.poll() is None
        and not (_in_flight(project) and _create_started(project))
        and time.monotonic() < deadline
    ):
        time.sleep(POLL_PAUSE_SECONDS)
    finished_first = up.poll() is not None
    if not finished_first:
        os.killpg(up.pid, signal.SIGKILL)
    output = up.communicate(timeout=120)[0]
    assert not finished_first, f"up ended before the kill:\n{output}"
    return output


def _recover(project: PulumiProject) -> None:
    """The README's commands after a killed run."""
    project.pulumi("cancel", "--yes")  # the killed CLI's lock
    project.pulumi("refresh", "--yes", "--skip-preview", "--clear-pending-creates")
    up = project.pulumi("up", "--yes", "--skip-preview")
    assert PENDING_WARNING not in up.output, up.output


def _converged(project: PulumiProject, emulator: EmulatorProcess) -> None:
    again = project.pulumi("preview", "--expect-no-changes")
    assert PENDING_WARNING not in again.output, again.output
    state = json.loads(project.pulumi("stack", "export").stdout)
    assert not state["deployment"].get("pending_operations")
    recorded, on_host = state_inventory(state), host_inventory(emulator, PREFIX)
    assert on_host == recorded, (
        f"on the host only: {sorted(on_host - recorded)}\n"
        f"in state only: {sorted(recorded - on_host)}"
    )
    kinds = sorted(item[0] for item in recorded)
    assert kinds == ["ip", "ip", "netnat", "switch", "vm", "vm"], sorted(recorded)


def test_kill_mid_create_then_the_documented_commands_converge(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    emulator = hypervsim_server("--latency-ms", "40")
    project = pulumi_project(stack="kill")
    set_passwords(project, emulator)
    write_lab(project, "kill", emulator, small_lab(), prefix=PREFIX)

    _kill_up_after(project, emulator, 12)  # the L1's processor and adapter being made
    project.pulumi("cancel", "--yes")
    state = json.loads(project.pulumi("stack", "export").stdout)
    assert state["deployment"].get("pending_operations"), "no create was in flight"

    # Without the refresh, `up` finishes the lab but the engine warns on every run after.
    warned = project.pulumi("up", "--yes", "--skip-preview")
    assert PENDING_WARNING in warned.output
    assert "pulumi refresh --yes --clear-pending-creates" in warned.output, warned.output

    _recover(project)
    _converged(project, emulator)
    project.pulumi("destroy", "--yes", "--skip-preview")
    assert vm_names(emulator) == []


KILL_AFTER_REQUESTS = (5, 15, 10)  # each run resumes the last: shells, the L1, inside it


def test_chaos_kills_at_several_points_then_converge_without_lock_out_or_orphan(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    emulator = hypervsim_server("--latency-ms", "40")
    project = pulumi_project(stack="chaos")
    set_passwords(project, emulator)
    write_lab(project, "chaos", emulator, small_lab(), prefix=PREFIX)

    for requests in KILL_AFTER_REQUESTS:
        _kill_up_after(project, emulator, requests)
        project.pulumi("cancel", "--yes")
    left = _counters(emulator)["shells_open"]
    assert left > 0, "the killed runs left no shell: nothing was tested"

    # Not locked out by their shells: the next run converges and deletes its own.
    _recover(project)
    _converged(project, emulator)
    assert _counters(emulator)["shells_open"] == left

    # The killed runs' shells close after the client's 5 min idle timeout, not the host's 2 h.
    assert _advance_shell_clock(emulator, 240) == 0
    assert _advance_shell_clock(emulator, 60) == left
    assert _counters(emulator)["shells_open"] == 0

    project.pulumi("destroy", "--yes", "--skip-preview")
    assert host_inventory(emulator, PREFIX) == set()
    assert _counters(emulator)["shells_open"] == 0
