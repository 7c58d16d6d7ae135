"""`Vm`: a Hyper-V virtual machine (generation, memory, disk, configuration version, notes).

The VM is created Off with one adapter named "Network Adapter" that is NOT connected
(`VmNetworkAdapter` manages switch and spoofing) and its system disk `<name>.vhdx` at the
host's default disk path: with a base image (`image`/`image_path`), a differencing child of it
(or a full copy, `disk='copy'`) into which, for a generalized image, the answer file is written
before the first boot (computer name, time zone, and the Administrator password of the VM's
`credential`, read from config at create time: see `components.answer_file`); without one, a
new empty VHD (a VM that boots nothing, for tests of the host side only). Delete removes the
disk files the VM used and never the image. It is identified by its Id (Hyper-V names may
repeat or be changed by hand). The stack that owns it is written as a tag line
`hyperv-lab-owner: <owner>` at the end of the VM Notes; `check` refuses, at preview, a name
that another stack owns on that host, a name a VM this stack did not make holds (unless
`adopt_existing`), and a missing image file. It looks only in a preview: the program marks each registration with `PREVIEW_INPUT` (the
SDK's dry-run flag; `check` takes it out of the inputs, so it never reaches state or a diff),
and in an update create.ps1 makes the same refusal in the create's own operation, so a
lookup there would be two round trips per new VM spent twice.

Create is one operation: create.ps1 makes the VM only if no VM has that name, else reports
the ones there. An existing VM is adopted when `adopt_existing` is set, or when it is this
resource's own leftover: tagged with this stack's `owner` (a create that failed after
New-VM ran, e.g. whose reply was lost), or noted by `PendingCreates`. A VM without a tag
still needs `adopt_existing=True`; one tagged by another stack is refused. Adopting records
what is there: the Notes of a VM made by hand are kept (`kept_notes`, above the declared notes
and the tag), the disk of a VM without an image grows to `disk_size_gb` (Resize-VHD; a larger
disk is refused, never shrunk, and a size change is never a replace), and a preview announces
the adoption with an `[adopt]` line (the plan itself can only say "create"). (Two `Vm`
resources of one stack declaring the same name on the same host would therefore share one
VM instead of the second failing.) A create whose reply was lost re-reads the VMs of that
name: exactly one with the declared notes, owner, generation, memory and disk is the one it
made.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal

from pulumi import Input, Output
from pulumi.dynamic import CheckFailure, DiffResult
from pydantic import AfterValidator, Field

from components.answer_file import (
    PANTHER_PATH,
    answer_file,
    check_computer_name,
    computer_name_for,
    encode_password,
)
from components.config import ConfigError, DiskMode, HostRef
from components.providers import api
from components.remote import GuestVmMissingError, PowerShellError, RemoteError, Scrubber

log = logging.getLogger(__name__)

OWNER_TAG = "hyperv-lab-owner: "
"""Prefix of the Notes line that names the owning stack (`<project>/<stack>/<owner id>`)."""

_VERSION = re.compile(r"^\d+\.\d+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NOT_IN_FILE_NAMES = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


def _vm_name(value: str) -> str:
    if value != value.strip():
        raise ValueError("must not start or end with whitespace")
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters (tabs, newlines)")
    return value


def _notes(value: str) -> str:
    if any(line.startswith(OWNER_TAG.strip()) for line in value.splitlines()):
        raise ValueError(f"must not contain a line starting with '{OWNER_TAG.strip()}'")
    return value


def _owner(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


VmName = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_vm_name)]
MemoryMb = Annotated[int, Field(ge=32, le=12 * 1024 * 1024, multiple_of=2)]
DiskGb = Annotated[int, Field(ge=1, le=64 * 1024)]
Version = Annotated[str, Field(pattern=_VERSION.pattern)]
ComputerName = Annotated[str, AfterValidator(check_computer_name)]
TimeZone = Annotated[str, Field(min_length=1, max_length=64)]
ImagePath = Annotated[str, Field(min_length=4, max_length=1000), AfterValidator(_vm_name)]

CREATE, UPDATE = "create", "update"
"""The operation scripts (scripts/vm/<name>.ps1) a property can be an input of."""

NESTED_HOST, EMULATOR_VM = "NestedHost", "EmulatorVm"
"""The lab components a property can be a setting of (`lab=`): a key of their stack-YAML
entries and an arg of their Python args (`components.lab_models`)."""
LAB_VMS = (NESTED_HOST, EMULATOR_VM)


@dataclass
class VmArgs:
    """Inputs of a `Vm`, and the declaration of each property (`declared`): its type and
    checks, default, whether changing it replaces the VM or needs it Off, which operation
    scripts take it, whether the describe prelude reports it back, and which lab components
    let a lab set it (`lab`). `VM_PROPERTIES`, the script inputs, what a read reports and the
    lab's fields all derive from here."""

    host: Input[str | HostRef | dict[str, Any]] = api.declared_as(api.HOST_PROP)
    """Target Hyper-V host: a host name from stack config, or a route to a nested host."""
    name: Input[str] = api.declared(VmName, replaces=True, scripts=[CREATE])
    """VM name (unique on the host); changing it replaces the VM."""
    generation: Input[int] = api.declared(
        Literal[1, 2], 2, replaces=True, scripts=[CREATE], described=True, lab=LAB_VMS
    )
    """VM generation 1 or 2; changing it replaces the VM."""
    memory_startup_mb: Input[int] = api.declared(
        MemoryMb, 4096, needs_off=True, scripts=[CREATE, UPDATE], described=True
    )
    """Startup memory in MB (multiple of 2). Needs the VM Off while Hyper-V runs inside or
    dynamic memory is on."""
    dynamic_memory: Input[bool] = api.declared(
        bool, False, needs_off=True, scripts=[CREATE, UPDATE], described=True, lab=[EMULATOR_VM]
    )
    """Dynamic memory; switching it needs the VM Off (a NestedHost's is always static)."""
    disk_size_gb: Input[int] = api.declared(DiskGb, 60, scripts=[CREATE])
    """Size of a new empty system VHD in GB (no image; a disk made from an image has the
    image's size); a larger size grows the disk in place (Resize-VHD), a smaller one is
    refused (a disk is never shrunk)."""
    image: Input[str | None] = api.declared(str | None, None, replaces=True, scripts=[CREATE])
    """Name of the base image (recorded; changing it replaces the VM)."""
    image_path: Input[str | None] = api.declared(
        ImagePath | None, None, replaces=True, scripts=[CREATE]
    )
    """Path of the base image on `host`; None = a new empty VHD (the VM boots nothing)."""
    disk: Input[DiskMode] = api.declared(
        DiskMode, "differencing", replaces=True, scripts=[CREATE], lab=LAB_VMS
    )
    """'differencing' (a child disk of the image) or 'copy' (a full copy of it)."""
    generalized: Input[bool] = api.declared(bool, True, replaces=True)
    """The image is sysprepped: an answer file is written into the new disk."""
    computer_name: Input[str | None] = api.declared(
        ComputerName | None, None, replaces=True, lab=LAB_VMS
    )
    """Guest computer name set at first boot; None = the VM name made a NetBIOS name."""
    time_zone: Input[str] = api.declared(TimeZone, "UTC", replaces=True, lab=LAB_VMS)
    """Windows time zone id set at first boot."""
    credential: Input[str | None] = api.declared(str | None, None)
    """Guest login in `hyperv-lab:credentials` whose password the answer file gives the
    built-in Administrator (the password itself is read by the provider, never an input)."""
    version: Input[str | None] = api.declared(
        Version | None, None, scripts=[CREATE], lab=[NESTED_HOST]
    )
    """Minimum configuration version (e.g. "9.0"); None = the host default. Raising it runs
    Update-VMVersion in place (VM Off); lowering it replaces the VM."""
    notes: Input[str] = api.declared(Annotated[str, AfterValidator(_notes)], "", lab=LAB_VMS)
    """VM Notes text."""
    owner: Input[str] = api.declared(
        Annotated[str, Field(max_length=200), AfterValidator(_owner)], ""
    )
    """Owning stack '<project>/<stack>/<owner id>' (`components.naming.stack_owner`), kept as a
    tag line in the Notes."""
    stop_policy: Input[api.StopPolicy] = api.declared_as(
        replace(api.STOP_POLICY_PROP, scripts=frozenset([UPDATE]), lab=frozenset(LAB_VMS))
    )
    """'fail' or 'stop-and-restore' for changes that need the VM Off."""
    adopt_existing: Input[bool] = api.declared_as(replace(api.ADOPT_PROP, lab=frozenset(LAB_VMS)))
    """Adopt a VM of this name that already exists instead of failing."""


