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
that another stack owns on that host, and a missing image file. It looks only in a preview: the program marks each registration with `PREVIEW_INPUT` (the
SDK's dry-run flag; `check` takes it out of the inputs, so it never reaches state or a diff),
and in an update create.ps1 makes the same refusal in the create's own operation, so a
lookup there would be two round trips per new VM spent twice.

Create is one operation: create.ps1 makes the VM only if no VM has that name, else reports
the ones there. An existing VM is adopted when `adopt_existing` is set, or when it is this
resource's own leftover: tagged with this stack's `owner` (a create that failed after
New-VM ran, e.g. whose reply was lost), or noted by `PendingCreates`. A VM without a tag
still needs `adopt_existing=True`; one tagged by another stack is refused. (Two `Vm`
resources of one stack declaring the same name on the same host would therefore share one
VM instead of the second failing.) A create whose reply was lost re-reads the VMs of that
name: exactly one with the declared notes, owner, generation, memory and disk is the one it
made.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, fields
from typing import Annotated, Any, Literal

import pulumi
from pulumi import Input, Output, ResourceOptions
from pulumi.dynamic import CheckFailure, CheckResult, DiffResult
from pydantic import AfterValidator, Field

from components.answer_file import (
    PANTHER_PATH,
    answer_file,
    check_computer_name,
    computer_name_for,
    encode_password,
)
from components.config import ConfigError, DiskMode, HostRef
from components.providers.base import (
    ADOPT_PROP,
    HOST_PROP,
    STOP_POLICY_PROP,
    VM_POWER_PRELUDE,
    HostBoundProvider,
    Operation,
    ProviderError,
    StopPolicy,
    explain_needs_vm_off,
)
from components.providers.properties import (
    Prop,
    PropertyDiff,
    PropertySet,
    equivalent,
    is_unknown,
)
from components.remote import GuestVmMissingError, PowerShellError, RemoteError, Scrubber

log = logging.getLogger(__name__)

OWNER_TAG = "hyperv-lab-owner: "
"""Prefix of the Notes line that names the owning stack (`<project>/<stack>[/<owner_id>]`)."""

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

VM_PROPERTIES = PropertySet(
    "Vm",
    [
        HOST_PROP,
        Prop("name", VmName, replaces=True, doc="VM name (unique on the host)"),
        Prop("generation", Literal[1, 2], default=2, replaces=True, doc="VM generation"),
        Prop(
            "memory_startup_mb",
            MemoryMb,
            default=4096,
            needs_off=True,
            doc="startup memory in MB (multiple of 2)",
        ),
        Prop("dynamic_memory", bool, default=False, needs_off=True, doc="dynamic memory on/off"),
        Prop(
            "disk_size_gb",
            DiskGb,
            default=60,
            replaces=True,
            doc="size of a new empty VHD in GB (a disk made from an image has the image's size)",
        ),
        Prop("image", str | None, default=None, replaces=True, doc="base image name (records)"),
        Prop(
            "image_path",
            ImagePath | None,
            default=None,
            replaces=True,
            doc="the base image's path on the host; None = a new empty VHD",
        ),
        Prop(
            "disk",
            DiskMode,
            default="differencing",
            replaces=True,
            doc="'differencing' (a child of the image) or 'copy' (a full copy)",
        ),
        Prop(
            "generalized",
            bool,
            default=True,
            replaces=True,
            doc="the image is sysprepped: write the answer file into the new disk",
        ),
        Prop(
            "computer_name",
            ComputerName | None,
            default=None,
            replaces=True,
            doc="guest computer name (None = the VM name made a NetBIOS name); first boot only",
        ),
        Prop(
            "time_zone",
            TimeZone,
            default="UTC",
            replaces=True,
            doc="Windows time zone id of the guest; first boot only",
        ),
        Prop(
            "credential",
            str | None,
            default=None,
            doc="guest login in hyperv-lab:credentials whose password the answer file sets "
            "for Administrator (a name; the password is read from config at create time)",
        ),
        Prop(
            "version",
            Version | None,
            default=None,
            doc="minimum configuration version (None = host default); raised in place, "
            "lowering replaces",
        ),
        Prop("notes", Annotated[str, AfterValidator(_notes)], default="", doc="VM Notes text"),
        Prop(
            "owner",
            Annotated[str, Field(max_length=200), AfterValidator(_owner)],
            default="",
            doc="owning stack '<project>/<stack>[/<owner_id>]', kept as a tag line in the Notes",
        ),
        STOP_POLICY_PROP,
        ADOPT_PROP,
        Prop("vm_id", str, computed=True, doc="Hyper-V VM Id"),
        Prop("state", str, computed=True, doc="VM state when last seen (Off, Running, ...)"),
        Prop("vhd_path", str, computed=True, doc="path of the VM's first virtual disk"),
        Prop("actual_version", str, computed=True, doc="configuration version on the host"),
    ],
)


PREVIEW_INPUT = "_preview"
"""Transient input: True when the program runs for a preview (absent: look up, to be safe)."""


def compose_notes(notes: str, owner: str) -> str:
    """The Notes text stored on the host: the user's notes, then the owner tag line."""
    if not owner:
        return notes
    return f"{notes}\n{OWNER_TAG}{owner}" if notes else f"{OWNER_TAG}{owner}"


def split_notes(text: str) -> tuple[str, str]:
    """(notes, owner) from the stored Notes text; inverse of `compose_notes`."""
    head, sep, last = text.rpartition("\n")
    if last.startswith(OWNER_TAG):
        return (head if sep else ""), last[len(OWNER_TAG) :]
    return text, ""


def vhd_file_name(vm_name: str) -> str:
    """`<vm name>.vhdx`, with characters Windows forbids in file names replaced by '_'."""
    return _NOT_IN_FILE_NAMES.sub("_", vm_name) + ".vhdx"


def version_key(version: str) -> tuple[int, ...]:
    """'9.0' -> (9, 0), for ordering configuration versions."""
    return tuple(int(part) for part in version.split("."))


class VmProvider(HostBoundProvider):
    """Create, adopt, read, update and delete a Hyper-V VM (see the module docstring)."""

    properties = VM_PROPERTIES

    # -- check / diff -----------------------------------------------------------------------

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        news = dict(news)
        preview = news.pop(PREVIEW_INPUT, True)
        result = super().check(olds, news)
        if result.failures:
            return result
        inputs = result.inputs
        failure = self._credential_failure(inputs)
        if failure is not None:
            result.failures.append(failure)
            return result
        if any(is_unknown(inputs.get(k)) for k in ("host", "name", "owner")):
            return result
        if preview is False:
            # An update: create.ps1 refuses another stack's VM itself (`_adoptable`).
            return result
        if _same_vm_as_before(olds, inputs):
            # The stack's state already holds this VM under the same host and name: a lookup
            # would only cost two round trips per VM on every preview and update. A new owner
            # (an owner id added, the stack renamed) re-tags it in the update.
            return result
        result.failures.extend(self._preview_lookup(inputs))
        return result

    def _credential_failure(self, inputs: dict[str, Any]) -> CheckFailure | None:
        """An image that needs an answer file needs a configured credential for its password."""
        name = inputs.get("credential")
        if is_unknown(name) or is_unknown(inputs.get("image_path")):
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
        except (ConfigError, ProviderError) as exc:
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
                    "image_path": None if is_unknown(image_path) else image_path,
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
        except ProviderError as exc:
            log.warning("check Vm: could not look for an owner conflict or the image: %s", exc)
            return []
        failures = []
        conflict = _conflict_message(found["vms"], inputs, op.ref.label())
        if conflict:
            failures.append(CheckFailure("name", conflict))
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

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        self._recorded(olds)
        d = self._diff(olds, news)
        return DiffResult(
            changes=d.changed,
            replaces=d.replaces,
            stables=[],
            delete_before_replace=bool(d.replaces),
        )

    def _diff(self, olds: dict[str, Any], news: dict[str, Any]) -> PropertyDiff:
        """The declared diff, plus: lowering `version` needs a new VM (Hyper-V cannot)."""
        d = self.properties.diff(olds, news)
        if "version" in d.changes and _lowers_version(olds, news):
            return PropertyDiff(d.changes, [*d.replaces, "version"], d.needs_off)
        return d

    # -- hooks ------------------------------------------------------------------------------

    def create_object(self, op: Operation, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        document, secrets = self._answer_file(inputs)
        try:
            made = self.run_described(
                op,
                "create",
                {
                    "name": inputs["name"],
                    "generation": inputs["generation"],
                    "memory_startup_mb": inputs["memory_startup_mb"],
                    "dynamic_memory": inputs["dynamic_memory"],
                    "disk_size_gb": inputs["disk_size_gb"],
                    "vhd_file": vhd_file_name(inputs["name"]),
                    "version": inputs.get("version"),
                    "notes_text": compose_notes(inputs["notes"], inputs["owner"]),
                    "image": inputs.get("image"),
                    "image_path": inputs.get("image_path"),
                    "disk": inputs.get("disk", "differencing"),
                    "answer_file": document,
                    "answer_file_path": PANTHER_PATH,
                },
            )
        except RemoteError as exc:
            raise _scrubbed(exc, secrets) from None
        if made["status"] == "created":
            return made["vm_id"], self._computed(made, inputs)
        vm_id = self._adoptable(op, made["vms"], inputs)
        got = self._converge(op, vm_id, inputs, raise_version=False)
        return vm_id, self._computed(got, inputs)

    def _answer_file(self, inputs: dict[str, Any]) -> tuple[str | None, list[str]]:
        """The answer file for a generalized image (None otherwise), and the secrets it holds
        (to scrub from any error text)."""
        if not inputs.get("image_path") or not inputs.get("generalized", True):
            return None, []
        name = inputs.get("credential")
        if not name:
            raise ProviderError(
                f"Vm '{inputs['name']}': a generalized image needs 'credential' (its password "
                "becomes the Administrator password in the answer file)"
            )
        try:
            password = self.lab().credential(name).password.get_secret_value()
        except ConfigError as exc:
            raise ProviderError(str(exc)) from None
        computer = inputs.get("computer_name") or computer_name_for(inputs["name"])
        text = answer_file(computer, password, inputs.get("time_zone") or "UTC")
        return text, [password, encode_password(password)]

    def find_created(
        self, op: Operation, inputs: dict[str, Any]
    ) -> tuple[str, dict[str, Any]] | None:
        found = self.run_described(op, "find", {"name": inputs["name"]})["vms"]
        wanted = {
            "notes_text": compose_notes(inputs["notes"], inputs["owner"]),
            "generation": inputs["generation"],
            "memory_startup_mb": inputs["memory_startup_mb"],
            "dynamic_memory": inputs["dynamic_memory"],
        }
        if not inputs.get("image_path"):
            wanted["disk_size_gb"] = inputs["disk_size_gb"]
        made = [vm for vm in found if all(vm.get(k) == v for k, v in wanted.items())]
        if len(made) != 1:
            return None
        return made[0]["vm_id"], self._computed(made[0], inputs)

    def read_object(self, op: Operation, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        got = self.run_described(op, "get", {"vm_id": id_})
        if not got.get("exists"):
            return None
        notes, owner = split_notes(got["notes_text"])
        declared = props.get("version")
        # A disk made from an image has the image's size: the declared size (of an empty
        # disk) is not compared then.
        size = props.get("disk_size_gb") if props.get("image_path") else got["disk_size_gb"]
        return {
            "name": got["name"],
            "generation": got["generation"],
            "memory_startup_mb": got["memory_startup_mb"],
            "dynamic_memory": got["dynamic_memory"],
            "disk_size_gb": size,
            "version": _seen_version(declared, got["actual_version"]),
            "notes": notes,
            "owner": owner,
            **self._computed(got, props),
        }

    def update_object(
        self,
        op: Operation,
        id_: str,
        olds: dict[str, Any],
        news: dict[str, Any],
        diff: PropertyDiff,
    ) -> dict[str, Any]:
        wanted = news.get("version")
        actual = olds.get("actual_version")
        raise_version = "version" in diff.changes and (
            wanted is None or actual is None or version_key(wanted) > version_key(actual)
        )
        got = self._converge(op, id_, news, raise_version=raise_version)
        if wanted is not None and version_key(got["actual_version"]) < version_key(wanted):
            raise ProviderError(
                f"{op.ref.label()}: update Vm failed: Update-VMVersion raised "
                f"'{news['name']}' only to {got['actual_version']}, below the declared "
                f"version {wanted}"
            )
        return self._computed(got, news)

    def delete_object(self, op: Operation, id_: str, props: dict[str, Any]) -> None:
        op.run("delete", {"vm_id": id_, "image_path": props.get("image_path")})

    # -- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _adoptable(op: Operation, found: list[dict[str, Any]], inputs: dict[str, Any]) -> str:
        """Id of the existing VM create may take over, or the reason it may not."""
        label, name, owner = op.ref.label(), inputs["name"], inputs["owner"]
        conflict = _conflict_message(found, inputs, label)  # adopt_existing cannot lift it
        if conflict:
            raise ProviderError(conflict)
        own = bool(owner) and all(split_notes(vm["notes_text"])[1] == owner for vm in found)
        if not (own or op.may_adopt(inputs)):
            raise ProviderError(
                f"Vm '{name}' already exists on {label}; set adopt_existing=True to manage it"
            )
        if len(found) > 1:
            raise ProviderError(
                f"{len(found)} VMs named '{name}' exist on {label}; "
                "remove or rename the extras before adopting"
            )
        return str(found[0]["vm_id"])

    def _converge(
        self, op: Operation, vm_id: str, inputs: dict[str, Any], *, raise_version: bool
    ) -> dict[str, Any]:
        """Run update.ps1; a 'fail' policy error gets a hint about the stop policy."""
        needs_off = (
            "memory and configuration-version changes need the VM Off while Hyper-V runs inside it"
        )
        with explain_needs_vm_off(inputs["stop_policy"], needs_off):
            return self.run_described(
                op,
                "update",
                {
                    "vm_id": vm_id,
                    "notes_text": compose_notes(inputs["notes"], inputs["owner"]),
                    "memory_startup_mb": inputs["memory_startup_mb"],
                    "dynamic_memory": inputs["dynamic_memory"],
                    "raise_version": raise_version,
                    "stop_policy": inputs["stop_policy"],
                },
                VM_POWER_PRELUDE,
            )

    @staticmethod
    def _computed(got: dict[str, Any], _inputs: dict[str, Any]) -> dict[str, Any]:
        return {
            "vm_id": got["vm_id"],
            "state": got["state"],
            "vhd_path": got["vhd_path"],
            "actual_version": got["actual_version"],
        }


def _same_vm_as_before(olds: dict[str, Any], inputs: dict[str, Any]) -> bool:
    """Whether the previous inputs (from state) name the same VM: same host and name, made from
    the same image path. The owner is not compared: the VM is this stack's whatever its tag
    says now."""
    return (
        bool(olds)
        and all(k in olds and equivalent(olds[k], inputs.get(k)) for k in ("host", "name"))
        and equivalent(olds.get("image_path"), inputs.get("image_path"))
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


def _lowers_version(olds: dict[str, Any], news: dict[str, Any]) -> bool:
    wanted = news.get("version")
    if wanted is None or is_unknown(wanted):
        return False  # None = the host default: Update-VMVersion can always reach it
    current = olds.get("actual_version") or olds.get("version")
    return current is not None and version_key(wanted) < version_key(current)


def _seen_version(declared: str | None, actual: str) -> str | None:
    """What `read` reports for the `version` input: a minimum, so a VM at or above the
    declared version shows no drift; below it shows the actual (older) version."""
    if declared is None or is_unknown(declared):
        return declared
    return declared if version_key(actual) >= version_key(declared) else actual


@dataclass
class VmArgs:
    """Inputs of a `Vm`."""

    host: Input[str | HostRef | dict[str, Any]]
    """Target Hyper-V host: a host name from stack config, or a route to a nested host."""
    name: Input[str]
    """VM name; changing it replaces the VM."""
    generation: Input[int] = 2
    """VM generation 1 or 2; changing it replaces the VM."""
    memory_startup_mb: Input[int] = 4096
    """Startup memory in MB (multiple of 2). Needs the VM Off while Hyper-V runs inside."""
    dynamic_memory: Input[bool] = False
    """Dynamic memory; switching it needs the VM Off."""
    disk_size_gb: Input[int] = 60
    """Size of a new empty system VHD in GB (no image); changing it replaces the VM."""
    image: Input[str | None] = None
    """Name of the base image (recorded; changing it replaces the VM)."""
    image_path: Input[str | None] = None
    """Path of the base image on `host`; None = a new empty VHD (the VM boots nothing)."""
    disk: Input[DiskMode] = "differencing"
    """'differencing' (a child disk of the image) or 'copy' (a full copy of it)."""
    generalized: Input[bool] = True
    """The image is sysprepped: an answer file is written into the new disk."""
    computer_name: Input[str | None] = None
    """Guest computer name set at first boot; None = the VM name made a NetBIOS name."""
    time_zone: Input[str] = "UTC"
    """Windows time zone id set at first boot."""
    credential: Input[str | None] = None
    """Guest login in `hyperv-lab:credentials` whose password the answer file gives the
    built-in Administrator (the password itself is read by the provider, never an input)."""
    version: Input[str | None] = None
    """Minimum configuration version (e.g. "9.0"); None = the host default. Raising it runs
    Update-VMVersion in place (VM Off); lowering it replaces the VM."""
    notes: Input[str] = ""
    """VM Notes text."""
    owner: Input[str] = ""
    """Owning stack '<project>/<stack>', kept as a tag line in the Notes."""
    stop_policy: Input[StopPolicy] = "fail"
    """'fail' or 'stop-and-restore' for changes that need the VM Off."""
    adopt_existing: Input[bool] = False
    """Adopt a VM of this name that already exists instead of failing."""


def host_input(host: Any) -> Any:
    """A HostRef becomes plain data (resource inputs must serialize)."""
    return host.model_dump(exclude_none=True) if isinstance(host, HostRef) else host


def args_props(args: Any) -> dict[str, Any]:
    """A FRESH props dict from an args dataclass (Pulumi writes `__provider` into it)."""
    props = {f.name: getattr(args, f.name) for f in fields(args)}
    props["host"] = host_input(props["host"])
    return props


class Vm(pulumi.dynamic.Resource, module="hyperv", name="Vm"):
    """A Hyper-V VM managed by `VmProvider`."""

    name: Output[str]
    vm_id: Output[str]
    state: Output[str]
    vhd_path: Output[str]
    actual_version: Output[str]

    def __init__(
        self, resource_name: str, args: VmArgs, opts: ResourceOptions | None = None
    ) -> None:
        props = args_props(args)
        props.update(vm_id=None, state=None, vhd_path=None, actual_version=None)
        props[PREVIEW_INPUT] = pulumi.runtime.is_dry_run()
        super().__init__(VmProvider(), resource_name, props, opts)
