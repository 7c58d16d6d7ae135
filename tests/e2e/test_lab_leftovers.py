"""Issue 15 item 4: an L2 deleted by hand inside its L1 leaves its disk file behind, as
Hyper-V does (Remove-VM never deletes disks). `up --refresh` makes the VM again over a leftover
disk this stack made (its marker names the stack), and refuses, keeping it, a file of that name
the stack did not make."""

from __future__ import annotations

import json

from tests.e2e.conftest import EmulatorFactory, EmulatorProcess, ProjectFactory
from tests.e2e.lab_stack import (
    host_inventory,
    in_vm_chain,
    set_passwords,
    small_lab,
    state_inventory,
    write_lab,
)

PREFIX = "left-"
DISK = "Join-Path (Get-VMHost).VirtualHardDiskPath 'left-guest.vhdx'"


def _files(emulator: EmulatorProcess) -> list[str]:
    """The names of the files in the L1's virtual disk folder that belong to the L2."""
    listing = in_vm_chain(
        emulator,
        ["left-l1"],
        "Get-ChildItem -LiteralPath (Get-VMHost).VirtualHardDiskPath | "
        "Where-Object Name -like 'left-guest*' | ForEach-Object Name",
    )
    return sorted(listing.split())


def test_l2_removed_by_hand_leaves_its_disk_and_up_refresh_makes_it_again(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    emulator = hypervsim_server()
    project = pulumi_project(stack="left")
    write_lab(project, "left", emulator, small_lab(), prefix=PREFIX)
    set_passwords(project, emulator)
    project.pulumi("up", "--yes", "--skip-preview")

    left = in_vm_chain(
        emulator,
        ["left-l1"],
        "$disk = (Get-VM -Name 'left-guest').HardDrives[0].Path\n"
        "Stop-VM -Name 'left-guest' -TurnOff -Force\n"
        "Remove-VM -Name 'left-guest' -Force\n"
        "Test-Path -LiteralPath $disk",
    )
    assert left == "True"  # Hyper-V keeps the disk of a removed VM
    up = project.pulumi("up", "--refresh", "--yes", "--skip-preview", check=False)
    assert up.returncode == 0, up.output
    project.pulumi("preview", "--refresh", "--expect-no-changes")
    assert _files(emulator) == ["left-guest.vhdx", "left-guest.vhdx.hyperv-lab-owner"]

    # Removed by hand again, and its disk replaced by a file of the same name that this stack
    # did not make (no marker): refused with the reason, the file kept, nothing else broken.
    in_vm_chain(
        emulator,
        ["left-l1"],
        "$disk = (Get-VM -Name 'left-guest').HardDrives[0].Path\n"
        "Stop-VM -Name 'left-guest' -TurnOff -Force\n"
        "Remove-VM -Name 'left-guest' -Force\n"
        'Remove-Item -LiteralPath $disk, "$disk.hyperv-lab-owner"\n'
        "New-VHD -Path $disk -SizeBytes 2GB | Out-Null",
    )
    refused = project.pulumi("up", "--refresh", "--yes", "--skip-preview", check=False)
    assert refused.returncode != 0
    assert "already exists and no VM uses it, but it is not a leftover of this stack" in (
        refused.output
    )
    assert _files(emulator) == ["left-guest.vhdx"]
    in_vm_chain(emulator, ["left-l1"], f"Remove-Item -LiteralPath ({DISK})")  # as told
    project.pulumi("up", "--refresh", "--yes", "--skip-preview")
    project.pulumi("preview", "--refresh", "--expect-no-changes")
    state = json.loads(project.pulumi("stack", "export").stdout)
    assert host_inventory(emulator, PREFIX) == state_inventory(state)
    project.pulumi("destroy", "--yes", "--skip-preview")
    assert host_inventory(emulator, PREFIX) == set()
