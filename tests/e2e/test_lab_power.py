"""Power of an L1 with the real CLI on the emulator: a change under `stop-and-restore`, and an
L1 turned off by hand. In both the whole subtree is back as it was after ONE `up` (its L2
guest running, the outputs measured again), and the census of the hosts equals the stack."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.e2e.conftest import EmulatorFactory, EmulatorProcess, ProjectFactory, PulumiProject
from tests.e2e.lab_stack import (
    host_inventory,
    in_guest,
    outputs,
    run_ps,
    set_passwords,
    small_lab,
    state_inventory,
    write_lab,
)

PREFIX = "pwr-"
L1 = f"{PREFIX}l1"
L2 = f"{PREFIX}guest"


def _guest_state(emulator: EmulatorProcess) -> str:
    """The L2's state, as Get-VM inside the L1 reports it."""
    return in_guest(emulator, L1, f"(Get-VM | Where-Object {{ $_.Name -eq '{L2}' }}).State")


def _census_matches(project: PulumiProject, emulator: EmulatorProcess) -> None:
    state = json.loads(project.pulumi("stack", "export").stdout)
    assert host_inventory(emulator, PREFIX) == state_inventory(state)


def _lab(**l1: Any) -> dict[str, Any]:
    lab = small_lab()
    lab["nested_hosts"][0].update(l1)
    return lab


