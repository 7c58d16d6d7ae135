"""`GuestImage`: an image file that lives on a VM's Hyper-V host, copied into that VM's guest
(typically a base VHDX that the L2 guests inside an L1 are built from).

`host` runs the VM (`vm_name`); the copy is made there with Copy-VMFile (the VM's 'Guest
Service Interface' is turned on for it when off, and off again afterwards). `guest` is the
route into the VM (a NestedHost's `host` output): through it the copy's SHA256 is checked
against the image's, so a copy that arrived damaged is removed and reported, and `read`
re-hashes it: a missing copy reads as gone, a changed one as drift that the next `up`
copies again. When the route is PowerShell Direct from `host` (a NestedHost's), the checks
inside the guest run within the copy operation itself (copy.ps1 calls the wrapper): a create
is one operation, not three. An identical copy already in the guest is adopted instead of copied; a
different file at the destination is refused unless `adopt_existing`. Delete removes the
copy inside the guest (never the image); a VM that is gone took its copy with it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pulumi import Input, Output
from pulumi.dynamic import CheckFailure, CheckResult, DiffResult
from pydantic import Field

from components.config import ConfigError, HostRef
from components.providers import api
from components.remote import PowerShellError, RemoteError

log = logging.getLogger(__name__)

WindowsFilePath = Annotated[
    str, Field(pattern=r"^[A-Za-z]:\\(?:[^\\/:*?\"<>|\r\n]+\\)*[^\\/:*?\"<>|\r\n]+$")
]
"""An absolute Windows path of a file, e.g. `C:\\Images\\WS2022-Datacenter.vhdx`."""


@dataclass
class GuestImageArgs:
    """Inputs of a `GuestImage`, and the declaration of each property (`declared`)."""

    host: Input[str | Mapping[str, Any]] = api.declared_as(api.HOST_PROP)
    """The Hyper-V host that runs the VM and holds the image (as `VmArgs.host`, e.g. "l0")."""
    vm_name: Input[str] = api.declared(Annotated[str, Field(min_length=1)], replaces=True)
    """The VM's name on `host` (e.g. the L1's prefixed name)."""
    guest: Input[str | Mapping[str, Any]] = api.declared(HostRef | str)
    """Route into that VM's guest: a NestedHost's `host` output."""
    source_path: str = api.declared(WindowsFilePath, replaces=True)
    """The image on `host`, e.g. `C:\\Images\\WS2022-Datacenter.vhdx` (never changed)."""
    destination_path: str = api.declared(WindowsFilePath, replaces=True)
    """Where the copy goes inside the guest (folders are created)."""
    adopt_existing: Input[bool] = api.declared_as(api.ADOPT_PROP)
    """Replace a different file already at `destination_path` instead of failing."""


GUEST_IMAGE = api.PropertySet.from_args(
    "GuestImage",
    GuestImageArgs,
    computed=[
        api.Prop("sha256", str, computed=True, doc="the image's SHA256 (uppercase hex)"),
        api.Prop("guest_sha256", str, computed=True, doc="the copy's SHA256 when last read"),
        api.Prop(
            "guest_service_turned_on",
            bool,
            computed=True,
            doc="the last copy turned the VM's Guest Service Interface on (and off again after)",
        ),
    ],
)


class GuestImageProvider(api.HostBoundProvider):
    """Copies one image into a guest, checks it by hash, and removes the copy on delete."""

    properties = GUEST_IMAGE

    # -- routing: Copy-VMFile and VM checks run on the host; hashing runs in the guest -----

    def _guest_operation(self, props: Mapping[str, Any], verb: str) -> api.Operation:
        return self._operation({**props, "host": props["guest"]}, verb)

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        result = super().check(olds, news)
        if result.failures:
            return result
        values = result.inputs
        if any(api.is_unknown(values.get(k)) for k in ("host", "vm_name", "guest")):
            return result
        try:
            guest = HostRef.parse(values["guest"])
            self.lab().host(guest)
        except (ConfigError, api.ProviderError, ValueError) as exc:
            result.failures.append(CheckFailure("guest", str(exc)))
            return result
        if guest.host is None:  # a PowerShell Direct route: it must lead into this very VM
            assert guest.parent is not None
            same_vm = str(guest.vm_name).lower() == str(values["vm_name"]).lower()  # as Hyper-V
            if not same_vm or guest.parent != HostRef.parse(values["host"]):
                result.failures.append(
                    CheckFailure(
                        "guest",
                        f"the route {guest.label()} does not lead into VM "
                        f"'{values['vm_name']}' on {HostRef.parse(values['host']).label()}",
                    )
                )
        return result

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Input changes as usual; plus a copy that a read found changed (copied again)."""
        result = super().diff(id_, olds, news)
        recorded, found = olds.get("sha256"), olds.get("guest_sha256")
        if not result.changes and recorded and found and recorded != found:
            result.changes = True
        return result

    # -- steps ----------------------------------------------------------------------------

    def _probe(self, guest_op: api.Operation, props: Mapping[str, Any]) -> str | None:
        """The SHA256 of the file at the destination inside the guest, or None if absent."""
        got = guest_op.run("get", {"path": props["destination_path"]})
        return str(got["sha256"]).upper() if got.get("exists") else None

    def _in_guest_checks(self, props: Mapping[str, Any], verb: str) -> dict[str, str] | None:
        """What lets the copy operation check and clean up inside the guest itself (one
        operation instead of three): the guest is this very VM, reached through PowerShell
        Direct from `host` (check makes sure of that). None for a guest with its own endpoint."""
        guest = self._guest_operation(props, verb).client
        if guest.host.via is None:
            return None
        path = {"path": props["destination_path"]}
        probe = guest.guest_call(self.script_path("get"), path)
        remove = guest.guest_call(self.script_path("delete"), path)
        return {
            "wrapper_b64": probe["wrapper_b64"],
            "probe": probe["input_json"],
            "remove": remove["input_json"],
        }

    def _copy(
        self,
        op: api.Operation,
        props: Mapping[str, Any],
        existing: str | None,
        overwrite: bool,
        guest: dict[str, str] | None = None,
        *preludes: Path,
    ) -> dict[str, Any]:
        return op.run(
            "copy",
            {
                "vm_name": props["vm_name"],
                "source_path": props["source_path"],
                "destination_path": props["destination_path"],
                "existing_sha256": existing,
                "overwrite": overwrite,
                "guest": guest,
            },
            *preludes,
        )

    def _remove_damaged(self, guest_op: api.Operation, props: Mapping[str, Any]) -> str:
        """Remove a partial or damaged copy; returns words for the error message."""
        try:
            guest_op.run("delete", {"path": props["destination_path"]})
        except RemoteError as exc:
            log.warning("%s: could not remove the damaged copy: %s", guest_op.label, exc)
            return f"removing the damaged copy failed too: {exc}"
        return "the damaged copy was removed"

    def _ensure_copy(
        self, op: api.Operation, props: Mapping[str, Any], overwrite: bool, verb: str
    ) -> dict[str, Any]:
        """The guest holds an exact copy of the image afterwards; returns computed values."""
        guest_op = self._guest_operation(props, verb)
        where = f"{props['destination_path']} in {guest_op.ref.label()}"
        checks = self._in_guest_checks(props, verb)
        if checks is not None:
            got = self._copy(op, props, None, overwrite, checks)
            before = got["before"]
            after = got["guest_sha256"]
            removal = got.get("removal")
        else:  # a guest with its own endpoint: check it in operations of its own
            before = self._probe(guest_op, props)
            try:
                got = self._copy(op, props, before, overwrite)
            except PowerShellError as exc:
                # Copy-VMFile may have left a partial file: roll back what this call changed.
                try:
                    after = self._probe(guest_op, props)
                except RemoteError:
                    raise exc from None
                if after is None or after == before:
                    raise
                raise api.ProviderError(
                    f"{op.ref.label()}: {op.label} failed: {exc.message} "
                    f"({self._remove_damaged(guest_op, props)})"
                ) from None
            after = self._probe(guest_op, props) if got["copied"] else before
            removal = None
            if got["copied"] and after != str(got["sha256"]).upper():
                removal = self._remove_damaged(guest_op, props)
        sha256 = str(got["sha256"]).upper()
        if got["refused"]:
            raise api.ProviderError(
                f"{where} already exists with other content (SHA256 {before}, the image "
                f"{props['source_path']} has {sha256}); set adopt_existing=True to replace it"
            )
        if not got["copied"]:
            log.info("%s: %s already holds the image; adopted", op.label, where)
            return {"sha256": sha256, "guest_sha256": sha256, "guest_service_turned_on": False}
        if after != sha256:
            found = "no file" if after is None else f"SHA256 {after}"
            raise api.ProviderError(
                f"{where}: the copy of {props['source_path']} from {op.ref.label()} arrived "
                f"with {found}, not the image's {sha256}; {removal}"
            )
        turned_on = bool(got["guest_service_turned_on"])
        return {"sha256": sha256, "guest_sha256": after, "guest_service_turned_on": turned_on}

    @staticmethod
    def _id(op: api.Operation, props: Mapping[str, Any]) -> str:
        return f"{op.ref.label()}/{props['vm_name']}/{props['destination_path']}"

    # -- hooks ----------------------------------------------------------------------------

    def create_object(
        self, op: api.Operation, inputs: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        return self._id(op, inputs), self._ensure_copy(op, inputs, op.may_adopt(inputs), "create")

    def find_created(
        self, op: api.Operation, inputs: dict[str, Any]
    ) -> tuple[str, dict[str, Any]] | None:
        existing = self._probe(self._guest_operation(inputs, "read"), inputs)
        if existing is None:
            return None
        got = self._copy(op, inputs, existing, overwrite=False)  # identical: nothing copied
        if got["copied"] or got["refused"]:
            return None
        return self._id(op, inputs), {
            "sha256": existing,
            "guest_sha256": existing,
            "guest_service_turned_on": False,
        }

    def read_object(
        self, op: api.Operation, id_: str, props: dict[str, Any]
    ) -> dict[str, Any] | None:
        running = api.guest_running(
            op, props["vm_name"], "its guest cannot be read, keeping the recorded copy"
        )
        if running is None:
            return None
        if not running:
            return {}
        found = self._probe(self._guest_operation(props, "read"), props)
        if found is None:
            return None  # the copy is gone: the next `up` copies it again
        return {"guest_sha256": found}

    def update_object(
        self,
        op: api.Operation,
        id_: str,
        olds: dict[str, Any],
        news: dict[str, Any],
        diff: api.PropertyDiff,
    ) -> dict[str, Any]:
        # In place: the guest route, adopt_existing, or a changed copy. The copy is this
        # resource's own, so a different one is overwritten.
        return self._ensure_copy(op, news, overwrite=True, verb="update")

    def delete_object(self, op: api.Operation, id_: str, props: dict[str, Any]) -> None:
        running = api.guest_running(
            op, props["vm_name"], f"its guest keeps {props['destination_path']}"
        )
        if not running:
            return  # gone (and the copy inside it), or the guest keeps it
        self._guest_operation(props, "delete").run("delete", {"path": props["destination_path"]})


_PROVIDER = GuestImageProvider()


class GuestImage(api.HostBoundResource[GuestImageArgs], module="hyperv", name="GuestImage"):
    """An image from a VM's host, copied into the VM's guest and checked by hash."""

    host: Output[Any]
    vm_name: Output[str]
    guest: Output[Any]
    source_path: Output[str]
    destination_path: Output[str]
    adopt_existing: Output[bool]
    sha256: Output[str]
    guest_sha256: Output[str]
    guest_service_turned_on: Output[bool]

    dynamic_provider = _PROVIDER


__all__ = ["GUEST_IMAGE", "GuestImage", "GuestImageArgs", "GuestImageProvider"]