VM_PROPERTIES = api.PropertySet.from_args(
    "Vm",
    VmArgs,
    computed=[
        api.Prop("vm_id", str, computed=True, described=True, doc="Hyper-V VM Id"),
        api.Prop(
            "kept_notes",
            str,
            computed=True,
            doc="the Notes an adopted VM had before: kept above the declared notes",
        ),
        api.Prop("state", str, computed=True, described=True, doc="VM state when last seen"),
        api.Prop("vhd_path", str, computed=True, described=True, doc="path of the first disk"),
        api.Prop("actual_version", str, computed=True, described=True, doc="version on the host"),
        api.Prop("restarts", int, computed=True, doc="times stop-and-restore restarted the VM"),
    ],
)


def compose_notes(notes: str, owner: str, kept: str = "") -> str:
    """The Notes text stored on the host: the Notes an adopted VM had (`kept`), the declared
    notes, then the owner tag line."""
    lines = [part for part in (kept, notes) if part]
    if owner:
        lines.append(f"{OWNER_TAG}{owner}")
    return "\n".join(lines)


def split_notes(text: str, kept: str = "") -> tuple[str, str]:
    """(notes, owner) from the stored Notes text; inverse of `compose_notes`."""
    head, sep, last = text.rpartition("\n")
    notes, owner = text, ""
    if last.startswith(OWNER_TAG):
        notes, owner = (head if sep else ""), last[len(OWNER_TAG) :]
    if kept and notes == kept:
        return "", owner
    if kept and notes.startswith(kept + "\n"):
        return notes[len(kept) + 1 :], owner
    return notes, owner


