"""Shape of the resource graph the components declare (Pulumi mocks; no host involved).

Only the graph is checked here: which children exist, their parents, what each waits for,
host-object names with the stack prefix, owner tags, and validation errors raised before
anything is registered. What the resources DO on a host is covered by the provider tests and
the end-to-end tests against the emulator.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pytest
from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks
from pulumi.runtime.mocks import MockMonitor

from components.base_image import BaseImage
from components.config import ImageSpec
from components.emulator_vm import EmulatorVm, EmulatorVmArgs
from components.lab import build_lab, check_guest_memory
from components.lab_config import parse_lab
from components.nat_network import NatGuest, NatNetwork, NatNetworkArgs
from components.nested_host import NestedHost, NestedHostArgs

DYN = "pulumi-python:dynamic/hyperv:"
OWNER_ID_KIND = "pulumi-python:dynamic/lab:StackOwnerId"
STATE_OWNER_ID = "5e0c2a9d-6b1f-4d3e-8a7c-0f9b2d4e6a81"  # what StackOwnerId's create made
IMAGE_PATH = "C:\\Images\\WS2022-Datacenter.vhdx"


def ws2022(host: str = "l0", **changes: Any) -> BaseImage:
    """The Windows Server 2022 image of the emulated L0 (`changes` alter its description)."""
    spec = {"host": host, "path": IMAGE_PATH, "os": "windows-server", "build": 20348,
            "generation": 2, **changes}  # fmt: skip
    return BaseImage("ws2022", ImageSpec.model_validate(spec))


@dataclass
class Registration:
    """One RegisterResource call as the engine would see it."""

    type: str
    name: str
    parent: str
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    replace_with: list[str] = field(default_factory=list)
    deleted_with: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.type.removeprefix(DYN)


class RecordingMonitor(MockMonitor):
    """The SDK's mock monitor, also keeping parents and dependencies of every registration."""

    def __init__(self, mocks: Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.registrations.append(
                Registration(
                    type=request.type,
                    name=request.name,
                    parent=request.parent,
                    dependencies=list(request.dependencies),
                    property_dependencies={
                        k: list(v.urns) for k, v in request.propertyDependencies.items()
                    },
                    replace_with=list(request.replace_with),
                    deleted_with=request.deletedWith,
                )
            )
        return response


class HyperVMocks(Mocks):
    """Echo inputs as outputs and make up the computed values each provider would return."""

    def __init__(self) -> None:
        self.inputs: dict[str, dict[str, Any]] = {}

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = {k: v for k, v in args.inputs.items() if k != "__provider"}
        self.inputs[args.name] = inputs
        outs = dict(inputs)
        kind = args.typ.removeprefix(DYN)
        if kind == "Vm":
            outs.update(vm_id=f"guid-{inputs['name']}", state="Off")
        elif kind == "VmSwitch":
            outs.update(switch_id="sw", host_adapter=f"vEthernet ({inputs['name']})")
        elif kind == "VmNetworkAdapter":
            outs.update(mac_address="00155D000001")
        elif kind == "WindowsFeature":
            outs.update(installed=True, restart_needed=False)
        elif kind == "GuestNetworkConfig":
            outs.update(internet_reachable=True)
        elif kind == OWNER_ID_KIND:
            outs.update(owner_id=STATE_OWNER_ID)
        return f"{args.name}-id", outs

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


@dataclass
class MockedStack:
    """A mocked Pulumi runtime for one stack; `run(program)` runs it to completion."""

    monitor: RecordingMonitor
    mocks: HyperVMocks

    def run(self, program: Callable[[], Any]) -> Any:
        result: dict[str, Any] = {}

        @pulumi.runtime.test
        def _program() -> Any:
            value = program()
            return pulumi.Output.from_input(value).apply(lambda v: result.setdefault("v", v))

        _program()
        return result.get("v")

    def by_name(self, name: str) -> Registration:
        found = [r for r in self.monitor.registrations if r.name == name]
        assert len(found) == 1, f"{name}: {[r.name for r in self.monitor.registrations]}"
        found[0].inputs = self.mocks.inputs.get(name, {})
        return found[0]

    def urn_of(self, name: str) -> str:
        reg = self.by_name(name)
        return self.monitor.make_urn(reg.parent, reg.type, reg.name)


StackFactory = Callable[..., MockedStack]
_counter = iter(range(10_000))


@pytest.fixture
def mocked_stack() -> Iterator[StackFactory]:
    """Factory: `mocked_stack(prefix="dev-a-", preview=False)` sets up the mocked runtime."""

    def make(prefix: str = "", preview: bool = False, stack: str | None = None) -> MockedStack:
        mocks = HyperVMocks()
        monitor = RecordingMonitor(mocks)
        pulumi.runtime.set_mocks(
            mocks,
            project="hyperv-lab",
            stack=stack or f"t{next(_counter)}",
            preview=preview,
            monitor=monitor,
        )
        pulumi.runtime.set_all_config({"hyperv-lab:prefix": prefix} if prefix else {})
        return MockedStack(monitor, mocks)

    yield make
    pulumi.runtime.set_all_config({})


# -- NestedHost -------------------------------------------------------------------------------


def test_nested_host_children_order_and_host_output(mocked_stack: StackFactory) -> None:
    stack = mocked_stack(prefix="dev-a-")

    def program() -> Any:
        nh = NestedHost(
            "l1",
            NestedHostArgs(
                host="l0",
                image=ws2022(),
                credential="lab-admin",
                switch_name="External",
                cpu_count=4,
            ),
        )
        return pulumi.Output.all(nh.host, nh.vm_name, nh.vm_id, nh.adapters, nh.state)

    host, vm_name, vm_id, adapters, state = stack.run(program)
    component = stack.urn_of("l1")
    kinds = {r.name: r.kind for r in stack.monitor.registrations}
    assert kinds == {
        "l1": "hyperv-lab:index:NestedHost",
        "l1-vm": "Vm",
        "l1-processor": "VmProcessor",
        "l1-adapter": "VmNetworkAdapter",
        "l1-power": "VmPowerState",
        "l1-hyper-v": "WindowsFeature",
        "stack-owner-id": OWNER_ID_KIND,  # no hyperv-lab:owner_id: the id kept in state
    }
    for child in ("l1-vm", "l1-processor", "l1-adapter", "l1-power", "l1-hyper-v"):
        assert stack.by_name(child).parent == component, child

    vm = stack.by_name("l1-vm").inputs
    assert vm["name"] == "dev-a-l1" and vm["host"] == "l0"
    assert vm["owner"] == f"hyperv-lab/{pulumi.get_stack()}/{STATE_OWNER_ID}"
    assert vm["dynamic_memory"] is False  # nesting needs static memory
    # Booted from the image: a differencing disk with an answer file for the credential.
    assert (vm["image"], vm["image_path"], vm["disk"], vm["generalized"]) == (
        "ws2022",
        IMAGE_PATH,
        "differencing",
        True,
    )
    assert (vm["credential"], vm.get("computer_name"), vm["time_zone"]) == (
        "lab-admin",
        None,
        "UTC",
    )
    processor = stack.by_name("l1-processor")
    assert processor.inputs["expose_virtualization_extensions"] is True
    assert processor.inputs["count"] == 4
    assert stack.urn_of("l1-vm") in processor.dependencies  # vm_name comes from the Vm
    adapter = stack.by_name("l1-adapter").inputs
    assert adapter["switch_name"] == "External" and adapter["mac_address_spoofing"] is True
    # Started only after the Off-only settings; Hyper-V installed only once it runs.
    # Settings follow the VM: replaced with it, not deleted separately after it.
    for setting in ("l1-processor", "l1-adapter", "l1-power", "l1-hyper-v"):
        reg = stack.by_name(setting)
        assert reg.replace_with == [stack.urn_of("l1-vm")], setting
        assert reg.deleted_with == stack.urn_of("l1-vm"), setting
    power = stack.by_name("l1-power")
    assert {stack.urn_of("l1-processor"), stack.urn_of("l1-adapter")} <= set(power.dependencies)
    feature = stack.by_name("l1-hyper-v")
    assert stack.urn_of("l1-power") in feature.dependencies
    assert feature.inputs["host"] == {
        "parent": "l0",
        "vm_name": "dev-a-l1",
        "credential": "lab-admin",
    }
    assert feature.inputs["name"] == "Hyper-V" and feature.inputs["restart"] is True

    assert host == {"parent": "l0", "vm_name": "dev-a-l1", "credential": "lab-admin"}
    assert (vm_name, vm_id, state) == ("dev-a-l1", "guid-dev-a-l1", "Running")
    assert adapters == [
        {
            "name": "Network Adapter",
            "switch_name": "External",
            "mac_address": "00155D000001",
            "mac_address_spoofing": True,
        }
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        # The args are checked by the model a lab entry is checked by: the same words.
        ({"cpu_count": 0}, "NestedHostArgs.cpu_count: 0 is out of range (allowed: 1 to 2048)"),
        (
            {"memory_startup_mb": 100},
            "NestedHostArgs.memory_startup_mb: 100 is out of range (allowed: 512 to",
        ),
        (
            {"memory_startup_mb": 4095},
            "NestedHostArgs.memory_startup_mb: 4095 is not allowed (allowed: a multiple of 2)",
        ),
        ({"generation": 3}, "NestedHostArgs.generation: 3 is not allowed (allowed: 1 or 2)"),
        ({"credential": ""}, "NestedHostArgs.credential: String should have at least 1"),
        ({"cpus": 2}, "NestedHostArgs.cpus: unknown key (allowed: host, image, vm_name,"),
        (
            {"image": ws2022(build=9600)},
            "NestedHost 'bad' image: image 'ws2022' is windows-server build 9600, which cannot "
            "run Hyper-V inside a VM (nested virtualization needs build 14393 or later)",
        ),
        (
            {"image": ws2022(generation=1)},
            "NestedHost 'bad' image: 'ws2022' is for generation 1 VMs, the VM is generation 2",
        ),
        (
            {"image": ws2022("l9")},
            "NestedHost 'bad' image: 'ws2022' is on host 'l9', not on 'l0'",
        ),
        (
            {"image": "ws2019"},
            "hyperv-lab:images: unknown image 'ws2019' (known: none configured)",
        ),
    ],
)
def test_nested_host_refuses_bad_args_before_registering(
    mocked_stack: StackFactory, change: dict[str, Any], message: str
) -> None:
    stack = mocked_stack()
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        NestedHost(
            "bad",
            NestedHostArgs(**{"host": "l0", "image": ws2022("l0"), "credential": "c", **change}),
        )
    assert stack.monitor.registrations == []


