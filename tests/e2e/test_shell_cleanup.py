"""Provider processes delete the shells they opened when a pulumi command ends: each shell
counts against the host's MaxShellsPerUser until its idle timeout otherwise."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from tests.e2e.conftest import EmulatorFactory, ProjectFactory
from tests.e2e.lab_stack import set_passwords, small_lab, vm_names, write_lab


def _shells_open(url: str) -> int:
    base = url.rsplit("/wsman", 1)[0]
    with urllib.request.urlopen(f"{base}/hypervsim/counters", timeout=10) as reply:
        return int(json.load(reply)["shells_open"])


def test_no_shell_is_left_open_after_up_and_destroy(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    emulator = hypervsim_server()
    project = pulumi_project(stack="shells")
    set_passwords(project, emulator)
    write_lab(project, "shells", emulator, small_lab())
    project.pulumi("up", "--yes", "--skip-preview")
    assert _shells_open(emulator.url) == 0
    project.pulumi("destroy", "--yes", "--skip-preview")
    assert _shells_open(emulator.url) == 0


def _counter(url: str, name: str) -> int:
    base = url.rsplit("/wsman", 1)[0]
    with urllib.request.urlopen(f"{base}/hypervsim/counters", timeout=10) as reply:
        return int(json.load(reply)[name])


def _advance_shell_clock(url: str, seconds: float) -> int:
    base = url.rsplit("/wsman", 1)[0]
    request = urllib.request.Request(
        f"{base}/hypervsim/shell-clock",
        data=json.dumps({"advance_s": seconds}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        return int(json.load(reply)["expired"])


def _descendants(pid: int) -> list[int]:
    """Every process below `pid` (read from /proc), deepest first."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: list[int] = []
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found[::-1]


KILL_AFTER_REQUESTS = (10, 20, 5)  # requests of that run: several points of `up`
POLL_PAUSE_SECONDS = 0.05


def test_killed_ups_leave_shells_that_expire_and_never_lock_the_user_out(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    """SIGKILL of `pulumi up`'s program and provider processes (nobody deletes a shell) at
    several points leaves shells on the host; they hold the user's quota only for the
    client's idle timeout (5 min, not the host's 2 h), the next `up` is never refused for the
    quota, and once they expired nothing of the killed runs is left."""
    emulator = hypervsim_server("--latency-ms", "20")
    project = pulumi_project(stack="killed")
    set_passwords(project, emulator)
    write_lab(project, "killed", emulator, small_lab(), prefix="killed-")

    for kill_after in KILL_AFTER_REQUESTS:
        start = _counter(emulator.url, "requests")
        log_path = project.directory / f"up-killed-after-{kill_after}.log"
        with log_path.open("w") as log:
            up = subprocess.Popen(
                ["pulumi", "up", "--yes", "--skip-preview", "--non-interactive"],
                cwd=project.directory,
                env=project.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        while up.poll() is None and _counter(emulator.url, "requests") - start < kill_after:
            time.sleep(POLL_PAUSE_SECONDS)
        # SIGKILL of the program and the provider processes (they hold the shells; no atexit
        # runs). The CLI itself is spared: killed in the middle of writing the file backend's
        # checkpoint, it can leave a truncated one that no later command loads.
        for pid in _descendants(up.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        up.wait(timeout=120)  # failed (or, late in the lab, finished just before the kill)
    left = _counter(emulator.url, "shells_open")
    assert left > 0, "the killed runs left no shell: nothing was tested"

    # The next run is not locked out by them, converges, and deletes its own shells.
    project.pulumi("refresh", "--yes", "--skip-preview", "--clear-pending-creates")
    project.pulumi("up", "--yes", "--skip-preview")
    project.pulumi("preview", "--expect-no-changes")
    assert _counter(emulator.url, "shells_open") == left

    # Three idle minutes on, the killed runs' shells still count; at five (the client's idle
    # timeout, not the host's two hours) the host has deleted them.
    assert _advance_shell_clock(emulator.url, 180) == 0
    assert _advance_shell_clock(emulator.url, 120) == left
    assert _counter(emulator.url, "shells_open") == 0

    project.pulumi("destroy", "--yes", "--skip-preview")
    assert _counter(emulator.url, "shells_open") == 0
    assert vm_names(emulator) == []
