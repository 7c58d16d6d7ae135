"""Issue 15 item 6: the owner tag tells same-named stacks on different backends apart, also
for a stack without `hyperv-lab:owner_id` in its file. Two developers each keep a stack `dev`
with the prefix `dev-` on their own file backend, against one host: the second one's preview
and `up` refuse the first one's VM (another owner), its `destroy` leaves it alone, and the
host holds exactly what the first stack declares."""

from __future__ import annotations

import json

from tests.e2e.conftest import EmulatorFactory, ProjectFactory, PulumiProject
from tests.e2e.lab_stack import (
    GUEST_CREDENTIAL,
    IMAGE,
    host_inventory,
    run_ps,
    set_passwords,
    state_inventory,
    write_lab,
)

PREFIX = "dev-"
LAB = {
    "nested_hosts": [{"name": "l1", "host": "l0", "credential": GUEST_CREDENTIAL, "image": IMAGE}]
}


def _notes(emulator: object) -> str:
    return run_ps(emulator, "(Get-VM -Name 'dev-l1').Notes")  # type: ignore[arg-type]


def _state(project: PulumiProject) -> dict[str, object]:
    state: dict[str, object] = json.loads(project.pulumi("stack", "export").stdout)
    return state


def test_same_stack_name_on_another_backend_never_takes_over_the_vms(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    emulator = hypervsim_server()
    alice = pulumi_project(stack="dev", name="alice")  # file://<tmp>/alice-backend
    bob = pulumi_project(stack="dev", name="bob")  # file://<tmp>/bob-backend
    for project in (alice, bob):
        write_lab(project, "dev", emulator, LAB, prefix=PREFIX)
        set_passwords(project, emulator)

    alice.pulumi("up", "--yes", "--skip-preview")
    vm_id = run_ps(emulator, "(Get-VM -Name 'dev-l1').Id.ToString()")
    tag = _notes(emulator).rsplit("hyperv-lab-owner: ", 1)[1]
    project_stack, _, made_id = tag.rpartition("/")
    assert project_stack == "hyperv-lab/dev" and len(made_id) == 36  # the id kept in state
    # A VM tagged the old way (project/stack only, before stacks had an id) that is in the
    # stack's state stays managed: the next `up --refresh` re-tags it with the kept id.
    run_ps(emulator, "Set-VM -Name 'dev-l1' -Notes 'hyperv-lab-owner: hyperv-lab/dev'")
    alice.pulumi("up", "--refresh", "--yes", "--skip-preview")
    assert _notes(emulator) == f"hyperv-lab-owner: {tag}"  # the same id on every run

    refused = bob.pulumi("preview", check=False)
    assert refused.returncode != 0
    assert f"VM 'dev-l1' on l0 belongs to stack '{tag}'" in refused.output
    refused = bob.pulumi("up", "--yes", "--skip-preview", check=False)
    assert refused.returncode != 0
    assert f"VM 'dev-l1' on l0 belongs to stack '{tag}'" in refused.output
    bob.pulumi("destroy", "--yes", "--skip-preview")

    assert run_ps(emulator, "(Get-VM -Name 'dev-l1').Id.ToString()") == vm_id
    assert _notes(emulator).endswith(tag)
    alice.pulumi("preview", "--refresh", "--expect-no-changes")
    assert host_inventory(emulator, PREFIX) == state_inventory(_state(alice))
    alice.pulumi("destroy", "--yes", "--skip-preview")
    assert host_inventory(emulator, PREFIX) == set()