def notes_to_keep(found: dict[str, Any], inputs: dict[str, Any]) -> str:
    """The Notes text of a VM being adopted that the stack keeps: all of it when the VM has no
    owner tag (made by hand) and differs from the declared notes; none for a VM this stack
    tagged (its own leftover, whose Notes it wrote)."""
    existing, owner = split_notes(found["notes_text"])
    if owner or existing == inputs.get("notes", ""):
        return ""
    return existing


def vhd_file_name(vm_name: str) -> str:
    """`<vm name>.vhdx`, with characters Windows forbids in file names replaced by '_'."""
    return _NOT_IN_FILE_NAMES.sub("_", vm_name) + ".vhdx"


def version_key(version: str) -> tuple[int, ...]:
    """'9.0' -> (9, 0), for ordering configuration versions."""
    return tuple(int(part) for part in version.split("."))


class VmProvider(api.HostBoundProvider):
    """Create, adopt, read, update and delete a Hyper-V VM (see the module docstring)."""

    properties = VM_PROPERTIES

    # -- check / diff -----------------------------------------------------------------------

    def check_inputs(self, olds: api.Props, inputs: api.Props, preview: bool) -> list[CheckFailure]:
        failure = self._credential_failure(inputs)
        if failure is not None:
            return [failure]
        if any(api.is_unknown(inputs.get(k)) for k in ("host", "name")):
            return []
        # An unknown owner is a stack id made in this update: no VM carries it yet, so every
        # tagged VM of that name is another stack's (the lookup below still applies).
        if preview is False:
            # An update: create.ps1 refuses another stack's VM itself (`_adoptable`).
            return []
        if _same_vm_as_before(olds, inputs):
            # The stack's state already holds this VM under the same host and name: a lookup
            # would only cost two round trips per VM on every preview and update. A new owner
            # (an owner id added, the stack renamed) re-tags it in the update.
            return []
        return self._preview_lookup(inputs)

    def _credential_failure(self, inputs: dict[str, Any]) -> CheckFailure | None:
        """An image that needs an answer file needs a configured credential for its password."""
        name = inputs.get("credential")
        if api.is_unknown(name) or api.is_unknown(inputs.get("image_path")):
            return None
        if name is None:
            if inputs.get("image_path") and inputs.get("generalized", True):
                return CheckFailure(
                    "credential",
                    "required with a generalized image: the answer file sets the "
                    "Administrator password of this credential",
                )
            return None
        try:
            self.lab().credential(name)
        except (ConfigError, api.ProviderError) as exc:
            return CheckFailure("credential", str(exc))
        return None

    def _preview_lookup(self, inputs: dict[str, Any]) -> list[CheckFailure]:
        """One round trip: a VM of that name tagged with another owner, and a missing image."""
        try:
            op = self._operation(inputs, "check")
            self.warm_hosts()
            image_path = inputs.get("image_path")  # unknown: a copy made later in this update
            found = self.run_described(
                op,
                "find",
                {
                    "name": inputs["name"],
                    "image_path": None if api.is_unknown(image_path) else image_path,
                },
            )
        except GuestVmMissingError:
            return []  # the VM it would live in is not made yet: nothing there to conflict
        except PowerShellError as exc:
            log.warning("check Vm: could not look for an owner conflict or the image: %s", exc)
            return []
        except RemoteError as exc:
            # The host did not answer (or refused us): a preview that cannot read what it
            # must read fails instead of passing with a warning.
            return self.unreadable(exc, f"check VM '{inputs['name']}'")
        except api.ProviderError as exc:
            log.warning("check Vm: could not look for an owner conflict or the image: %s", exc)
            return []
        failures = []
        conflict = _conflict_message(found["vms"], inputs, op.ref.label())
        if conflict:
            failures.append(CheckFailure("name", conflict))
        elif found["vms"] and not (inputs.get("adopt_existing") or self._ours(found, inputs)):
            failures.append(CheckFailure("name", _not_ours_message(inputs, op.ref.label())))
        elif len(found["vms"]) == 1 and inputs.get("adopt_existing"):
            log.warning(_adopt_note(found["vms"][0], inputs, op.ref.label()))
        if found.get("image_exists") is False:
            failures.append(
                CheckFailure(
                    "image_path",
                    f"image '{inputs.get('image')}' not found on {op.ref.label()}: no file "
                    f"'{inputs['image_path']}' (allowed: the path of an existing .vhdx in "
                    "hyperv-lab:images)",
                )
            )
        return failures

    def _ours(self, found: dict[str, Any], inputs: dict[str, Any]) -> bool:
        """Whether create would take the VMs found under the name without `adopt_existing`:
        all tagged with this stack's owner, or the leftover of an interrupted create of it."""
        owner = inputs.get("owner")
        if owner and not api.is_unknown(owner):
            if all(split_notes(vm["notes_text"])[1] == owner for vm in found["vms"]):
                return True
        try:
            return self._pending_creates().contains(self._create_key(inputs))
        except (ConfigError, api.ProviderError, KeyError, ValueError):
            return False

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        self._recorded(olds)
        d = self._diff(olds, news)
        if not d.replaces:
            _preview_needs_off(self, _id, olds, news, d)
        return DiffResult(
            changes=d.changed,
            replaces=d.replaces,
            stables=[],
            delete_before_replace=bool(d.replaces),
        )

    def _diff(self, olds: dict[str, Any], news: dict[str, Any]) -> api.PropertyDiff:
        """The declared diff, plus: lowering `version` needs a new VM (Hyper-V cannot)."""
        d = self.properties.diff(olds, news)
        if "version" in d.changes and _lowers_version(olds, news):
            return api.PropertyDiff(d.changes, [*d.replaces, "version"], d.needs_off)
        return d

    # -- hooks ------------------------------------------------------------------------------

    def create_object(self, op: api.Operation, inputs: api.Props) -> tuple[str, api.Props]:
        document, secrets = self._answer_file(inputs)
        try:
            made = self.run_described(
                op,
                "create",
                {
                    **self.properties.script_inputs(CREATE, inputs),
                    "vhd_file": vhd_file_name(inputs["name"]),
                    "notes_text": compose_notes(inputs["notes"], inputs["owner"]),
                    "owner": inputs["owner"],
                    "answer_file": document,
                    "answer_file_path": PANTHER_PATH,
                },
                self.script_path("memory"),
            )
        except RemoteError as exc:
            raise _scrubbed(exc, secrets) from None
        if made["status"] == "created":
            return made["vm_id"], self._computed(made, inputs)
        found = self._adoptable(op, made["vms"], inputs)
        kept = notes_to_keep(found, inputs)
        got = self._converge(op, found["vm_id"], inputs, raise_version=False, kept=kept)
        return found["vm_id"], self._computed(got, inputs, kept)

    def _answer_file(self, inputs: dict[str, Any]) -> tuple[str | None, list[str]]:
        """The answer file for a generalized image (None otherwise), and the secrets it holds
        (to scrub from any error text)."""
        if not inputs.get("image_path") or not inputs.get("generalized", True):
            return None, []
        name = inputs.get("credential")
        if not name:
            raise api.ProviderError(
                f"Vm '{inputs['name']}': a generalized image needs 'credential' (its password "
                "becomes the Administrator password in the answer file)"
            )
        try:
            password = self.lab().credential(name).password.get_secret_value()
        except ConfigError as exc:
            raise api.ProviderError(str(exc)) from None
        computer = inputs.get("computer_name") or computer_name_for(inputs["name"])
        text = answer_file(computer, password, inputs.get("time_zone") or "UTC")
        return text, [password, encode_password(password)]

    def find_created(self, op: api.Operation, inputs: api.Props) -> tuple[str, api.Props] | None:
        found = self.run_described(op, "find", {"name": inputs["name"]})["vms"]
        wanted = {
            "notes_text": compose_notes(inputs["notes"], inputs["owner"]),
            **self.properties.described(inputs, computed=False),
        }
        if not inputs.get("image_path"):
            wanted["disk_size_gb"] = inputs["disk_size_gb"]
        made = [vm for vm in found if all(vm.get(k) == v for k, v in wanted.items())]
        if len(made) != 1:
            return None
        return made[0]["vm_id"], self._computed(made[0], inputs)

    def read_object(self, op: api.Operation, id_: str, props: api.Props) -> api.Props | None:
        got = self.run_described(op, "get", {"vm_id": id_})
        if not got.get("exists"):
            return None
        kept = props.get("kept_notes") or ""
        notes, owner = split_notes(got["notes_text"], kept)
        declared = props.get("version")
        # A disk made from an image has the image's size: the declared size (of an empty
        # disk) is not compared then.
        size = props.get("disk_size_gb") if props.get("image_path") else got["disk_size_gb"]
        return {
            "name": got["name"],
            **self.properties.described(got, computed=False),
            "disk_size_gb": size,
            "version": _seen_version(declared, got["actual_version"]),
            "notes": notes,
            "owner": owner,
            **self._computed(got, props, kept),
        }

    def update_object(
        self, op: api.Operation, id_: str, olds: api.Props, news: api.Props, diff: api.PropertyDiff
    ) -> api.Props:
        wanted = news.get("version")
        actual = olds.get("actual_version")
        raise_version = "version" in diff.changes and (
            wanted is None or actual is None or version_key(wanted) > version_key(actual)
        )
        kept = olds.get("kept_notes") or ""
        got = self._converge(op, id_, news, raise_version=raise_version, kept=kept)
        got["restarts"] = (olds.get("restarts") or 0) + int(bool(got.get("restarted")))
        if wanted is not None and version_key(got["actual_version"]) < version_key(wanted):
            raise api.ProviderError(
                f"{op.ref.label()}: update Vm failed: Update-VMVersion raised "
                f"'{news['name']}' only to {got['actual_version']}, below the declared "
                f"version {wanted}"
            )
        return self._computed(got, news, kept)

    def delete_object(self, op: api.Operation, id_: str, props: api.Props) -> None:
        op.run("delete", {"vm_id": id_, "image_path": props.get("image_path")})

    # -- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _adoptable(
        op: api.Operation, found: list[dict[str, Any]], inputs: dict[str, Any]
    ) -> dict[str, Any]:
        """The existing VM (as described) create may take over, or the reason it may not."""
        label, name, owner = op.ref.label(), inputs["name"], inputs["owner"]
        conflict = _conflict_message(found, inputs, label)  # adopt_existing cannot lift it
        if conflict:
            raise api.ProviderError(conflict)
        own = bool(owner) and all(split_notes(vm["notes_text"])[1] == owner for vm in found)
        if not own:
            op.require_adoptable(inputs, f"Vm '{name}'")
        if len(found) > 1:
            raise api.ProviderError(
                f"{len(found)} VMs named '{name}' exist on {label}; "
                "remove or rename the extras before adopting"
            )
        return found[0]

    def _converge(
        self,
        op: api.Operation,
        vm_id: str,
        inputs: dict[str, Any],
        *,
        raise_version: bool,
        kept: str,
    ) -> dict[str, Any]:
        """Run update.ps1; a 'fail' policy error gets a hint about the stop policy. The disk of
        a VM without an image grows to the declared size (never shrinks)."""
        needs_off = (
            "memory and configuration-version changes, and growing a disk on an IDE "
            "controller, need the VM Off"
        )
        with api.explain_needs_vm_off(inputs["stop_policy"], needs_off):
            return self.run_described(
                op,
                "update",
                {
                    **self.properties.script_inputs(UPDATE, inputs),
                    "vm_id": vm_id,
                    "notes_text": compose_notes(inputs["notes"], inputs["owner"], kept),
                    "disk_size_gb": None if inputs.get("image_path") else inputs["disk_size_gb"],
                    "raise_version": raise_version,
                },
                api.VM_POWER_PRELUDE,
                self.script_path("memory"),
            )

    def _computed(
        self, got: dict[str, Any], recorded: dict[str, Any], kept: str = ""
    ) -> dict[str, Any]:
        return {
            **self.properties.described(got, computed=True),
            "kept_notes": kept,
            # counted by update; a read keeps the recorded count
            "restarts": got.get("restarts", recorded.get("restarts") or 0),
        }


