"""Per-developer stacks on one emulated host: two stacks with their own prefixes create,
coexist and destroy without touching each other; a third stack that would reuse another
stack's VM name is refused at preview, and by the update's create without one (the owner tag
in the VM Notes)."""

from __future__ import annotations

from components.providers.vm import OWNER_TAG
from tests.e2e.conftest import EmulatorFactory, ProjectFactory
from tests.e2e.lab_stack import run_ps, set_passwords, small_lab, vm_names, write_lab


def test_two_developer_stacks_coexist_and_a_collision_is_refused_at_preview(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    emulator = hypervsim_server()
    stacks = {}
    for stack in ("dev-a", "dev-b"):
        project = pulumi_project(stack=stack, name=stack)
        write_lab(project, stack, emulator, small_lab(), prefix=f"{stack}-")
        set_passwords(project, emulator)
        project.pulumi("up", "--yes", "--skip-preview")
        stacks[stack] = project
    assert vm_names(emulator) == ["dev-a-l1", "dev-b-l1"]

    # A third stack whose prefix makes it declare dev-b's VM: refused before anything runs.
    intruder = pulumi_project(stack="dev-c", name="dev-c")
    write_lab(intruder, "dev-c", emulator, small_lab(), prefix="dev-b-")
    set_passwords(intruder, emulator)
    refused = intruder.pulumi("preview", check=False)
    assert refused.returncode != 0
    assert "belongs to stack 'hyperv-lab/dev-b/" in refused.output, refused.output
    assert "Traceback" not in refused.output
    # Without a preview the update's create refuses it the same way (check looks only in a
    # preview), and dev-b's VM is neither adopted nor changed.
    forced = intruder.pulumi("up", "--yes", "--skip-preview", check=False)
    assert forced.returncode != 0
    assert "belongs to stack 'hyperv-lab/dev-b/" in forced.output, forced.output
    assert "Traceback" not in forced.output
    assert vm_names(emulator) == ["dev-a-l1", "dev-b-l1"]
    notes = run_ps(emulator, "(Get-VM -Name 'dev-b-l1').Notes")
    assert notes.startswith(OWNER_TAG + "hyperv-lab/dev-b/"), notes  # + the id in its state

    # dev-a goes away; dev-b is untouched and still has nothing to change.
    stacks["dev-a"].pulumi("destroy", "--yes", "--skip-preview")
    assert vm_names(emulator) == ["dev-b-l1"]
    stacks["dev-b"].pulumi("preview", "--expect-no-changes")
    stacks["dev-b"].pulumi("destroy", "--yes", "--skip-preview")
    assert vm_names(emulator) == []