def test_nested_host_takes_an_image_by_name_from_stack_config(mocked_stack: StackFactory) -> None:
    stack = mocked_stack()
    spec = ws2022().spec.model_dump()
    pulumi.runtime.set_all_config({"hyperv-lab:images": json.dumps({"ws": spec})})
    stack.run(
        lambda: (
            NestedHost(
                "l1",
                NestedHostArgs(
                    host="l0", image="ws", credential="c", disk="copy", computer_name="LAB-L1"
                ),
            ).vm_name
        )
    )
    vm = stack.by_name("l1-vm").inputs
    assert (vm["image"], vm["image_path"], vm["disk"], vm["computer_name"]) == (
        "ws",
        IMAGE_PATH,
        "copy",
        "LAB-L1",
    )


# -- NatNetwork -------------------------------------------------------------------------------


def test_nat_network_on_l0_switch_gateway_nat_then_guests(mocked_stack: StackFactory) -> None:
    stack = mocked_stack(prefix="dev-b-")

    def program() -> Any:
        nat = NatNetwork(
            "nat",
            NatNetworkArgs(
                host="l0",
                prefix="192.168.100.0/24",
                dns_servers=["8.8.8.8"],
                guests=[NatGuest(vm_name="g1", ip_address="192.168.100.10", credential="c")],
            ),
        )
        return pulumi.Output.all(nat.switch_name, nat.gateway, nat.prefix_length, nat.guests)

    switch_name, gateway, prefix_length, guests = stack.run(program)
    component = stack.urn_of("nat")
    for child in ("nat-switch", "nat-gateway", "nat-nat", "nat-g1"):
        assert stack.by_name(child).parent == component, child
    switch = stack.by_name("nat-switch").inputs
    assert (switch["host"], switch["name"], switch["switch_type"]) == (
        "l0",
        "dev-b-nat",
        "Internal",
    )
    ip = stack.by_name("nat-gateway")
    assert ip.inputs["interface_alias"] == "vEthernet (dev-b-nat)"
    assert ip.inputs["ip_address"] == "192.168.100.1" and ip.inputs["prefix_length"] == 24
    assert stack.urn_of("nat-switch") in ip.dependencies
    assert ip.replace_with == [stack.urn_of("nat-switch")]
    nat = stack.by_name("nat-nat")
    assert nat.inputs["internal_prefix"] == "192.168.100.0/24"
    assert nat.inputs["name"] == "dev-b-nat"
    assert stack.urn_of("nat-gateway") in nat.dependencies
    guest = stack.by_name("nat-g1")
    assert stack.urn_of("nat-nat") in guest.dependencies
    assert guest.inputs["gateway"] == "192.168.100.1"
    assert guest.inputs["dns_servers"] == ["8.8.8.8"]
    assert guest.inputs["host"] == "l0" and guest.inputs["credential"] == "c"
    assert (switch_name, gateway, prefix_length) == ("dev-b-nat", "192.168.100.1", 24)
    assert guests == [{"vm_name": "g1", "ip_address": "192.168.100.10", "internet_reachable": True}]