def _preview_needs_off(
    provider: VmProvider, id_: str, olds: dict[str, Any], news: dict[str, Any], d: api.PropertyDiff
) -> None:
    """What update.ps1 does while the VM runs, told at preview: switching dynamic memory and
    raising the version always need it Off; so does a startup memory change with dynamic
    memory on (a running VM's dynamic memory only gets a higher maximum or a lower minimum)
    or with Hyper-V inside (Windows resizes a plain VM's static memory while it runs); and
    'stop-and-restore' stops the VM for any memory change."""
    raised = "version" in d.changes and not _lowers_version(olds, news)
    always = [k for k in ("dynamic_memory",) if k in d.changes] + (["version"] if raised else [])
    memory = ["memory_startup_mb"] if "memory_startup_mb" in d.changes else []
    policy = news.get("stop_policy")
    dynamic = news.get("dynamic_memory") is True

    def needs_off(nested: bool) -> bool:
        return bool(always) or (
            bool(memory) and (nested or dynamic or policy == "stop-and-restore")
        )

    api.preview_needs_off(provider, news, id_, always + memory, needs_off, news.get("credential"))


def _same_vm_as_before(olds: dict[str, Any], inputs: dict[str, Any]) -> bool:
    """Whether the previous inputs (from state) name the same VM: same host and name, made from
    the same image path. The owner is not compared: the VM is this stack's whatever its tag
    says now."""
    return (
        bool(olds)
        and all(k in olds and api.equivalent(olds[k], inputs.get(k)) for k in ("host", "name"))
        and api.equivalent(olds.get("image_path"), inputs.get("image_path"))
    )


