"""Issue 15 item 5: `destroy` while an L1 is Off. What lives inside a VM that is itself being
deleted (its NAT, switch, addresses, L2 guests, the image copy) goes with it: the inner deletes
must not need the VM running, and the host is left with nothing of the stack's."""

from __future__ import annotations

import json

from tests.e2e.conftest import EmulatorFactory, ProjectFactory
from tests.e2e.lab_stack import (
    host_inventory,
    run_ps,
    set_passwords,
    small_lab,
    state_inventory,
    vm_names,
    write_lab,
)

PREFIX = "off-"


def test_destroy_with_the_l1_turned_off_by_hand(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    emulator = hypervsim_server()
    project = pulumi_project(stack="off")
    write_lab(project, "off", emulator, small_lab(), prefix=PREFIX)
    set_passwords(project, emulator)
    project.pulumi("up", "--yes", "--skip-preview")
    state = json.loads(project.pulumi("stack", "export").stdout)
    assert host_inventory(emulator, PREFIX) == state_inventory(state)

    run_ps(emulator, "Stop-VM -Name 'off-l1' -TurnOff -Force")
    destroyed = project.pulumi("destroy", "--yes", "--skip-preview", check=False)
    assert destroyed.returncode == 0, destroyed.output
    assert vm_names(emulator) == []
    assert host_inventory(emulator, PREFIX) == set()
    state = json.loads(project.pulumi("stack", "export").stdout)
    assert not state["deployment"].get("resources")