def test_nat_network_on_nested_host_targets_the_l1(mocked_stack: StackFactory) -> None:
    stack = mocked_stack()

    def program() -> Any:
        nh = NestedHost("l1", NestedHostArgs(host="l0", image=ws2022("l0"), credential="adm"))
        nat = NatNetwork("nat", NatNetworkArgs(host=nh, prefix="10.10.0.0/16"))
        return nat.host

    host = stack.run(program)
    assert host == {"parent": "l0", "vm_name": "l1", "credential": "adm"}
    switch = stack.by_name("nat-switch")
    assert switch.inputs["host"] == host
    # The NAT on the L1 waits for Hyper-V inside the L1.
    assert stack.urn_of("l1-hyper-v") in switch.dependencies


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"prefix": "192.168.100.1/24"}, "prefix: '192.168.100.1/24' is not an IPv4 network"),
        ({"prefix": "10.0.0.0/31"}, "allowed: /1 to /30"),
        ({"prefix": "banana"}, "prefix: 'banana' is not an IPv4 network"),
        ({"gateway": "10.0.1.1"}, "gateway: 10.0.1.1 is outside 10.0.0.0/24"),
        ({"gateway": "10.0.0.255"}, "gateway: 10.0.0.255 is the broadcast address"),
        ({"gateway": "10.0.0.0"}, "gateway: 10.0.0.0 is the network address"),
        (
            {"guests": [NatGuest(vm_name="a", ip_address="10.0.0.1", credential="c")]},
            "guests[0].ip_address: 10.0.0.1 is already used by gateway",
        ),
        (
            {
                "guests": [
                    NatGuest(vm_name="a", ip_address="10.0.0.5", credential="c"),
                    NatGuest(vm_name="b", ip_address="10.0.0.5", credential="c"),
                ]
            },
            "guests[1].ip_address: 10.0.0.5 is already used by guests[0].ip_address",
        ),
    ],
)
def test_nat_network_refuses_bad_address_plans_before_registering(
    mocked_stack: StackFactory, args: dict[str, Any], message: str
) -> None:
    stack = mocked_stack()
    full = {"host": "l0", "prefix": "10.0.0.0/24", **args}
    with pytest.raises(ValueError) as caught:
        NatNetwork("bad", NatNetworkArgs(**full))
    assert message in str(caught.value)
    assert stack.monitor.registrations == []


