"""What Windows would refuse halfway through `up` is refused at preview, with the real CLI on
the emulator, and nothing is made: an L1 too small for the guests declared inside it, a NAT
on a host that already has one, a NAT prefix that overlaps a network the host uses."""

from __future__ import annotations

import json
from typing import Any

from tests.components.providers.image_vms import image_vm_script
from tests.e2e.conftest import EmulatorFactory, EmulatorProcess, ProjectFactory, PulumiProject
from tests.e2e.lab_stack import (
    GUEST_PASSWORD,
    IMAGE_PATH,
    host_inventory,
    run_ps,
    set_passwords,
    small_lab,
    state_inventory,
    vm_names,
    write_lab,
)

PREFIX = "chk-"


def _refused(project: PulumiProject, emulator: EmulatorProcess, expected: str) -> None:
    """`preview` and `up` both fail with `expected` in their output, and nothing was made."""
    for command in (("preview",), ("up", "--yes")):
        result = project.pulumi(*command, check=False)
        text = result.stdout + result.stderr
        assert result.returncode != 0, text
        assert expected in text, text
        assert "Traceback" not in text, text  # a config mistake is one line
    assert host_inventory(emulator, PREFIX) == set()


def _state(project: PulumiProject) -> dict[str, Any]:
    state: dict[str, Any] = json.loads(project.pulumi("stack", "export").stdout)
    return state


def _nat_on_l0(prefix: str) -> dict[str, Any]:
    return {"nat_networks": [{"name": "nat", "host": "l0", "prefix": prefix}]}


