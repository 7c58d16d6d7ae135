"""What lives inside an L1 (its NAT switch, the NAT's address, an L2 guest) and is taken out of
the stack while the L1 is Off, with the real CLI on the emulator: `up` fails fast with one line
saying what to do, the stack still holds everything (nothing is forgotten while it is still
on the host), and once the L1 runs the same `up` deletes it; the census of the hosts equals
the stack after each step."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import EmulatorFactory, EmulatorProcess, ProjectFactory, PulumiProject
from tests.e2e.lab_stack import (
    host_inventory,
    run_ps,
    set_passwords,
    small_lab,
    state_inventory,
    write_lab,
)

PREFIX = "del-"
L1 = f"{PREFIX}l1"
GUEST_IP = ("ip", f"{L1}/{PREFIX}guest", "Ethernet", "192.168.100.10/24")


def _state_items(project: PulumiProject) -> set[tuple[str, ...]]:
    return state_inventory(json.loads(project.pulumi("stack", "export").stdout))


def _census_matches(project: PulumiProject, emulator: EmulatorProcess) -> None:
    assert host_inventory(emulator, PREFIX) == _state_items(project)


@pytest.mark.parametrize(
    ("removed", "finish"),
    [("guest", "up --refresh"), ("guest and nat", "Start-VM, then up")],
)
def test_what_is_removed_while_its_l1_is_off_says_what_to_do_and_is_kept(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory, removed: str, finish: str
) -> None:
    emulator = hypervsim_server()
    project = pulumi_project(stack="inner")
    write_lab(project, "inner", emulator, small_lab(), prefix=PREFIX)
    set_passwords(project, emulator)
    project.pulumi("up", "--yes", "--skip-preview")
    _census_matches(project, emulator)
    before = _state_items(project)

    # The guest (and the NAT) are taken out of the lab while the L1 is off.
    run_ps(emulator, f"Stop-VM -Name '{L1}' -TurnOff -Force")
    lab = small_lab()
    lab["emulator_vms"] = []
    if removed == "guest and nat":
        lab["nat_networks"] = []
    write_lab(project, "inner", emulator, lab, prefix=PREFIX)
    for _ in range(2):  # the same answer each time: nothing is dropped from the stack
        result = project.pulumi("up", "--yes", "--skip-preview", check=False)
        assert result.returncode != 0, result.output
        assert (
            f"on l0>{L1} was not deleted: VM '{L1}' on l0 is Off, and what lives inside a VM "
            f"can only be deleted while it runs. Start it (Start-VM -Name '{L1}' on l0) and "
            "run `pulumi up` again, or run `pulumi up --refresh`, which starts it before "
            "deleting; until then the stack keeps the "
        ) in result.output
        assert "Traceback" not in result.output
        if removed == "guest":
            assert f"Vm '{PREFIX}guest' on l0>{L1} was not deleted" in result.output
        # Everything still on the host stays in the stack; only the guest's address inside
        # the L2 left it, as Pulumi drops what is deleted with a VM (the L2, still held).
        assert _state_items(project) == before - {GUEST_IP}

    # Either way the message offers, the next `up` deletes them.
    if finish == "up --refresh":
        project.pulumi("up", "--refresh", "--yes", "--skip-preview")
    else:
        run_ps(emulator, f"Start-VM -Name '{L1}'")
        project.pulumi("up", "--yes", "--skip-preview")
    assert run_ps(emulator, f"(Get-VM -Name '{L1}').State") == "Running"
    _census_matches(project, emulator)
    assert ("vm", L1, f"{PREFIX}guest") not in _state_items(project)
    nats = [item for item in _state_items(project) if item[0] == "netnat"]
    assert nats == (
        [] if removed == "guest and nat" else [("netnat", L1, "del-nat", "192.168.100.0/24")]
    )
    project.pulumi("preview", "--refresh", "--expect-no-changes")