def test_nat_network_on_an_l0_is_deleted_on_its_own(mocked_stack: StackFactory) -> None:
    stack = mocked_stack()
    stack.run(lambda: NatNetwork("lan", NatNetworkArgs(host="l0", prefix="10.2.0.0/24")).nat_name)
    for name in ("lan-switch", "lan-gateway", "lan-nat"):
        assert stack.by_name(name).deleted_with == "", name


def test_second_nat_on_one_host_is_refused(mocked_stack: StackFactory) -> None:
    mocked_stack()
    NatNetwork("first", NatNetworkArgs(host="l0", prefix="10.1.0.0/24"))
    with pytest.raises(ValueError, match=r"'l0' already has NatNetwork 'first'.*overlaps"):
        NatNetwork("second", NatNetworkArgs(host="l0", prefix="10.1.0.0/16"))


# -- EmulatorVm -------------------------------------------------------------------------------


def test_emulator_vm_on_the_nat_of_a_nested_host(mocked_stack: StackFactory) -> None:
    stack = mocked_stack(prefix="dev-a-")

    def program() -> Any:
        nh = NestedHost("l1", NestedHostArgs(host="l0", image=ws2022("l0"), credential="adm"))
        nat = NatNetwork(
            "nat", NatNetworkArgs(host=nh, prefix="192.168.50.0/24", dns_servers=["1.1.1.1"])
        )
        emu = EmulatorVm(
            "phone",
            EmulatorVmArgs(
                image=ws2022(), nat_network=nat, ip_address="192.168.50.20", credential="g"
            ),
        )
        return pulumi.Output.all(emu.vm_name, emu.ip_address, emu.internet_reachable)

    vm_name, ip, reachable = stack.run(program)
    assert (vm_name, ip, reachable) == ("dev-a-phone", "192.168.50.20", True)
    component = stack.urn_of("phone")
    for child in ("phone-vm", "phone-adapter", "phone-power", "phone-network"):
        assert stack.by_name(child).parent == component, child
    l1 = {"parent": "l0", "vm_name": "dev-a-l1", "credential": "adm"}
    vm = stack.by_name("phone-vm")
    assert vm.inputs["host"] == l1 and vm.inputs["name"] == "dev-a-phone"
    assert vm.inputs["owner"] == f"hyperv-lab/{pulumi.get_stack()}/{STATE_OWNER_ID}"
    assert stack.urn_of("l1-hyper-v") in vm.dependencies
    assert stack.urn_of("nat-switch") in vm.dependencies  # deleted before the switch
    # Everything inside the L1 goes with it: a destroy skips their deletes (the L1 may be Off).
    for inside in ("phone-vm", "nat-switch", "nat-gateway", "nat-nat"):
        assert stack.by_name(inside).deleted_with == stack.urn_of("l1-vm"), inside
    adapter = stack.by_name("phone-adapter")
    assert adapter.inputs["switch_name"] == "dev-a-nat"
    assert stack.urn_of("nat-switch") in adapter.dependencies
    assert set(adapter.replace_with) == {stack.urn_of("phone-vm"), stack.urn_of("nat-switch")}
    power = stack.by_name("phone-power")
    assert stack.urn_of("phone-adapter") in power.dependencies
    # The image on the L0 is copied into the L1 (once, after Hyper-V is in), then used there.
    copy = stack.by_name("l1-image-ws2022")
    assert copy.parent == stack.urn_of("l1")
    assert copy.deleted_with == stack.urn_of("l1-vm")
    assert copy.inputs["host"] == "l0" and copy.inputs["vm_name"] == "dev-a-l1"
    assert copy.inputs["guest"] == l1
    assert copy.inputs["source_path"] == IMAGE_PATH
    assert copy.inputs["destination_path"] == IMAGE_PATH  # C:\Images\ inside the L1 too
    assert stack.urn_of("l1-hyper-v") in copy.dependencies
    assert vm.inputs["image_path"] == IMAGE_PATH and vm.inputs["credential"] == "g"
    assert stack.urn_of("l1-image-ws2022") in vm.dependencies
    network = stack.by_name("phone-network")
    assert {stack.urn_of("phone-power"), stack.urn_of("nat-nat")} <= set(network.dependencies)
    assert network.inputs["gateway"] == "192.168.50.1"
    assert network.inputs["prefix_length"] == 24
    assert network.inputs["dns_servers"] == ["1.1.1.1"]
    assert network.inputs["credential"] == "g" and network.inputs["host"] == l1


