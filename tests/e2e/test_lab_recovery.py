"""The emulator killed in the middle of `pulumi up`: after a restart, `refresh` + `up`
converge, and what the state records is exactly what exists on the host (nothing orphaned):
every VM, switch, NetNat and IP address carrying the stack's names on the L0 and inside its
VMs belongs to a resource in `pulumi stack export`, and every such resource exists."""

from __future__ import annotations

import json
import subprocess
import time

from tests.e2e.conftest import EmulatorFactory, ProjectFactory
from tests.e2e.lab_stack import (
    host_inventory,
    in_vm_chain,
    set_passwords,
    small_lab,
    state_inventory,
    vm_names,
    vm_references,
    write_lab,
)

PREFIX = "crash-"
POLLS = 1500  # bound on polling for the first VM to appear
POLL_PAUSE_SECONDS = 0.1  # between polls, so the test does not hammer the emulator


def test_emulator_killed_mid_up_then_up_converges(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    # Latency per round trip makes `up` long enough to be interrupted in the middle.
    emulator = hypervsim_server("--latency-ms", "40")
    project = pulumi_project(stack="crash")
    write_lab(project, "crash", emulator, small_lab(), prefix=PREFIX)
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
        time.sleep(POLL_PAUSE_SECONDS)
    emulator.kill()
    output = up.communicate(timeout=600)[0]
    assert up.returncode != 0, f"up finished before the emulator was killed:\n{output}"

    emulator.start()
    project.pulumi("refresh", "--yes", "--skip-preview")
    project.pulumi("up", "--yes", "--skip-preview")
    project.pulumi("preview", "--expect-no-changes")

    state = json.loads(project.pulumi("stack", "export").stdout)
    assert not state["deployment"].get("pending_operations")
    recorded = state_inventory(state)
    on_host = host_inventory(emulator, PREFIX)
    assert on_host == recorded, (
        f"on the host only: {sorted(on_host - recorded)}\n"
        f"in state only: {sorted(recorded - on_host)}"
    )
    # The full lab, nothing less: both VMs, the NAT's switch, NetNat and gateway, the guest's
    # address; and every resource that works on a VM works on one the state creates.
    kinds = sorted(item[0] for item in recorded)
    assert kinds == ["ip", "ip", "netnat", "switch", "vm", "vm"], sorted(recorded)
    assert {("vm", "", "crash-l1"), ("vm", "crash-l1", "crash-guest")} <= recorded
    assert vm_references(state) <= recorded

    # The listing does see strays: a switch made by hand inside the L1 with the stack's names.
    stray = in_vm_chain(
        emulator, ["crash-l1"], "New-VMSwitch -Name 'crash-stray' -SwitchType Private | Out-Null"
    )
    assert stray == ""
    assert host_inventory(emulator, PREFIX) - recorded == {("switch", "crash-l1", "crash-stray")}
    in_vm_chain(emulator, ["crash-l1"], "Remove-VMSwitch -Name 'crash-stray' -Force")

    project.pulumi("destroy", "--yes", "--skip-preview")
    assert host_inventory(emulator, PREFIX) == set()
    assert vm_names(emulator) == []