def test_an_l1_too_small_for_its_guests_is_refused_at_preview(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    emulator = hypervsim_server()
    project = pulumi_project(stack="checks")
    lab = small_lab()
    lab["nested_hosts"][0]["memory_startup_mb"] = 3072
    write_lab(project, "checks", emulator, lab, prefix=PREFIX)
    set_passwords(project, emulator)
    _refused(
        project,
        emulator,
        "hyperv-lab:lab.nested_hosts[0]: "
        "NestedHost 'l1' memory_startup_mb: 3072 cannot run the VMs declared inside it: "
        "guest 2048 + 2048 for the L1's own Windows = 4096 MB",
    )


def test_a_nat_on_a_host_that_already_has_one_is_refused_at_preview(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    emulator = hypervsim_server()
    run_ps(emulator, "New-NetNat -Name 'docker' -InternalIPInterfaceAddressPrefix 172.30.0.0/24")
    project = pulumi_project(stack="checks")
    write_lab(project, "checks", emulator, _nat_on_l0("192.168.50.0/24"), prefix=PREFIX)
    set_passwords(project, emulator)
    _refused(
        project,
        emulator,
        "l0 already has a NetNat: 'docker' (172.30.0.0/24); Windows allows one NAT network "
        "per host, so 'chk-nat' cannot be made there",
    )

    # Once the other NAT is gone, the same lab goes through.
    run_ps(
        emulator,
        "Get-NetNat | Where-Object { $_.Name -eq 'docker' } | Remove-NetNat -Confirm:$false",
    )
    project.pulumi("up", "--yes")
    assert ("netnat", "", "chk-nat", "192.168.50.0/24") in host_inventory(emulator, PREFIX)
    project.pulumi("destroy", "--yes", "--skip-preview")


def test_a_nat_prefix_overlapping_a_host_network_is_refused_at_preview(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    emulator = hypervsim_server()
    project = pulumi_project(stack="checks")
    write_lab(project, "checks", emulator, _nat_on_l0("10.0.0.0/16"), prefix=PREFIX)
    set_passwords(project, emulator)
    _refused(
        project,
        emulator,
        "10.0.0.0/16 overlaps 10.0.0.0/24, a network l0 already uses",
    )


def _lab_on_image(image: str) -> dict[str, Any]:
    """The small lab (an L1 with nesting, a NAT and a guest inside) on the image `image`."""
    lab = small_lab()
    lab["nested_hosts"][0]["image"] = image
    lab["emulator_vms"][0]["image"] = image
    return lab


_WS2016 = {
    "ws2016": {
        "host": "l0",
        "path": "C:\\Images\\WS2016-Datacenter.vhdx",
        "os": "windows-server",
        "build": 14393,
        "generation": 2,
    }
}


def test_an_amd_host_before_windows_server_2022_refuses_nesting_at_preview(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    emulator = hypervsim_server("--host-profile", "server2016-amd")
    project = pulumi_project(stack="checks")
    write_lab(project, "checks", emulator, _lab_on_image("ws2016"), prefix=PREFIX, images=_WS2016)
    set_passwords(project, emulator)
    _refused(
        project,
        emulator,
        "l0 has an AMD processor and runs Windows build 14393: nested virtualization on AMD "
        "processors needs Windows Server 2022 / Windows 11 or later",
    )


def test_a_host_running_vbs_refuses_nesting_at_preview(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    emulator = hypervsim_server("--host-profile", "server2022-intel-vbs")
    project = pulumi_project(stack="checks")
    write_lab(project, "checks", emulator, small_lab(), prefix=PREFIX)
    set_passwords(project, emulator)
    _refused(project, emulator, "l0 runs virtualization-based security")
    _refused(
        project,
        emulator,
        "Set-VMSecurity -VMName 'chk-l1' -VirtualizationBasedSecurityOptOut $true (a VM made by "
        "hand is then declared with adopt_existing: true)",
    )


def test_a_vm_opted_out_of_vbs_nests_on_a_host_running_it(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    """What the VBS refusal offers works: the L1 made by hand, opted out while Off, adopted."""
    emulator = hypervsim_server("--host-profile", "server2022-intel-vbs")
    run_ps(
        emulator,
        image_vm_script("chk-l1", IMAGE_PATH, GUEST_PASSWORD, expose=False)
        + "\nStop-VM -Name 'chk-l1' -TurnOff -Force"
        + "\nSet-VMSecurity -VMName 'chk-l1' -VirtualizationBasedSecurityOptOut $true",
    )
    project = pulumi_project(stack="checks")
    lab = small_lab()
    lab["nested_hosts"][0]["adopt_existing"] = True
    write_lab(project, "checks", emulator, lab, prefix=PREFIX)
    set_passwords(project, emulator)
    project.pulumi("preview")
    project.pulumi("up", "--yes")
    nested = "(Get-VMProcessor -VMName 'chk-l1').ExposeVirtualizationExtensions"
    assert run_ps(emulator, nested) == "True"
    assert host_inventory(emulator, PREFIX) == state_inventory(_state(project))
    assert ("vm", "chk-l1", "chk-guest") in host_inventory(emulator, PREFIX)


def test_an_amd_host_on_windows_11_nests(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    emulator = hypervsim_server("--host-profile", "win11-amd")
    project = pulumi_project(stack="checks")
    win11 = {
        "win11": {
            "host": "l0",
            "path": "C:\\Images\\Win11-Enterprise.vhdx",
            "os": "windows-client",
            "build": 22621,
            "generation": 2,
        }
    }
    write_lab(project, "checks", emulator, _lab_on_image("win11"), prefix=PREFIX, images=win11)
    set_passwords(project, emulator)
    project.pulumi("preview")
    project.pulumi("up", "--yes")
    assert host_inventory(emulator, PREFIX) == state_inventory(_state(project))
    assert ("vm", "chk-l1", "chk-guest") in host_inventory(emulator, PREFIX)
    project.pulumi("destroy", "--yes", "--skip-preview")
    assert host_inventory(emulator, PREFIX) == set()


def test_a_hand_made_vm_with_a_declared_name_is_refused_at_preview(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    emulator = hypervsim_server()
    run_ps(emulator, "New-VM -Name 'chk-l1' -MemoryStartupBytes 1GB -Generation 2 | Out-Null")
    project = pulumi_project(stack="checks")
    write_lab(project, "checks", emulator, small_lab(), prefix=PREFIX)
    set_passwords(project, emulator)
    for command in (("preview",), ("up", "--yes")):
        result = project.pulumi(*command, check=False)
        assert result.returncode != 0, result.output
        assert (
            "VM 'chk-l1' already exists on l0 and was not made by this stack; set "
            "adopt_existing: true on it in the lab to manage that VM, or rename it"
        ) in result.output
    # Only the hand-made VM is there (Off, so the census cannot look inside it: nothing was
    # made there either); the stack holds nothing.
    assert vm_names(emulator) == ["chk-l1"]
    made = "@(Get-VMSwitch -Name 'chk-*').Count + @(Get-NetNat | Where-Object Name -like 'chk-*').Count"
    assert run_ps(emulator, made) == "0"
    assert state_inventory(_state(project)) == set()


def test_a_nat_prefix_change_is_checked_like_a_new_nat_at_preview(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    """A new prefix replaces the NAT: the new prefix must not overlap the host's networks, and
    the NAT it replaces (removed first) does not count as another NAT on the host."""
    emulator = hypervsim_server()
    project = pulumi_project(stack="checks")
    write_lab(project, "checks", emulator, _nat_on_l0("192.168.50.0/24"), prefix=PREFIX)
    set_passwords(project, emulator)
    project.pulumi("up", "--yes")
    made = host_inventory(emulator, PREFIX)
    assert made == state_inventory(_state(project))

    write_lab(project, "checks", emulator, _nat_on_l0("10.0.0.0/16"), prefix=PREFIX)
    for command in (("preview",), ("up", "--yes")):
        result = project.pulumi(*command, check=False)
        assert result.returncode != 0, result.output
        assert "10.0.0.0/16 overlaps 10.0.0.0/24, a network l0 already uses" in result.output
    assert host_inventory(emulator, PREFIX) == made == state_inventory(_state(project))

    write_lab(project, "checks", emulator, _nat_on_l0("192.168.60.0/24"), prefix=PREFIX)
    project.pulumi("up", "--yes")
    after = host_inventory(emulator, PREFIX)
    assert ("netnat", "", "chk-nat", "192.168.60.0/24") in after
    assert after == state_inventory(_state(project))
    project.pulumi("destroy", "--yes", "--skip-preview")
    assert host_inventory(emulator, PREFIX) == set()
