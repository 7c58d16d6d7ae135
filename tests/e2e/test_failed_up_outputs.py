"""After a failed `pulumi up` the CLI shows the stack's outputs as they stay, not as removed:
a resource the host refuses halfway through (components/sdk_stack_outputs.py), and a lab the
program refuses before it declares anything (the SDK registers no export then, and the engine
keeps the old ones). The stack keeps its outputs either way (`pulumi stack output`)."""

from __future__ import annotations

import re

from tests.e2e.conftest import EmulatorFactory, ProjectFactory, PulumiResult
from tests.e2e.lab_stack import outputs, set_passwords, small_lab, write_lab

STACK = "outs"
PREFIX = "outs-"
WRONG_PASSWORD = "Wrong-e2e-Secret-9!"
OUTPUT_NAMES = ("emulator_vms", "nat_networks", "nested_hosts")


def _outputs_section(result: PulumiResult) -> str:
    """The `Outputs:` section the CLI printed (up to the resource summary)."""
    match = re.search(r"^Outputs:\n(.*?)^Resources:", result.stdout, re.S | re.M)
    assert match is not None, result.output
    return match.group(1)


def _assert_outputs_shown_unchanged(result: PulumiResult) -> None:
    """Every output listed as it is, none marked removed (`- name:`) or changed (`~`)."""
    section = _outputs_section(result)
    for name in OUTPUT_NAMES:
        assert re.search(rf"^    {name}\s*:", section, re.M), section
    assert not re.search(r"^\s*[-~+]\s", section, re.M), section


def test_failed_up_shows_outputs_unchanged_when_a_resource_fails(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    emulator = hypervsim_server()
    project = pulumi_project(stack=STACK)
    write_lab(project, STACK, emulator, small_lab(), prefix=PREFIX)
    set_passwords(project, emulator)
    project.pulumi("up", "--yes", "--skip-preview")
    before = outputs(project)
    assert sorted(before) == list(OUTPUT_NAMES)

    # A change has to reach the host, and the host refuses the login.
    project.pulumi("config", "rm", "--path", "hyperv-lab:passwords.l0")
    project.env["HYPERV_LAB_PASSWORD_L0"] = WRONG_PASSWORD
    lab = small_lab()
    lab["emulator_vms"][0]["ip_address"] = "192.168.100.30"
    write_lab(project, STACK, emulator, lab, prefix=PREFIX)
    failed = project.pulumi("up", "--yes", "--skip-preview", check=False)

    assert failed.returncode != 0, failed.output
    assert "refused user" in failed.output, failed.output
    _assert_outputs_shown_unchanged(failed)
    # The failed VM's address as the stack keeps it, not the one the run could not set.
    assert '"192.168.100.10"' in _outputs_section(failed), failed.output
    assert outputs(project) == before


def test_failed_up_shows_outputs_unchanged_when_the_program_refuses_the_lab(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    emulator = hypervsim_server()
    project = pulumi_project(stack=STACK)
    write_lab(project, STACK, emulator, small_lab(), prefix=PREFIX)
    set_passwords(project, emulator)
    project.pulumi("up", "--yes", "--skip-preview")
    before = outputs(project)

    # An L1 too small for the guest inside it: refused before anything is declared.
    lab = small_lab()
    lab["nested_hosts"][0]["memory_startup_mb"] = 3072
    write_lab(project, STACK, emulator, lab, prefix=PREFIX)
    failed = project.pulumi("up", "--yes", "--skip-preview", check=False)

    assert failed.returncode != 0, failed.output
    assert "cannot run the VMs declared inside it" in failed.output, failed.output
    _assert_outputs_shown_unchanged(failed)
    assert outputs(project) == before