def test_emulator_vm_addresses_are_checked_against_the_nat(mocked_stack: StackFactory) -> None:
    mocked_stack()
    nat = NatNetwork("nat", NatNetworkArgs(host="l9", prefix="192.168.60.0/24"))
    EmulatorVm(
        "a",
        EmulatorVmArgs(
            image=ws2022("l9"), nat_network=nat, ip_address="192.168.60.10", credential="g"
        ),
    )
    with pytest.raises(ValueError, match=r"EmulatorVm 'b' ip_address: .* already used by"):
        EmulatorVm(
            "b",
            EmulatorVmArgs(
                image=ws2022("l9"), nat_network=nat, ip_address="192.168.60.10", credential="g"
            ),
        )
    with pytest.raises(ValueError, match=r"EmulatorVm 'c' ip_address: .*is outside"):
        EmulatorVm(
            "c",
            EmulatorVmArgs(
                image=ws2022("l9"), nat_network=nat, ip_address="10.0.0.1", credential="g"
            ),
        )
    with pytest.raises(ValueError, match=r"EmulatorVm 'd' ip_address: .*already used by gateway"):
        EmulatorVm(
            "d",
            EmulatorVmArgs(
                image=ws2022("l9"), nat_network=nat, ip_address="192.168.60.1", credential="g"
            ),
        )