def _scrubbed(exc: RemoteError, secrets: list[str]) -> RemoteError:
    """The same failure with the answer file's secrets taken out of its text."""
    if not secrets:
        return exc
    scrub = Scrubber(secrets)
    if isinstance(exc, PowerShellError):
        return type(exc)(exc.host, exc.operation, scrub(exc.message), exc.category, exc.fqid)
    return type(exc)(exc.host, exc.operation, scrub(exc.message))


def _conflict_message(
    found: list[dict[str, Any]], inputs: dict[str, Any], label: str
) -> str | None:
    for vm in found:
        _, owner = split_notes(vm["notes_text"])
        if owner and owner != inputs.get("owner", ""):
            return f"VM '{inputs['name']}' on {label} belongs to stack '{owner}'"
    return None


def _not_ours_message(inputs: dict[str, Any], label: str) -> str:
    """A VM of the declared name exists that this stack did not make (no owner tag)."""
    return (
        f"VM '{inputs['name']}' already exists on {label} and was not made by this stack; "
        "set adopt_existing: true on it in the lab to manage that VM, or rename it"
    )


ADOPT_NOTE = "[adopt]"
"""How a preview line that announces an adoption starts (the plan itself says "create")."""


def _adopt_note(found: dict[str, Any], inputs: dict[str, Any], label: str) -> str:
    """The preview's line for a create that will adopt the VM already there: what is kept."""
    kept = notes_to_keep(found, inputs)
    disk = "" if inputs.get("image_path") else _disk_note(found, inputs)
    return (
        f"{ADOPT_NOTE} Vm '{inputs['name']}' on {label}: the existing VM (Id {found['vm_id']}) "
        "is adopted, not created"
        + ("; its Notes are kept above the declared notes" if kept else "")
        + disk
    )