def test_stop_and_restore_brings_the_whole_subtree_back_in_one_up(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    emulator = hypervsim_server()
    project = pulumi_project(stack="power")
    write_lab(project, "power", emulator, _lab(stop_policy="stop-and-restore"), prefix=PREFIX)
    set_passwords(project, emulator)
    project.pulumi("up", "--yes", "--skip-preview")
    assert _guest_state(emulator) == "Running"

    # A processor change needs the L1 Off: it is shut down, changed and started again, and
    # so is its guest, whose outputs are measured again in the same up.
    write_lab(
        project, "power", emulator, _lab(stop_policy="stop-and-restore", cpu_count=3), prefix=PREFIX
    )
    project.pulumi("up", "--yes", "--skip-preview")
    assert run_ps(emulator, f"(Get-VMProcessor -VMName '{L1}').Count") == "3"
    assert run_ps(emulator, f"(Get-VM -Name '{L1}').State") == "Running"
    assert _guest_state(emulator) == "Running"
    out = outputs(project)
    assert out["nested_hosts"]["l1"]["state"] == "Running"
    assert out["emulator_vms"]["guest"]["internet_reachable"] is True

    # A memory change (the Vm itself) likewise.
    write_lab(
        project,
        "power",
        emulator,
        _lab(stop_policy="stop-and-restore", cpu_count=3, memory_startup_mb=6144),
        prefix=PREFIX,
    )
    project.pulumi("up", "--yes", "--skip-preview")
    memory = run_ps(emulator, f"(Get-VM -Name '{L1}').MemoryStartup")
    assert memory == str(6144 * 1024 * 1024)
    assert _guest_state(emulator) == "Running"
    assert outputs(project)["emulator_vms"]["guest"]["internet_reachable"] is True

    project.pulumi("preview", "--refresh", "--expect-no-changes")
    _census_matches(project, emulator)
    project.pulumi("destroy", "--yes", "--skip-preview")


def test_an_l1_turned_off_by_hand_reads_off_at_once_and_up_restarts_its_subtree(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    emulator = hypervsim_server()
    project = pulumi_project(stack="power")
    write_lab(project, "power", emulator, _lab(), prefix=PREFIX)
    set_passwords(project, emulator)
    project.pulumi("up", "--yes", "--skip-preview")

    run_ps(emulator, f"Stop-VM -Name '{L1}' -TurnOff -Force")

    # The L1 reads Off; what is inside it is not waited on (its VM cannot answer), so the
    # preview shows the L1 started again and nothing failing.
    preview = project.pulumi("preview", "--refresh", "--diff")
    assert re.search(r'~ state\s*: "Off" => "Running"', preview.stdout), preview.stdout
    assert "1 to update" in preview.stdout, preview.stdout

    # One up starts the L1 and its guest again, and measures the guest anew.
    project.pulumi("up", "--refresh", "--yes", "--skip-preview")
    assert run_ps(emulator, f"(Get-VM -Name '{L1}').State") == "Running"
    assert _guest_state(emulator) == "Running"
    out = outputs(project)
    assert out["nested_hosts"]["l1"]["state"] == "Running"
    assert out["emulator_vms"]["guest"]["internet_reachable"] is True

    project.pulumi("preview", "--refresh", "--expect-no-changes")
    _census_matches(project, emulator)
    project.pulumi("destroy", "--yes", "--skip-preview")


def test_preview_tells_what_a_change_needing_the_vm_off_will_do(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    emulator = hypervsim_server()
    project = pulumi_project(stack="power")
    write_lab(project, "power", emulator, _lab(), prefix=PREFIX)
    set_passwords(project, emulator)
    project.pulumi("up", "--yes", "--skip-preview")

    # stop_policy 'fail': the preview itself fails with what to do, and so does up, before
    # anything is changed.
    write_lab(project, "power", emulator, _lab(cpu_count=3), prefix=PREFIX)
    for command in (("preview",), ("up", "--yes")):
        refused = project.pulumi(*command, check=False)
        text = refused.stdout + refused.stderr
        assert refused.returncode != 0, text
        assert "changing count needs the VM Off and it is Running" in text, text
        assert "stop_policy: stop-and-restore" in text, text
    assert run_ps(emulator, f"(Get-VMProcessor -VMName '{L1}').Count") == "2"
    assert run_ps(emulator, f"(Get-VM -Name '{L1}').State") == "Running"
    assert _guest_state(emulator) == "Running"

    # 'stop-and-restore': the preview warns that the L1 and the VMs inside it will be
    # stopped and started again.
    write_lab(
        project, "power", emulator, _lab(cpu_count=3, stop_policy="stop-and-restore"), prefix=PREFIX
    )
    warned = project.pulumi("preview")
    text = warned.stdout + warned.stderr
    assert f"VM '{L1}' is Running and changing count needs it Off" in text, text
    assert f"the VMs running inside it ('{L2}') stop with it and are started again" in text, text
    assert run_ps(emulator, f"(Get-VMProcessor -VMName '{L1}').Count") == "2"

    # A memory change of the L1 (Hyper-V inside) likewise, with 'fail'.
    write_lab(project, "power", emulator, _lab(memory_startup_mb=6144), prefix=PREFIX)
    refused = project.pulumi("preview", check=False)
    assert refused.returncode != 0
    assert "changing memory_startup_mb needs the VM Off" in refused.stdout + refused.stderr

    write_lab(project, "power", emulator, _lab(), prefix=PREFIX)
    project.pulumi("preview", "--expect-no-changes")
    _census_matches(project, emulator)
    project.pulumi("destroy", "--yes", "--skip-preview")


def test_an_l2_turned_off_by_hand_is_started_and_measured_again_in_one_up(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    emulator = hypervsim_server()
    project = pulumi_project(stack="power")
    write_lab(project, "power", emulator, _lab(), prefix=PREFIX)
    set_passwords(project, emulator)
    project.pulumi("up", "--yes", "--skip-preview")

    in_guest(emulator, L1, f"Stop-VM -Name '{L2}' -TurnOff -Force")
    project.pulumi("up", "--refresh", "--yes", "--skip-preview")
    assert _guest_state(emulator) == "Running"
    assert outputs(project)["emulator_vms"]["guest"]["internet_reachable"] is True

    project.pulumi("preview", "--refresh", "--expect-no-changes")
    _census_matches(project, emulator)
    project.pulumi("destroy", "--yes", "--skip-preview")