def test_two_components_never_name_the_same_vm_on_one_host(mocked_stack: StackFactory) -> None:
    """The provider adopts VMs tagged with the stack's own owner, so a second component with
    the same VM name on the same host would silently share the first one's VM."""
    mocked_stack(prefix="dev-a-")
    NestedHost("a", NestedHostArgs(host="l0", image=ws2022("l0"), credential="adm", vm_name="hv"))
    with pytest.raises(
        ValueError,
        match=r"NestedHost 'b' vm_name: 'dev-a-HV' on 'l0' is already the VM of NestedHost 'a'",
    ):
        # Hyper-V compares VM names ignoring case.
        NestedHost(
            "b", NestedHostArgs(host="l0", image=ws2022("l0"), credential="adm", vm_name="HV")
        )
    NestedHost(
        "c", NestedHostArgs(host="l9", image=ws2022("l9"), credential="adm", vm_name="hv")
    )  # another host
    # Same component name under another parent (another URN): still the same VM.
    group = pulumi.ComponentResource("test:index:Group", "group")
    with pytest.raises(ValueError, match=r"NestedHost 'c' vm_name: 'dev-a-hv' on 'l9' .* 'c'"):
        NestedHost(
            "c",
            NestedHostArgs(host="l9", image=ws2022("l9"), credential="adm", vm_name="hv"),
            pulumi.ResourceOptions(parent=group),
        )

    # An L2 on a NAT of the L0 itself competes with the L1s there; one on an L1 does not.
    on_l0 = NatNetwork("nat0", NatNetworkArgs(host="l0", prefix="192.168.70.0/24"))
    with pytest.raises(ValueError, match=r"EmulatorVm 'x' vm_name: 'dev-a-hv' on 'l0' .* 'a'"):
        EmulatorVm(
            "x",
            EmulatorVmArgs(
                image=ws2022(),
                nat_network=on_l0,
                ip_address="192.168.70.10",
                credential="g",
                vm_name="hv",
            ),
        )
    l1 = NestedHost("l1", NestedHostArgs(host="l0", image=ws2022("l0"), credential="adm"))
    on_l1 = NatNetwork("nat1", NatNetworkArgs(host=l1, prefix="192.168.71.0/24"))
    EmulatorVm(
        "y",
        EmulatorVmArgs(
            image=ws2022(),
            nat_network=on_l1,
            ip_address="192.168.71.10",
            credential="g",
            vm_name="hv",
        ),
    )
    with pytest.raises(ValueError, match=r"EmulatorVm 'z' vm_name: 'dev-a-hv' on 'l1' .* 'y'"):
        EmulatorVm(
            "z",
            EmulatorVmArgs(
                image=ws2022(),
                nat_network=on_l1,
                ip_address="192.168.71.11",
                credential="g",
                vm_name="hv",
            ),
        )


# -- the whole lab from config ----------------------------------------------------------------

IMAGES = {"ws2022": ws2022().spec}
DEMO_LAB = {
    "nested_hosts": [
        {
            "name": "hv-l1",
            "host": "l0",
            "credential": "lab-admin",
            "image": "ws2022",
            "switch": "External",
            "memory_startup_mb": 6144,  # its own 2048 MB and two 2048 MB guests
        }
    ],
    "nat_networks": [
        {
            "name": "lab-nat",
            "host": "hv-l1",
            "prefix": "192.168.100.0/24",
            "dns_servers": ["8.8.8.8"],
        }
    ],
    "emulator_vms": [
        {
            "name": "guest-1",
            "nat_network": "lab-nat",
            "ip_address": "192.168.100.11",
            "image": "ws2022",
        },
        {
            "name": "guest-2",
            "nat_network": "lab-nat",
            "ip_address": "192.168.100.12",
            "image": "ws2022",
            "disk": "copy",
        },
    ],
}


