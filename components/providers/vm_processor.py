"""`VmProcessor`: a VM's virtual processor count and ExposeVirtualizationExtensions (nesting).

Both settings change only while the VM is Off (FACTS 1); `stop_policy` decides what happens
when the VM runs. Identified by the VM's Id. Delete leaves the settings as they are (the VM's
own delete removes them).

Turning nesting on is checked at preview against what the host supports (one read of the
host). Only at preview (the program marks registrations with `PREVIEW_INPUT`): in an update the
host refuses Set-VMProcessor itself, and only then is the host read, to say why.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from pulumi import Input, Output
from pulumi.dynamic import CheckFailure, DiffResult
from pydantic import Field

from components.nesting_support import nesting_refusal
from components.providers import api
from components.remote import PowerShellError, RemoteError

log = logging.getLogger(__name__)


@dataclass
class VmProcessorArgs(api.VmSettingArgs):
    """Inputs of a `VmProcessor`, and the declaration of each property (`declared`)."""

    count: Input[int] = api.declared(Annotated[int, Field(ge=1, le=2048)], 2, needs_off=True)
    """Virtual processors (VM Off to change)."""
    expose_virtualization_extensions: Input[bool] = api.declared(bool, False, needs_off=True)
    """Nested virtualization: lets the VM run Hyper-V itself (VM Off to change)."""
    stop_policy: Input[api.StopPolicy] = api.declared_as(api.STOP_POLICY_PROP)
    """'fail' or 'stop-and-restore' when a change finds the VM running."""
    guest_credential: Input[str | None] = api.declared(str | None, None)
    """Guest login of the VM (a name in hyperv-lab:credentials): a preview names the VMs
    running inside it that a stop-and-restore stops; never a change by itself."""


VM_PROCESSOR_PROPERTIES = api.PropertySet.from_args(
    "VmProcessor",
    VmProcessorArgs,
    computed=[
        api.VM_ID_PROP,
        api.Prop("restarts", int, computed=True, doc="times stop-and-restore restarted the VM"),
    ],
)


class VmProcessorProvider(api.HostBoundProvider):
    """Sets processor count and nesting on an existing VM."""

    properties = VM_PROCESSOR_PROPERTIES

    def check_inputs(self, olds: api.Props, inputs: api.Props, preview: bool) -> list[CheckFailure]:
        wants = inputs.get("expose_virtualization_extensions")
        if wants is not True or olds.get("expose_virtualization_extensions"):
            return []  # only turning nesting on needs the host's support
        if api.is_unknown(inputs.get("host")) or preview is False:
            return []  # an update: Set-VMProcessor decides, `_apply` says why
        refusal = self._nesting_refusal(self._operation(inputs, "check"), inputs.get("vm_name"))
        return [CheckFailure("expose_virtualization_extensions", refusal)] if refusal else []

    @staticmethod
    def _nesting_refusal(op: api.Operation, vm_name: Any) -> str | None:
        """Why the host cannot expose the virtualization extensions to VM `vm_name`; None if it
        can or if it cannot say (a host not made yet: Set-VMProcessor decides)."""
        known = None if api.is_unknown(vm_name) else vm_name
        try:
            host = op.run("host_nesting", {"vm_name": known})
        except (RemoteError, api.ProviderError) as exc:
            log.info("%s: could not read the host's nesting support: %s", op.label, exc)
            return None
        return nesting_refusal(op.ref.label(), host, known or "<vm>")

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # The guest login only names guests in a preview: it changes nothing on the host.
        compared = {**news, "guest_credential": olds.get("guest_credential")}
        result = super().diff(id_, olds, compared)
        d = self.properties.diff(olds, compared)
        if not d.replaces:
            # Both settings change only while the VM is Off, nested or not.
            api.preview_needs_off(
                self, news, id_, d.needs_off, lambda _nested: True, news.get("guest_credential")
            )
        return result

    def create_object(self, op: api.Operation, inputs: api.Props) -> tuple[str, api.Props]:
        got = self._apply(op, inputs, vm_id=None)
        return got["vm_id"], {"vm_id": got["vm_id"], "restarts": int(bool(got["restarted"]))}

    def read_object(self, op: api.Operation, id_: str, props: api.Props) -> api.Props | None:
        got = op.run("get", {"vm_id": id_})
        if not got.get("exists"):
            return None
        return {
            "vm_name": got["vm_name"],
            "count": got["count"],
            "expose_virtualization_extensions": got["expose_virtualization_extensions"],
            "vm_id": got["vm_id"],
        }

    def update_object(
        self, op: api.Operation, id_: str, olds: api.Props, news: api.Props, diff: api.PropertyDiff
    ) -> api.Props:
        got = self._apply(op, news, vm_id=id_)
        restarts = (olds.get("restarts") or 0) + int(bool(got["restarted"]))
        return {"vm_id": got["vm_id"], "restarts": restarts}

    def delete_object(self, op: api.Operation, id_: str, props: api.Props) -> None:
        """Nothing to remove: the settings belong to the VM."""

    @contextmanager
    def _explain_refusal(self, op: api.Operation, inputs: dict[str, Any]) -> Iterator[None]:
        """When the host refuses to turn nesting on, say why (the host is read only then)."""
        try:
            yield
        except PowerShellError as exc:
            refusal = None
            if inputs.get("expose_virtualization_extensions") is True:
                refusal = self._nesting_refusal(op, inputs.get("vm_name"))
            if refusal is None:
                raise
            raise api.ProviderError(f"{exc.host}: {exc.operation} failed: {refusal}") from None

    def _apply(
        self, op: api.Operation, inputs: dict[str, Any], vm_id: str | None
    ) -> dict[str, Any]:
        needs_off = (
            "the processor count and ExposeVirtualizationExtensions change only while the VM is Off"
        )
        with (
            api.explain_needs_vm_off(inputs["stop_policy"], needs_off),
            self._explain_refusal(op, inputs),
        ):
            return op.run(
                "apply",
                {
                    "vm_id": vm_id,
                    "vm_name": inputs["vm_name"],
                    "count": inputs["count"],
                    "expose_virtualization_extensions": inputs["expose_virtualization_extensions"],
                    "stop_policy": inputs["stop_policy"],
                },
                api.SETTING_VM_PRELUDE,
                api.VM_POWER_PRELUDE,
            )


class VmProcessor(api.HostBoundResource[VmProcessorArgs], module="hyperv", name="VmProcessor"):
    """Processor settings of a Hyper-V VM, managed by `VmProcessorProvider`."""

    vm_id: Output[str]
    restarts: Output[int]
    count: Output[int]
    expose_virtualization_extensions: Output[bool]

    dynamic_provider = VmProcessorProvider()
    mark_preview = True
