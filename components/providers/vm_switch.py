"""`VmSwitch`: a Hyper-V virtual switch (Internal, Private or External) on a host.

Every input but `adopt_existing` forces a replacement: Hyper-V cannot turn one switch type
into another in place in a way a lab can rely on, and the name is the switch's identity here.
An Internal switch gives the host a vNIC named `vEthernet (<name>)` (output `host_adapter`),
the interface a `NetIpAddress` gateway goes on.

A create whose reply was lost is recognised by re-reading the switch by name (same type and
uplink = made by that create); if the host cannot be re-read then, the next create adopts it
(see `PendingCreates`). A switch that was there before is refused unless `adopt_existing`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
from pulumi import Input, Output

from components.providers import api

SwitchType = Literal["Internal", "Private", "External"]


@dataclass
class VmSwitchArgs:
    """Inputs of a `VmSwitch`, and the declaration of each property (`declared`)."""

    host: Input[str | Mapping[str, Any]] = api.declared_as(api.HOST_PROP)
    """Host that gets the switch: a configured host name (`"l0"`) or a NestedHost's `host`."""
    name: Input[str] = api.declared(str, replaces=True)
    """Switch name, stored exactly (changing it replaces the switch)."""
    switch_type: Input[SwitchType] = api.declared(SwitchType, "Internal", replaces=True)
    """Internal (host vNIC, for NAT), Private (VMs only) or External (bound to a NIC)."""
    net_adapter_name: Input[str | None] = api.declared(str | None, None, replaces=True)
    """External only: the host's physical adapter to bind, e.g. "Ethernet"."""
    adopt_existing: Input[bool] = api.declared_as(api.ADOPT_PROP)
    """Manage a switch of this name that already exists instead of failing."""


VM_SWITCH = api.PropertySet.from_args(
    "VmSwitch",
    VmSwitchArgs,
    computed=[
        api.Prop("switch_id", str, computed=True, doc="Hyper-V's switch GUID"),
        api.Prop("host_adapter", str | None, computed=True, doc="the host vNIC, if any"),
    ],
)


class VmSwitchProvider(api.HostBoundProvider):
    """Creates, adopts, reads and removes one virtual switch, matched by its exact name."""

    properties = VM_SWITCH

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.CheckResult:
        result = super().check(olds, news)
        if result.failures:
            return result
        kind = result.inputs.get("switch_type")
        uplink = result.inputs.get("net_adapter_name")
        if api.is_unknown(kind) or api.is_unknown(uplink):
            return result
        if kind == "External" and not uplink:
            result.failures.append(
                pulumi.dynamic.CheckFailure(
                    "net_adapter_name", "an External switch needs the physical adapter to bind to"
                )
            )
        elif kind != "External" and uplink:
            result.failures.append(
                pulumi.dynamic.CheckFailure(
                    "net_adapter_name", f"only an External switch binds an adapter, not {kind}"
                )
            )
        return result

    def create_object(self, op: api.Operation, inputs: api.Props) -> tuple[str, api.Props]:
        got = self.run_described(
            op,
            "create",
            {k: inputs.get(k) for k in ("name", "switch_type", "net_adapter_name")},
        )
        where = op.ref.label()
        if got["status"] == "exists":
            op.require_adoptable(inputs, f"VmSwitch '{inputs['name']}'")
            if got["switch_type"] != inputs["switch_type"]:
                raise api.ProviderError(
                    f"VmSwitch '{inputs['name']}' on {where} is {got['switch_type']}, not "
                    f"{inputs['switch_type']}: adopting it would mean replacing it"
                )
        return got["switch_id"], _computed(got)

    def find_created(self, op: api.Operation, inputs: api.Props) -> tuple[str, api.Props] | None:
        actual = self.read_as_declared(op, "", inputs)
        return None if actual is None else (actual["switch_id"], _computed(actual))

    def read_object(self, op: api.Operation, id_: str, props: api.Props) -> api.Props | None:
        got = self.run_described(op, "get", {"name": props["name"]})
        if not got["exists"]:
            return None
        actual = _computed(got)
        actual["switch_type"] = got["switch_type"]
        if got["switch_type"] == "External":
            actual["net_adapter_name"] = got.get("net_adapter_name")
        else:
            actual["net_adapter_name"] = None
        return actual

    def update_object(
        self, op: api.Operation, id_: str, olds: api.Props, news: api.Props, diff: api.PropertyDiff
    ) -> api.Props:
        # Only adopt_existing can change in place; it changes nothing on the host.
        return {name: olds.get(name) for name in VM_SWITCH.computed_names()}

    def delete_object(self, op: api.Operation, id_: str, props: api.Props) -> None:
        self.run_described(op, "delete", {"name": props["name"]})


def _computed(got: dict[str, Any]) -> dict[str, Any]:
    return {"switch_id": got["switch_id"], "host_adapter": got.get("host_adapter")}


_PROVIDER = VmSwitchProvider()


class VmSwitch(api.HostBoundResource[VmSwitchArgs], module="hyperv", name="VmSwitch"):
    """A Hyper-V virtual switch on a host."""

    host: Output[Any]
    name: Output[str]
    switch_type: Output[str]
    net_adapter_name: Output[str | None]
    adopt_existing: Output[bool]
    switch_id: Output[str]
    host_adapter: Output[str | None]

    dynamic_provider = _PROVIDER


__all__ = ["VM_SWITCH", "SwitchType", "VmSwitch", "VmSwitchArgs", "VmSwitchProvider"]