def test_two_stacks_with_prefixes_declare_disjoint_host_objects(
    mocked_stack: StackFactory,
) -> None:
    names: dict[str, set[str]] = {}
    for prefix in ("dev-a-", "dev-b-"):
        stack = mocked_stack(prefix=prefix)
        lab = parse_lab(
            json.dumps(DEMO_LAB),
            hosts=["l0"],
            credentials=["lab-admin"],
            images=IMAGES,
            prefix=prefix,
        )
        stack.run(lambda lab=lab: build_lab(lab).emulator_vms["guest-2"].vm_name)
        on_host = {
            stack.mocks.inputs[r.name]["name"]
            for r in stack.monitor.registrations
            if r.kind in ("Vm", "VmSwitch", "NetNat")
        }
        assert all(n.startswith(prefix) for n in on_host), on_host
        names[prefix] = {n.removeprefix(prefix) for n in on_host}
    assert names["dev-a-"] == names["dev-b-"] == {"hv-l1", "lab-nat", "guest-1", "guest-2"}


def test_demo_lab_builds_the_seed_topology(mocked_stack: StackFactory) -> None:
    stack = mocked_stack()
    lab = parse_lab(DEMO_LAB, hosts=["l0"], credentials=["lab-admin"], images=IMAGES)
    stack.run(lambda: build_lab(lab).nat_networks["lab-nat"].switch_name)
    kinds = sorted(r.kind for r in stack.monitor.registrations)
    assert kinds == sorted(
        ["hyperv-lab:index:NestedHost", "Vm", "VmProcessor", "VmNetworkAdapter"]
        + ["VmPowerState", "WindowsFeature", "GuestImage"]  # one copy for both guests
        + ["hyperv-lab:index:NatNetwork", "VmSwitch", "NetIpAddress", "NetNat"]
        + 2 * ["hyperv-lab:index:EmulatorVm", "Vm", "VmNetworkAdapter", "VmPowerState"]
        + 2 * ["GuestNetworkConfig"]
        + [OWNER_ID_KIND]
    )
    # Guest credential defaults to the nested host's.
    assert stack.by_name("guest-1-network").inputs["credential"] == "lab-admin"
    assert stack.by_name("guest-1-vm").inputs["credential"] == "lab-admin"
    assert [stack.by_name(f"guest-{i}-vm").inputs["disk"] for i in (1, 2)] == [
        "differencing",
        "copy",
    ]


def test_claims_last_one_program_run(mocked_stack: StackFactory) -> None:
    """The next run of the same stack in the same process (automation, tests) starts with no
    claims: the VM name and the NAT's host are its own again."""
    for _ in range(2):
        mocked_stack(stack="same")
        NestedHost("a", NestedHostArgs(host="l0", image=ws2022("l0"), credential="c", vm_name="hv"))
        NatNetwork("nat", NatNetworkArgs(host="l0", prefix="192.168.80.0/24"))
    with pytest.raises(ValueError, match="already the VM of NestedHost 'a'"):
        NestedHost("b", NestedHostArgs(host="l0", image=ws2022("l0"), credential="c", vm_name="hv"))


def test_an_l1_too_small_for_its_guests_is_refused_before_anything_is_declared() -> None:
    lab = parse_lab(DEMO_LAB, hosts=["l0"], credentials=["lab-admin"], images=IMAGES)
    check_guest_memory(lab.spec)  # 2048 + 2048 + 2048 for the L1 itself = 6144: fits
    small = json.loads(json.dumps(DEMO_LAB))
    small["nested_hosts"][0]["memory_startup_mb"] = 6142
    lab = parse_lab(small, hosts=["l0"], credentials=["lab-admin"], images=IMAGES)
    with pytest.raises(ValueError) as info:
        check_guest_memory(lab.spec)
    assert str(info.value) == (
        "hyperv-lab:lab.nested_hosts[0]: "
        "NestedHost 'hv-l1' memory_startup_mb: 6142 cannot run the VMs declared inside it: "
        "guest-1 2048 + guest-2 2048 + 2048 for the L1's own Windows = 6144 MB (allowed: 6144 "
        "or more, or smaller or fewer VMs inside it)"
    )
