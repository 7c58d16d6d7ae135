"""A VM made by hand with plain PowerShell is brought under management by declaring it with
`adopt_existing: true` (`pulumi import` cannot do this for dynamic resources): without the
flag `up` refuses with a clear message; with it, `up` adopts the same VM (same id) and the next
preview shows no changes."""

from __future__ import annotations

import json

from tests.components.providers.image_vms import image_vm_script
from tests.e2e.conftest import FIXTURES, EmulatorFactory, ProjectFactory
from tests.e2e.lab_stack import (
    GUEST_CREDENTIAL,
    GUEST_PASSWORD,
    IMAGE,
    IMAGE_PATH,
    host_inventory,
    outputs,
    run_ps,
    set_passwords,
    state_inventory,
    vm_names,
    write_lab,
)


def _lab(adopt: bool) -> dict[str, object]:
    return {
        "nested_hosts": [
            {
                "name": "l1",
                "host": "l0",
                "credential": GUEST_CREDENTIAL,
                "image": IMAGE,
                "switch": "External",
                "adopt_existing": adopt,
            }
        ]
    }


def test_hand_made_vm_is_adopted_only_when_asked(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    emulator = hypervsim_server()
    # Made as an admin would: a differencing disk on the image with its answer file, first
    # boot, then turned off again.
    run_ps(
        emulator,
        image_vm_script("hand-l1", IMAGE_PATH, GUEST_PASSWORD)
        + "\nStop-VM -Name 'hand-l1' -TurnOff -Force",
    )
    vm_id = run_ps(emulator, "(Get-VM -Name 'hand-l1').Id.ToString()")
    project = pulumi_project(stack="adopt")
    set_passwords(project, emulator)

    write_lab(project, "adopt", emulator, _lab(adopt=False), prefix="hand-")
    refused = project.pulumi("up", "--yes", "--skip-preview", check=False)
    assert refused.returncode != 0
    assert "'hand-l1' already exists on l0; set adopt_existing=True" in refused.output
    assert "Traceback" not in refused.output  # a clean error, not a Python stack trace

    write_lab(project, "adopt", emulator, _lab(adopt=True), prefix="hand-")
    project.pulumi("up", "--yes", "--skip-preview")
    assert run_ps(emulator, "(Get-VM -Name 'hand-l1').Id.ToString()") == vm_id
    assert outputs(project)["nested_hosts"]["l1"]["vm_id"].lower() == vm_id.lower()
    assert run_ps(emulator, "(Get-VM -Name 'hand-l1').State") == "Running"
    project.pulumi("preview", "--expect-no-changes")
    project.pulumi("destroy", "--yes", "--skip-preview")


def test_adoption_is_previewed_keeps_the_notes_and_never_replaces(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    """Issue 15 item 1: the preview says the VM is adopted, the user's Notes stay (the owner
    tag is added below them), and `up --refresh` afterwards changes nothing: same VM, same
    disk, and the host holds exactly what the stack declares."""
    emulator = hypervsim_server()
    run_ps(
        emulator,
        image_vm_script("hand-l1", IMAGE_PATH, GUEST_PASSWORD)
        + "\nStop-VM -Name 'hand-l1' -TurnOff -Force"
        + "\nSet-VM -Name 'hand-l1' -Notes 'built by alice for the demo'",
    )
    vm_id = run_ps(emulator, "(Get-VM -Name 'hand-l1').Id.ToString()")
    disk = run_ps(emulator, "(Get-VM -Name 'hand-l1').HardDrives[0].Path")
    project = pulumi_project(stack="adopt")
    set_passwords(project, emulator)
    write_lab(project, "adopt", emulator, _lab(adopt=True), prefix="hand-")

    preview = project.pulumi("preview")
    assert f"[adopt] Vm 'hand-l1' on l0: the existing VM (Id {vm_id}) is adopted" in (
        preview.output.replace(vm_id.lower(), vm_id)
    )
    assert "its Notes are kept above the declared notes" in preview.output

    project.pulumi("up", "--yes", "--skip-preview")
    notes = run_ps(emulator, "(Get-VM -Name 'hand-l1').Notes")
    kept, tag = notes.splitlines()
    assert kept == "built by alice for the demo"
    assert tag.startswith("hyperv-lab-owner: hyperv-lab/adopt/")  # + the stack's id
    project.pulumi("up", "--refresh", "--yes", "--skip-preview")
    project.pulumi("preview", "--refresh", "--expect-no-changes")
    assert run_ps(emulator, "(Get-VM -Name 'hand-l1').Id.ToString()") == vm_id
    assert run_ps(emulator, "(Get-VM -Name 'hand-l1').HardDrives[0].Path") == disk
    assert run_ps(emulator, "(Get-VM -Name 'hand-l1').Notes") == notes
    state = json.loads(project.pulumi("stack", "export").stdout)
    assert host_inventory(emulator, "hand-") == state_inventory(state)
    project.pulumi("destroy", "--yes", "--skip-preview")
    assert host_inventory(emulator, "hand-") == set()


DISK_PROGRAM = FIXTURES / "vm_disk_program"
DISK_SIZE = "(Get-VHD -Path (Get-VM -Name 'data-vm').HardDrives[0].Path).Size / 1GB"


def test_adopted_disk_grows_in_place_and_a_hand_grown_one_is_never_replaced(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    """A hand-made VM with a 30 GB empty disk, declared with 40 GB: the preview says it is
    adopted and its disk grows; `up` grows it (same VM). Grown to 50 GB by hand, the refresh
    shows an update, which refuses to shrink it with its size; declaring 50 converges."""
    emulator = hypervsim_server()
    run_ps(
        emulator,
        "New-Item -ItemType Directory -Force C:\\VMs | Out-Null\n"
        "New-VM -Name 'data-vm' -Generation 2 -MemoryStartupBytes 1GB "
        "-NewVHDPath C:\\VMs\\data-vm.vhdx -NewVHDSizeBytes 30GB | Out-Null",
    )
    vm_id = run_ps(emulator, "(Get-VM -Name 'data-vm').Id.ToString()")
    project = pulumi_project(DISK_PROGRAM, stack="disk")
    write_lab(project, "disk", emulator, {})
    set_passwords(project, emulator)
    project.set_config("disk:name", "data-vm")
    project.set_config("disk:size_gb", "40")

    preview = project.pulumi("preview")
    assert "[adopt] Vm 'data-vm' on l0" in preview.output
    assert "its 30 GB disk grows to 40 GB" in preview.output
    project.pulumi("up", "--yes", "--skip-preview")
    assert run_ps(emulator, DISK_SIZE) == "40"
    project.pulumi("preview", "--refresh", "--expect-no-changes")

    run_ps(emulator, "Resize-VHD -Path C:\\VMs\\data-vm.vhdx -SizeBytes 50GB")
    drift = project.pulumi("preview", "--refresh", "--diff")
    assert "~ pulumi-python:dynamic/hyperv:Vm: (update)" in drift.output, drift.output
    assert "replace" not in drift.output
    refused = project.pulumi("up", "--refresh", "--yes", "--skip-preview", check=False)
    assert refused.returncode != 0
    assert "is 50 GB, larger than the declared disk_size_gb 40" in refused.output
    project.set_config("disk:size_gb", "50")
    project.pulumi("up", "--refresh", "--yes", "--skip-preview")
    project.pulumi("preview", "--refresh", "--expect-no-changes")
    assert run_ps(emulator, "(Get-VM -Name 'data-vm').Id.ToString()") == vm_id
    assert run_ps(emulator, DISK_SIZE) == "50"
    project.pulumi("destroy", "--yes", "--skip-preview")
    assert vm_names(emulator) == []
