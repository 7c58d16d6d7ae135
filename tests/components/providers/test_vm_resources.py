"""The resource classes of the VM providers: typed args to a fresh props dict, providers
pickled by reference and without configuration (they go into state)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dill
import pulumi
import pytest

from components.config import HostRef
from components.providers.base import PREVIEW_INPUT
from components.providers.vm import Vm, VmArgs, VmProvider
from components.providers.vm_network_adapter import (
    VmNetworkAdapter,
    VmNetworkAdapterArgs,
    VmNetworkAdapterProvider,
)
from components.providers.vm_power_state import (
    VmPowerState,
    VmPowerStateArgs,
    VmPowerStateProvider,
)
from components.providers.vm_processor import VmProcessor, VmProcessorArgs, VmProcessorProvider


class Mocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.created: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.created.append(args)
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[Any]]:
        return {}, []


@pytest.mark.parametrize(
    "cls", [VmProvider, VmProcessorProvider, VmNetworkAdapterProvider, VmPowerStateProvider]
)
def test_provider_pickles_by_reference_without_configuration(
    cls: type[Any], provider_factory: Callable[[type[Any]], Any]
) -> None:
    provider = provider_factory(cls)
    assert provider.lab().hosts["l0"].password is not None
    data = dill.dumps(provider, protocol=dill.settings["protocol"], recurse=True)
    assert cls.__module__.encode() in data and b"password" not in data
    assert len(data) < 400
    assert dill.loads(data).__dict__ == {"_lab": None}


@pulumi.runtime.test
def test_resources_register_typed_inputs_with_declared_outputs() -> Any:
    mocks = Mocks()
    pulumi.runtime.set_mocks(mocks, preview=False)
    nested = HostRef.parse({"parent": "l0", "vm_name": "L1", "credential": "guest"})
    vm = Vm("l1", VmArgs(host="l0", name="L1 \u2018q\u2019", notes="n", owner="p/s"))
    cpu = VmProcessor(
        "cpu", VmProcessorArgs(host="l0", vm_name="L1", expose_virtualization_extensions=True)
    )
    nic = VmNetworkAdapter("nic", VmNetworkAdapterArgs(host=nested, vm_name="L2"))
    power = VmPowerState("power", VmPowerStateArgs(host="l0", vm_name="L1"))

    def check(_: Any) -> None:
        by_name = {r.name: r for r in mocks.created}
        assert by_name["l1"].typ == "pulumi-python:dynamic/hyperv:Vm"
        assert by_name["l1"].inputs["name"] == "L1 \u2018q\u2019"
        assert by_name["l1"].inputs["generation"] == 2
        assert by_name["cpu"].typ == "pulumi-python:dynamic/hyperv:VmProcessor"
        assert by_name["cpu"].inputs["expose_virtualization_extensions"] is True
        assert by_name["nic"].inputs["host"] == {
            "parent": {"host": "l0"},
            "vm_name": "L1",
            "credential": "guest",
        }
        assert by_name["power"].inputs["state"] == "Running"
        # Vm and VmProcessor check the host only in a preview: their registration says if it is.
        marks = {r.name: r.inputs.get(PREVIEW_INPUT, "absent") for r in mocks.created}
        assert marks == {"l1": False, "cpu": False, "nic": "absent", "power": "absent"}

    return pulumi.Output.all(vm.urn, cpu.urn, nic.urn, power.urn).apply(check)
