"""The lab's whole life with the real CLI against the emulator, in one chain of steps (each
`pulumi up` is slow, so one test walks every stage): preview -> up -> no changes -> drift made
by hand -> refresh sees it -> up repairs it -> config change in place -> config change that
replaces -> destroy leaves the emulated world exactly as it was."""

from __future__ import annotations

import json

from components.providers.base import PREVIEW_INPUT
from tests.e2e.conftest import EmulatorFactory, ProjectFactory
from tests.e2e.lab_stack import (
    in_guest,
    outputs,
    run_ps,
    set_passwords,
    small_lab,
    vm_names,
    world_snapshot,
    write_lab,
)


def test_preview_up_drift_repair_update_replace_destroy(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    emulator = hypervsim_server()
    before = world_snapshot(emulator)
    project = pulumi_project(stack="e2e")
    lab = small_lab()
    write_lab(project, "e2e", emulator, lab, prefix="e2e-")
    set_passwords(project, emulator)

    # preview: the plan, nothing made.
    preview = project.pulumi("preview")
    assert "hyperv-lab:index:NestedHost" in preview.stdout
    assert "hyperv-lab:index:EmulatorVm" in preview.stdout
    assert vm_names(emulator) == []

    # up: the seed topology, the guest reaches the outside through the NAT inside the L1.
    project.pulumi("up", "--yes", "--skip-preview")
    out = outputs(project)
    assert out["nested_hosts"]["l1"]["vm_name"] == "e2e-l1"
    assert out["nested_hosts"]["l1"]["state"] == "Running"
    assert out["nat_networks"]["nat"]["gateway"] == "192.168.100.1"
    assert out["emulator_vms"]["guest"]["ip_address"] == "192.168.100.10"
    assert out["emulator_vms"]["guest"]["internet_reachable"] is True
    assert vm_names(emulator) == ["e2e-l1"]
    spoofing = run_ps(emulator, "(Get-VMNetworkAdapter -VMName 'e2e-l1').MacAddressSpoofing")
    assert spoofing == "On"
    extensions = run_ps(
        emulator, "(Get-VMProcessor -VMName 'e2e-l1').ExposeVirtualizationExtensions"
    )
    assert extensions == "True"
    assert "e2e-guest" in in_guest(emulator, "e2e-l1", "Get-VM | ForEach-Object Name")

    # The program's preview mark is taken out by check: not in state.
    exported = json.loads(project.pulumi("stack", "export").stdout)
    vms = [r for r in exported["deployment"]["resources"] if r["type"].endswith(":Vm")]
    assert vms and all(PREVIEW_INPUT not in r["inputs"] | r["outputs"] for r in vms)

    # Nothing to do on a second look.
    project.pulumi("preview", "--expect-no-changes")

    # Drift made by hand: MAC spoofing turned off on the L1's adapter.
    run_ps(emulator, "Set-VMNetworkAdapter -VMName 'e2e-l1' -MacAddressSpoofing Off")
    refresh = project.pulumi("refresh", "--yes", "--skip-preview")
    assert "1 updated" in refresh.stdout, refresh.stdout
    drift = project.pulumi("preview", "--diff")
    assert "mac_address_spoofing" in drift.stdout
    project.pulumi("up", "--yes", "--skip-preview")
    assert run_ps(emulator, "(Get-VMNetworkAdapter -VMName 'e2e-l1').MacAddressSpoofing") == "On"
    project.pulumi("preview", "--expect-no-changes")

    # Config change applied in place: the guest's address.
    lab["emulator_vms"][0]["ip_address"] = "192.168.100.20"
    write_lab(project, "e2e", emulator, lab, prefix="e2e-")
    update = project.pulumi("up", "--yes", "--skip-preview")
    assert "1 updated" in update.stdout and "replaced" not in update.stdout, update.stdout
    assert outputs(project)["emulator_vms"]["guest"]["ip_address"] == "192.168.100.20"
    addresses = in_guest(
        emulator,
        "e2e-l1",
        "Invoke-Command -VMName 'e2e-guest' -Credential $using:cred -ScriptBlock "
        "{ (Get-NetIPAddress -InterfaceAlias 'Ethernet' -AddressFamily IPv4).IPAddress }",
    )
    assert "192.168.100.20" in addresses and "192.168.100.10" not in addresses

    # Config change declared as a replacement: the NAT's prefix (NetNat internal prefix).
    lab["nat_networks"][0]["prefix"] = "192.168.200.0/24"
    lab["emulator_vms"][0]["ip_address"] = "192.168.200.20"
    write_lab(project, "e2e", emulator, lab, prefix="e2e-")
    replace = project.pulumi("up", "--yes", "--skip-preview")
    assert "replaced" in replace.stdout, replace.stdout
    nat = in_guest(emulator, "e2e-l1", "(Get-NetNat).InternalIPInterfaceAddressPrefix")
    assert nat.strip() == "192.168.200.0/24"
    out = outputs(project)
    assert out["emulator_vms"]["guest"]["internet_reachable"] is True
    project.pulumi("preview", "--expect-no-changes")

    # destroy: the emulated world is exactly as before.
    project.pulumi("destroy", "--yes", "--skip-preview")
    state = json.loads(project.pulumi("stack", "export").stdout)
    assert len(state["deployment"].get("resources") or []) == 0
    assert world_snapshot(emulator) == before
