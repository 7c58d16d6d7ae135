"""The stack files we ship work as shipped: `stacks/Pulumi.demo.yaml` goes `up` with the real
CLI against a fresh emulator (only the endpoint port changed to the test's emulator, the
passwords set as secrets), both guests reach the outside - by the stack outputs and by plain
PowerShell Direct from the L0 through the L1 into each guest - and `destroy` leaves the
emulated world as it was. `Pulumi.lab.yaml` and `Pulumi.dev-example.yaml` preview cleanly
with one create per resource their lab description implies."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from tests.e2e.conftest import EmulatorFactory, ProjectFactory
from tests.e2e.lab_stack import (
    GUEST_PASSWORD,
    NAMESPACE,
    host_inventory,
    in_vm_chain,
    outputs,
    run_ps,
    set_shipped_passwords,
    shipped_config,
    vm_names,
    with_endpoint_port,
    world_snapshot,
    write_shipped_stack,
)

# What each component declares (besides itself): the Hyper-V objects behind one lab entry.
COMPONENT = "hyperv-lab:index:"
DYNAMIC = "pulumi-python:dynamic/hyperv:"
CHILDREN = {
    "nested_hosts": ("Vm", "VmProcessor", "VmNetworkAdapter", "VmPowerState", "WindowsFeature"),
    "nat_networks": ("VmSwitch", "NetIpAddress", "NetNat"),
    "emulator_vms": ("Vm", "VmNetworkAdapter", "VmPowerState", "GuestNetworkConfig"),
}
COMPONENT_OF = {
    "nested_hosts": "NestedHost",
    "nat_networks": "NatNetwork",
    "emulator_vms": "EmulatorVm",
}
REACH_OUTSIDE = "Test-NetConnection 8.8.8.8 -InformationLevel Quiet"
GUEST_IPV4 = (
    "(Get-NetIPAddress -InterfaceAlias 'Ethernet' -AddressFamily IPv4 | "
    "Where-Object { $_.PrefixOrigin -eq 'Manual' }).IPAddress"
)


def lab_of(stack: str) -> dict[str, Any]:
    lab: dict[str, Any] = shipped_config(stack)[f"{NAMESPACE}:lab"]
    return lab


def expected_creates(stack: str) -> Counter[str]:
    """Resource type -> how many `preview` should plan to create for this shipped stack: its
    lab, and the stack's owner id kept in state when the file has no `owner_id`."""
    lab = lab_of(stack)
    expected: Counter[str] = Counter({"pulumi:pulumi:Stack": 1})
    if lab.get("nested_hosts") and f"{NAMESPACE}:owner_id" not in shipped_config(stack):
        expected["pulumi-python:dynamic/lab:StackOwnerId"] = 1
    for section, children in CHILDREN.items():
        count = len(lab.get(section, []))
        expected[COMPONENT + COMPONENT_OF[section]] += count
        for child in children:
            expected[DYNAMIC + child] += count
    for nat in lab.get("nat_networks", []):  # guests that already exist get their address
        expected[DYNAMIC + "GuestNetworkConfig"] += len(nat.get("guests", []))
    # One copy of each image into each nested host whose guests boot from it.
    nat_host = {nat["name"]: nat["host"] for nat in lab.get("nat_networks", [])}
    copies = {(nat_host[vm["nat_network"]], vm["image"]) for vm in lab.get("emulator_vms", [])}
    expected[DYNAMIC + "GuestImage"] += len(copies)
    return +expected


def test_shipped_endpoint_port_swap_keeps_everything_else() -> None:
    assert (
        with_endpoint_port("http://127.0.0.1:15985/wsman", 40123) == "http://127.0.0.1:40123/wsman"
    )
    assert with_endpoint_port("https://hv.example:5986/wsman", 1) == "https://hv.example:1/wsman"


def test_demo_stack_up_reaches_outside_from_both_guests_and_destroys_cleanly(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    emulator = hypervsim_server()
    before = world_snapshot(emulator)
    image = shipped_config("demo")[f"{NAMESPACE}:images"]["ws2022"]["path"]
    image_hash = f"(Get-FileHash -LiteralPath '{image}' -Algorithm SHA256).Hash"
    hash_before = run_ps(emulator, image_hash)
    project = pulumi_project(stack="demo")
    write_shipped_stack(project, "demo", emulator)
    set_shipped_passwords(project, "demo", emulator, GUEST_PASSWORD)
    lab = lab_of("demo")
    (l1,) = (host["name"] for host in lab["nested_hosts"])
    guests = {vm["name"]: vm["ip_address"] for vm in lab["emulator_vms"]}
    assert len(guests) == 2

    up = project.pulumi("up", "--yes", "--skip-preview")
    assert f"{sum(expected_creates('demo').values())} created" in up.stdout, up.stdout

    out = outputs(project)
    assert out["nested_hosts"][l1]["state"] == "Running"
    for name, address in guests.items():
        assert out["emulator_vms"][name] == {
            "vm_name": name,
            "ip_address": address,
            "internet_reachable": True,
        }

    # Independently of the providers: PowerShell Direct from the L0 into the L1, from there
    # into each guest, as an admin would check it by hand.
    assert vm_names(emulator) == [l1]
    for name, address in guests.items():
        answer = in_vm_chain(emulator, [l1, name], f"{GUEST_IPV4}; {REACH_OUTSIDE}")
        assert answer.split() == [address, "True"], (name, answer)
    nat = lab["nat_networks"][0]
    assert host_inventory(emulator, "") >= {
        ("vm", "", l1),
        ("switch", l1, nat["name"]),
        ("netnat", l1, nat["name"], nat["prefix"]),
        *(("vm", l1, name) for name in guests),
    }

    project.pulumi("destroy", "--yes", "--skip-preview")
    state = json.loads(project.pulumi("stack", "export").stdout)
    assert not state["deployment"].get("resources")
    assert run_ps(emulator, image_hash) == hash_before  # the image itself is never written
    assert world_snapshot(emulator) == before


@pytest.mark.parametrize("stack", ["lab", "dev-example"])
def test_shipped_stack_previews_every_resource_without_error(
    stack: str, pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    emulator = hypervsim_server()
    project = pulumi_project(stack=stack)
    write_shipped_stack(project, stack, emulator)
    set_shipped_passwords(project, stack, emulator, GUEST_PASSWORD)

    preview = project.pulumi("preview", "--json")
    plan = json.loads(preview.stdout)
    errors = [d for d in plan.get("diagnostics") or [] if d.get("severity") == "error"]
    assert errors == [], errors
    creates = Counter(step["newState"]["type"] for step in plan["steps"] if step["op"] == "create")
    expected = expected_creates(stack)
    assert creates == expected
    assert plan["changeSummary"] == {"create": sum(expected.values())}
    assert vm_names(emulator) == []  # a preview makes nothing
