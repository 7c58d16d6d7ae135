"""Ctrl-C in the middle of `pulumi up` (issue 16, item 5): the terminal sends SIGINT to the
whole foreground process group (the CLI, the program and the provider processes). The run
says it was interrupted and what to run next, no Python traceback reaches the diagnostics,
and the command it names finishes the lab."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request

import pytest

from components.interrupt import INTERRUPTED_MESSAGE
from tests.e2e.conftest import EmulatorFactory, ProjectFactory
from tests.e2e.lab_stack import (
    host_inventory,
    set_passwords,
    small_lab,
    state_inventory,
    vm_names,
    write_lab,
)

POLL_PAUSE_SECONDS = 0.02


def _requests(url: str) -> int:
    base = url.rsplit("/wsman", 1)[0]
    with urllib.request.urlopen(f"{base}/hypervsim/counters", timeout=10) as reply:
        return int(json.load(reply)["requests"])


@pytest.mark.parametrize("after_requests", [4, 25])
def test_ctrl_c_mid_up_says_what_to_run_next_without_a_traceback(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory, after_requests: int
) -> None:
    emulator = hypervsim_server("--latency-ms", "40")
    project = pulumi_project(stack="ctrlc")
    set_passwords(project, emulator)
    write_lab(project, "ctrlc", emulator, small_lab(), prefix="ctrlc-")

    start = _requests(emulator.url)
    up = subprocess.Popen(
        ["pulumi", "up", "--yes", "--skip-preview", "--non-interactive", "--color", "never"],
        cwd=project.directory,
        env=project.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    while up.poll() is None and _requests(emulator.url) - start < after_requests:
        time.sleep(POLL_PAUSE_SECONDS)
    os.killpg(up.pid, signal.SIGINT)  # what Ctrl-C does
    output = up.communicate(timeout=600)[0]
    assert up.returncode != 0, f"up finished before Ctrl-C:\n{output}"
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output
    diagnostics = output.split("Diagnostics:", 1)[1]
    assert any(line.strip() == INTERRUPTED_MESSAGE for line in diagnostics.splitlines()), output

    # What it says to run finishes the lab, with no warning left behind.
    again = project.pulumi("up", "--yes", "--skip-preview")
    assert "pending operations" not in again.output
    project.pulumi("preview", "--expect-no-changes")
    state = json.loads(project.pulumi("stack", "export").stdout)
    assert not state["deployment"].get("pending_operations")
    assert host_inventory(emulator, "ctrlc-") == state_inventory(state)  # nothing orphaned
    assert vm_names(emulator) == ["ctrlc-l1"]
    project.pulumi("destroy", "--yes", "--skip-preview")
    assert vm_names(emulator) == []
