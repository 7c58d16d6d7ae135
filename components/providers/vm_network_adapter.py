"""`VmNetworkAdapter`: which switch a VM's network adapter is on, and MAC address spoofing.

Manages an adapter that exists on the VM (the `Vm` provider creates "Network Adapter"); it is
identified by the adapter's Id. Spoofing On on an L1's adapters lets its L2 guests reach the
outside (FACTS 1). Delete disconnects the adapter (tolerant of a VM or adapter already gone).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pulumi import Input, Output
from pydantic import Field

from components.providers import api

_NAME = Annotated[str, Field(min_length=1)]


@dataclass
class VmNetworkAdapterArgs(api.VmSettingArgs):
    """Inputs of a `VmNetworkAdapter`, and the declaration of each property (`declared`)."""

    adapter_name: Input[str] = api.declared(_NAME, "Network Adapter", replaces=True)
    """Name of the adapter on the VM; changing it replaces the resource."""
    switch_name: Input[str | None] = api.declared(_NAME | None, None)
    """Virtual switch to connect the adapter to; None leaves it disconnected."""
    mac_address_spoofing: Input[bool] = api.declared(bool, False)
    """MAC address spoofing (On for an L1 whose L2 guests use the L0 switch directly)."""


VM_NETWORK_ADAPTER_PROPERTIES = api.PropertySet.from_args(
    "VmNetworkAdapter",
    VmNetworkAdapterArgs,
    computed=[
        api.VM_ID_PROP,
        api.Prop("mac_address", str, computed=True, doc="the adapter's MAC address"),
    ],
)


class VmNetworkAdapterProvider(api.HostBoundProvider):
    """Connects an existing VM adapter and sets its MAC address spoofing."""

    properties = VM_NETWORK_ADAPTER_PROPERTIES

    def create_object(self, op: api.Operation, inputs: api.Props) -> tuple[str, api.Props]:
        got = self.run_described(
            op,
            "apply",
            {**_wanted(inputs), "vm_id": None, "adapter_id": None},
            api.SETTING_VM_PRELUDE,
        )
        return got["adapter_id"], _computed(got)

    def read_object(self, op: api.Operation, id_: str, props: api.Props) -> api.Props | None:
        got = self.run_described(op, "get", {"vm_id": props.get("vm_id"), "adapter_id": id_})
        if not got.get("exists"):
            return None
        return {
            "vm_name": got["vm_name"],
            "adapter_name": got["adapter_name"],
            "switch_name": got["switch_name"],
            "mac_address_spoofing": got["mac_address_spoofing"],
            **_computed(got),
        }

    def update_object(
        self, op: api.Operation, id_: str, olds: api.Props, news: api.Props, diff: api.PropertyDiff
    ) -> api.Props:
        got = self.run_described(
            op,
            "apply",
            {**_wanted(news), "vm_id": olds["vm_id"], "adapter_id": id_},
            api.SETTING_VM_PRELUDE,
        )
        return _computed(got)

    def delete_object(self, op: api.Operation, id_: str, props: api.Props) -> None:
        self.run_described(op, "delete", {"vm_id": props.get("vm_id"), "adapter_id": id_})


def _wanted(inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "vm_name": inputs["vm_name"],
        "adapter_name": inputs["adapter_name"],
        "switch_name": inputs.get("switch_name"),
        "mac_address_spoofing": inputs["mac_address_spoofing"],
    }


def _computed(got: dict[str, Any]) -> dict[str, Any]:
    return {"vm_id": got["vm_id"], "mac_address": got["mac_address"]}


class VmNetworkAdapter(
    api.HostBoundResource[VmNetworkAdapterArgs], module="hyperv", name="VmNetworkAdapter"
):
    """A VM network adapter's switch and spoofing, managed by `VmNetworkAdapterProvider`."""

    vm_id: Output[str]
    mac_address: Output[str]
    switch_name: Output[str | None]
    mac_address_spoofing: Output[bool]

    dynamic_provider = VmNetworkAdapterProvider()