def _disk_note(found: dict[str, Any], inputs: dict[str, Any]) -> str:
    size, wanted = found.get("disk_size_gb"), inputs.get("disk_size_gb")
    if size is None or wanted is None or api.is_unknown(wanted) or size == wanted:
        return ""
    if size < wanted:
        return f"; its {size} GB disk grows to {wanted} GB"
    return f"; its disk is {size} GB, larger than disk_size_gb {wanted}: up will refuse it"


def _lowers_version(olds: dict[str, Any], news: dict[str, Any]) -> bool:
    wanted = news.get("version")
    if wanted is None or api.is_unknown(wanted):
        return False  # None = the host default: Update-VMVersion can always reach it
    current = olds.get("actual_version") or olds.get("version")
    return current is not None and version_key(wanted) < version_key(current)


def _seen_version(declared: str | None, actual: str) -> str | None:
    """What `read` reports for the `version` input: a minimum, so a VM at or above the
    declared version shows no drift; below it shows the actual (older) version."""
    if declared is None or api.is_unknown(declared):
        return declared
    return declared if version_key(actual) >= version_key(declared) else actual


class Vm(api.HostBoundResource[VmArgs], module="hyperv", name="Vm"):
    """A Hyper-V VM managed by `VmProvider`."""

    name: Output[str]
    vm_id: Output[str]
    state: Output[str]
    vhd_path: Output[str]
    actual_version: Output[str]
    restarts: Output[int]

    dynamic_provider = VmProvider()
    mark_preview = True
