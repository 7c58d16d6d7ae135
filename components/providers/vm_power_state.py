"""`VmPowerState`: whether a VM is Running or Off.

Create and update start or stop the VM; read reports the actual state, so a VM stopped by hand
shows as drift in `pulumi refresh`; delete leaves the VM as it is. Identified by the VM's Id.

`starts` counts the times an update started the VM (it was not Running): with the restarts
of the VM's other resources it makes `NestedHost.boot`, which the resources inside an L1 take
as `parent_boot`, so an `up` that starts or restarts an L1 also starts its guests again and
re-measures what they report. A `parent_boot` not known yet (a preview) is no change: the
update that restarts the parent knows it, and its diff then runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pulumi import Input, Output
from pulumi.dynamic import DiffResult

from components.providers import api

PowerState = Literal["Running", "Off"]


@dataclass
class VmPowerStateArgs(api.VmSettingArgs):
    """Inputs of a `VmPowerState`, and the declaration of each property (`declared`)."""

    state: Input[PowerState] = api.declared(PowerState, "Running")
    """'Running' (Start-VM) or 'Off' (guest shutdown)."""
    parent_boot: Input[str | None] = api.declared(str | None, None)
    """`NestedHost.boot` of the L1 that runs the VM (None on an L0): a new boot starts it."""


VM_POWER_STATE_PROPERTIES = api.PropertySet.from_args(
    "VmPowerState",
    VmPowerStateArgs,
    computed=[
        api.VM_ID_PROP,
        api.Prop("starts", int, computed=True, doc="times an update started the VM"),
    ],
)


class VmPowerStateProvider(api.HostBoundProvider):
    """Starts or stops a VM to match the declared state."""

    properties = VM_POWER_STATE_PROPERTIES

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return super().diff(id_, olds, without_unknown_boot(olds, news))

    def create_object(self, op: api.Operation, inputs: api.Props) -> tuple[str, api.Props]:
        got = op.run(
            "apply",
            {"vm_id": None, "vm_name": inputs["vm_name"], "state": inputs["state"]},
            api.SETTING_VM_PRELUDE,
        )
        return got["vm_id"], {"vm_id": got["vm_id"], "starts": 0}

    def read_object(self, op: api.Operation, id_: str, props: api.Props) -> api.Props | None:
        got = op.run("get", {"vm_id": id_})
        if not got.get("exists"):
            return None
        return {"vm_name": got["vm_name"], "state": got["state"], "vm_id": got["vm_id"]}

    def update_object(
        self, op: api.Operation, id_: str, olds: api.Props, news: api.Props, diff: api.PropertyDiff
    ) -> api.Props:
        got = op.run(
            "apply",
            {"vm_id": id_, "vm_name": news["vm_name"], "state": news["state"]},
            api.SETTING_VM_PRELUDE,
        )
        started = got["previous_state"] != "Running" and got["state"] == "Running"
        return {"vm_id": got["vm_id"], "starts": (olds.get("starts") or 0) + int(started)}

    def delete_object(self, op: api.Operation, id_: str, props: api.Props) -> None:
        """Nothing to undo: the VM stays in whatever state it is in."""


def without_unknown_boot(olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
    """`news` with a `parent_boot` not known yet (preview) taken as the recorded one."""
    if api.is_unknown(news.get("parent_boot")):
        return {**news, "parent_boot": olds.get("parent_boot")}
    return news


class VmPowerState(api.HostBoundResource[VmPowerStateArgs], module="hyperv", name="VmPowerState"):
    """The power state of a Hyper-V VM, managed by `VmPowerStateProvider`."""

    vm_id: Output[str]
    state: Output[str]
    starts: Output[int]

    dynamic_provider = VmPowerStateProvider()
