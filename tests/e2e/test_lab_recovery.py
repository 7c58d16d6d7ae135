"""The emulator killed in the middle of `pulumi up`: after a restart, `refresh` + `up`
converge, and what the state records is exactly what exists on the host (nothing orphaned)."""

from __future__ import annotations

import json
import subprocess

from tests.e2e.conftest import EmulatorFactory, ProjectFactory
from tests.e2e.lab_stack import in_guest, set_passwords, small_lab, vm_names, write_lab

POLLS = 2000  # bound on polling for the first VM to appear (each poll is a WinRM call)


def test_emulator_killed_mid_up_then_up_converges(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    # Latency per round trip makes `up` long enough to be interrupted in the middle.
    emulator = hypervsim_server("--latency-ms", "40")
    project = pulumi_project(stack="crash")
    write_lab(project, "crash", emulator, small_lab(), prefix="crash-")
    set_passwords(project, emulator)

    up = subprocess.Popen(
        ["pulumi", "up", "--yes", "--skip-preview", "--non-interactive", "--color", "never"],
        cwd=project.directory,
        env=project.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    for _ in range(POLLS):
        if up.poll() is not None or vm_names(emulator):
            break
    emulator.kill()
    output = up.communicate(timeout=600)[0]
    assert up.returncode != 0, f"up finished before the emulator was killed:\n{output}"

    emulator.start()
    project.pulumi("refresh", "--yes", "--skip-preview")
    project.pulumi("up", "--yes", "--skip-preview")
    project.pulumi("preview", "--expect-no-changes")

    state = json.loads(project.pulumi("stack", "export").stdout)
    vms = [
        r["outputs"]["name"]
        for r in state["deployment"]["resources"]
        if r["type"] == "pulumi-python:dynamic/hyperv:Vm"
    ]
    assert sorted(vms) == ["crash-guest", "crash-l1"]
    assert vm_names(emulator) == ["crash-l1"]
    assert in_guest(emulator, "crash-l1", "Get-VM | ForEach-Object Name").split() == ["crash-guest"]
    project.pulumi("destroy", "--yes", "--skip-preview")
    assert vm_names(emulator) == []
