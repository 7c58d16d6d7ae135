"""`HostBoundProvider`: the lifecycle every Hyper-V dynamic provider shares.

A subclass declares its `properties` (a PropertySet) and implements four small hooks that
run `.ps1` scripts through a `RemotePowerShell`; the base does check/diff from the property
descriptions, always returns FULL outputs, resolves the target host from stack config or the
environment at call time (no secret and no connection on the instance, which dill pickles
into state), and turns remote failures into one clean line without secrets.

A create whose reply is lost (`OutcomeUnknownError`) may still have made its object: the
base asks the `find_created` hook to re-read it by identity and, if it is there as declared,
the create succeeds. Otherwise the create stays noted in `PendingCreates`, and the next create
of the same object sees `op.pending_leftover` and adopts what it finds instead of refusing it.
"""

from __future__ import annotations

import functools
import inspect
import logging
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Annotated, Any, ClassVar, Generic, Literal, TypeAlias, TypeVar

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pydantic import Field

from components.config import ConfigError, HostRef, LabConfig
from components.providers.inside_off_vm import delete_refusal
from components.providers.pending_creates import (
    PendingCreates,
    create_key,
    default_journal_dir,
)
from components.providers.properties import Prop, PropertyDiff, PropertySet, declared_as, is_unknown
from components.remote import (
    POOL,
    FollowUp,
    GuestVmMissingError,
    GuestVmOffError,
    OutcomeUnknownError,
    PowerShellError,
    RemoteError,
    RemotePowerShell,
    load_script,
)
from components.remote.session import SILENT_ATTEMPTS

log = logging.getLogger(__name__)

StopPolicy = Literal["fail", "stop-and-restore"]

Props: TypeAlias = dict[str, Any]
"""A resource's properties by name, as the hooks take and return them (short, so that
the hook signatures stay on one line)."""

SHARED_SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
VM_POWER_PRELUDE = SHARED_SCRIPTS / "vm_power.ps1"
"""Defines `Invoke-WhileVmOff -VMName -Policy -Change {...}` for 'needs VM Off' changes."""

SETTING_VM_PRELUDE = SHARED_SCRIPTS / "setting_vm.ps1"
"""Defines `Find-LabSettingVm $in`: the VM of a `VmSettingArgs` resource, by `vm_id` or name."""

VM_RUNNING_SCRIPT = SHARED_SCRIPTS / "vm_running.ps1"
"""Reports a VM's state and nesting, for the preview of a change that needs the VM Off."""
VMS_RUNNING_SCRIPT = SHARED_SCRIPTS / "vms_running.ps1"
"""Lists the VMs running on a host (inside an L1: the guests its restart stops)."""
VM_STATE_SCRIPT = SHARED_SCRIPTS / "vm_state.ps1"
"""Whether a VM (by exact name) exists and its state: can PowerShell Direct reach its guest?"""

HOST_PROP = Prop("host", HostRef | str, replaces=True, doc="target host (name or VM route)")
ADOPT_PROP = Prop("adopt_existing", bool, default=False, doc="adopt an existing object on create")
VM_NAME_PROP = Prop(
    "vm_name", Annotated[str, Field(min_length=1)], replaces=True, doc="the VM (by exact name)"
)
STOP_POLICY_PROP = Prop(
    "stop_policy",
    StopPolicy,
    default="fail",
    doc="'fail' (Windows' own error) or 'stop-and-restore' for changes that need the VM Off",
)
VM_ID_PROP = Prop("vm_id", str, computed=True, doc="Hyper-V VM Id")
"""An output of each `VmSettingArgs` resource: its VM's Id, which stays when a name changes."""


@dataclass
class VmSettingArgs:
    """The first inputs of a resource that sets something on an existing VM (its processors,
    power state, an adapter): which VM, on which host. Its Args extend this."""

    host: pulumi.Input[str | HostRef | dict[str, Any]] = declared_as(HOST_PROP)
    """Hyper-V host that runs the VM (config host name or nested-host route)."""
    vm_name: pulumi.Input[str] = declared_as(VM_NAME_PROP)
    """Name of the VM; changing it replaces the resource."""


def one_line(message: str) -> str:
    """A multi-line message as one line: its non-empty lines, stripped, joined by spaces."""
    return " ".join(line.strip() for line in message.splitlines() if line.strip())


class ProviderError(Exception):
    """What Pulumi shows when an operation fails: one line, host + operation + Windows text."""

    clean_error = True  # the provider launcher shows the message without a Python traceback

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))  # Hyper-V messages span several lines

    def __reduce__(self) -> tuple[type, tuple[str]]:
        return (type(self), (str(self),))


INVALID_STATE_ERROR_ID = "InvalidState,"
"""FullyQualifiedErrorId prefix of Hyper-V's refusal to change a VM in its current state
(e.g. `InvalidState,Microsoft.HyperV.PowerShell.Commands.SetVMProcessor`): the id, not the
message text, which is localised on non-English hosts."""


@contextmanager
def explain_needs_vm_off(stop_policy: str, why: str) -> Iterator[None]:
    """Around a 'needs VM Off' change: under the 'fail' policy, Windows' refusal to change a
    running VM becomes one line saying `why` it needs the VM Off and how to let the provider
    stop it; any other error passes through unchanged."""
    try:
        yield
    except PowerShellError as exc:
        if stop_policy == "fail" and exc.fqid.startswith(INVALID_STATE_ERROR_ID):
            raise ProviderError(
                f"{exc.host}: {exc.operation} failed: {exc.message} ({why}; set "
                "stop_policy='stop-and-restore' to let the provider turn it off, apply and "
                "start it again)"
            ) from None
        raise


def preview_needs_off(
    provider: HostBoundProvider,
    props: Mapping[str, Any],
    vm_id: str,
    what: list[str],
    needs_off: Callable[[bool], bool],
    credential: str | None = None,
) -> None:
    """At diff (so at preview, before anything is changed): a change of `what` that needs the
    VM Off while it is Running fails here under stop_policy 'fail' (Windows would refuse it
    halfway through `up`), and under 'stop-and-restore' logs one warning line that the VM and
    the VMs running inside it (named, when the VM's guest `credential` lets them be listed)
    will be stopped and started again. `needs_off(nested)` says whether the change needs the
    VM Off, given whether it runs Hyper-V inside. A host that cannot be read leaves it to the
    update."""
    if not what or any(is_unknown(props.get(k)) for k in ("host", "stop_policy")):
        return
    try:
        op = provider._operation(props, "preview")
        got = op.client.run(load_script(VM_RUNNING_SCRIPT), {"vm_id": vm_id}, op.label)
    except (RemoteError, ProviderError) as exc:
        log.info("preview %s: could not read the VM's state: %s", provider.properties.kind, exc)
        return
    if not got.get("exists") or got["state"] != "Running" or not needs_off(bool(got["nested"])):
        return
    name, where, changed = got["name"], op.ref.label(), ", ".join(what)
    if props["stop_policy"] == "fail":
        raise ProviderError(
            f"{where}: {provider.properties.kind} of VM '{name}': changing {changed} needs the "
            f"VM Off and it is Running, and stop_policy is 'fail': nothing was changed. Stop "
            f"the VM first, or set stop_policy: stop-and-restore to let the provider shut it "
            f"down, apply the change and start it again (with the VMs running inside it)"
        )
    inside = _running_inside(provider, props, name, credential) if got["nested"] else []
    log.warning(
        "%s: VM '%s' is Running and changing %s needs it Off: stop_policy 'stop-and-restore' "
        "will shut it down, apply the change and start it again; the VMs running inside it%s "
        "stop with it and are started again after it",
        where,
        name,
        changed,
        f" ({', '.join(repr(n) for n in inside)})" if inside else "",
    )


def _running_inside(
    provider: HostBoundProvider, props: Mapping[str, Any], vm_name: str, credential: str | None
) -> list[str]:
    """Names of the VMs running inside `vm_name` (through PowerShell Direct); [] if unknown."""
    if not credential or is_unknown(credential):
        return []
    route = {"parent": props["host"], "vm_name": vm_name, "credential": credential}
    try:
        op = provider._operation({**props, "host": route}, "preview")
        got = op.client.run(load_script(VMS_RUNNING_SCRIPT), {}, op.label)
    except (RemoteError, ProviderError, ConfigError) as exc:
        log.info("preview: could not list the VMs inside '%s': %s", vm_name, exc)
        return []
    return sorted(str(n) for n in got.get("names") or [])


@functools.cache
def _scripts_dir(module_name: str) -> Path:
    """A provider module's scripts folder, found once per process (not on every operation)."""
    module = Path(inspect.getfile(sys.modules[module_name])).resolve()
    return module.parent / "scripts" / module.stem


@functools.cache
def _provider_scripts_dir(mro_modules: tuple[str, ...]) -> Path:
    """The scripts folder of the nearest class (by the modules of its MRO) that has one."""
    for module_name in mro_modules:
        folder = _scripts_dir(module_name)
        if folder.is_dir():
            return folder
    return _scripts_dir(mro_modules[0])


class Operation:
    """Context of one provider call: the host client and a label for messages."""

    def __init__(self, provider: HostBoundProvider, props: Mapping[str, Any], verb: str) -> None:
        self.provider = provider
        self.ref = HostRef.parse(props["host"])
        self.label = f"{verb} {provider.properties.kind}"
        self.client = RemotePowerShell(provider.lab().host(self.ref))
        self.pending_leftover = False
        """In create: an earlier create of exactly this object never learnt its outcome, so an
        object found under its identity may be that create's own leftover (adopt it)."""

    def may_adopt(self, inputs: Mapping[str, Any]) -> bool:
        """Whether create may take over an object that already exists under its identity."""
        return bool(inputs.get("adopt_existing")) or self.pending_leftover

    def require_adoptable(self, inputs: Mapping[str, Any], what: str) -> None:
        """A create found `what` (e.g. "NetNat 'nat'") already there: refuse unless it may
        adopt it, saying how to let it."""
        if not self.may_adopt(inputs):
            raise ProviderError(
                f"{what} already exists on {self.ref.label()}; set adopt_existing=True to manage it"
            )

    def run(
        self,
        script: str | Path,
        inputs: Mapping[str, Any],
        *preludes: Path,
        after_restart: tuple[str, Mapping[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Run `<provider dir>/scripts/<script>.ps1` (or the shared script at that Path, with
        shared preludes) on the host; `after_restart` (script, inputs): in a guest, run that
        script (same preludes) in the same operation once the guest is back, when the first
        answer says `restarting`."""
        path = script if isinstance(script, Path) else self.provider.script_path(script)
        text = load_script(path, *preludes)
        follow_up = None
        if after_restart is not None:
            then_script, then_inputs = after_restart
            then_text = load_script(self.provider.script_path(then_script), *preludes)
            follow_up = FollowUp(then_text, dict(then_inputs))
        result = self.client.run(text, dict(inputs), self.label, after_restart=follow_up)
        for warning in result.get("warnings") or []:
            log.warning("%s on %s: %s", self.label, self.ref.label(), warning)
        return result


def host_input(host: Any) -> Any:
    """A HostRef becomes plain data (resource inputs must serialize)."""
    return host.model_dump(exclude_none=True) if isinstance(host, HostRef) else host


PREVIEW_INPUT = "_preview"
"""Transient input: True when the program runs for a preview (absent: look up, to be safe).
Set by resources that `mark_preview`; `HostBoundProvider.check` takes it out, so it never
reaches state or a diff."""


def resource_props(args: Any, properties: PropertySet) -> dict[str, Any]:
    """A FRESH props dict for a resource (Pulumi writes `__provider` into it): each field of its
    args dataclass (the host as plain data), then each computed output, not known yet."""
    props = {f.name: getattr(args, f.name) for f in fields(args)}
    props["host"] = host_input(props["host"])
    return {**props, **dict.fromkeys(properties.computed_names())}


Args = TypeVar("Args")


class HostBoundResource(pulumi.dynamic.Resource, Generic[Args]):
    """A resource of a `HostBoundProvider`, declared with its Args dataclass: its props are the
    args and the provider's computed outputs (`resource_props`)."""

    dynamic_provider: ClassVar[HostBoundProvider]
    mark_preview: ClassVar[bool] = False
    """Pass `PREVIEW_INPUT`: for a provider whose `check_inputs` reads the host only in a
    preview (in an update its operation script refuses by itself)."""

    def __init__(
        self, resource_name: str, args: Args, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.dynamic_provider, resource_name, self.props_of(args), opts)

    def props_of(self, args: Args) -> dict[str, Any]:
        props = resource_props(args, self.dynamic_provider.properties)
        if self.mark_preview:
            props[PREVIEW_INPUT] = pulumi.runtime.is_dry_run()
        return props


def guest_running(op: Operation, vm_name: str, otherwise: str) -> bool | None:
    """Whether the guest of VM `vm_name` on `op`'s host can be reached: None when the VM is
    gone, False when it is not Running (warned as `<op>: VM '<name>' is <state>; <otherwise>`),
    else True."""
    got = op.run(VM_STATE_SCRIPT, {"vm_name": vm_name})
    if not got["exists"]:
        return None
    state = got.get("state")
    if state != "Running":
        log.warning("%s: VM '%s' is %s; %s", op.label, vm_name, state, otherwise)
        return False
    return True


class HostBoundProvider(ResourceProvider):
    """Base of every Hyper-V provider; subclasses fill `properties` and the four hooks."""

    properties: ClassVar[PropertySet]
    delete_before_replace: ClassVar[bool] = True  # names are unique per host

    def __init__(self) -> None:
        self._lab: LabConfig | None = None

    def __getstate__(self) -> dict[str, Any]:
        # Never pickle configuration (it holds passwords) into state.
        return {k: v for k, v in self.__dict__.items() if k != "_lab"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lab = None

    # -- hooks ------------------------------------------------------------------------------

    def create_object(self, op: Operation, inputs: Props) -> tuple[str, Props]:
        """Create (or adopt, if `adopt_existing`); roll back on failure. Returns (id, computed)."""
        raise NotImplementedError

    def read_object(self, op: Operation, id_: str, props: Props) -> Props | None:
        """Actual state keyed by property names (inputs and computed), or None if gone."""
        raise NotImplementedError

    def update_object(
        self, op: Operation, id_: str, olds: Props, news: Props, diff: PropertyDiff
    ) -> Props:
        """Apply `diff.changes` in place; returns computed values."""
        raise NotImplementedError

    def delete_object(self, op: Operation, id_: str, props: Props) -> None:
        """Remove; an already-missing object is success."""
        raise NotImplementedError

    def check_inputs(self, olds: Props, inputs: Props, preview: bool) -> list[CheckFailure]:
        """Checks beyond the declarations, of inputs that passed them (and name a configured
        host): `preview` is False only in an update of a resource that `mark_preview`s."""
        return []

    def find_created(self, op: Operation, inputs: Props) -> tuple[str, Props] | None:
        """After a create whose outcome is unknown: re-read the object by its identity and
        return (id, computed) if it exists as `inputs` declare it, else None."""
        return None

    def read_as_declared(
        self, op: Operation, id_: str, inputs: dict[str, Any]
    ) -> dict[str, Any] | None:
        """`read_object`, but None unless every input it reports equals the declared one
        (for `find_created` of kinds whose read finds the object by its inputs)."""
        actual = self.read_object(op, id_, inputs)
        if actual is None:
            return None
        declared = set(self.properties.input_names()) & actual.keys()
        return None if any(actual[k] != inputs.get(k) for k in declared) else actual

    # -- plumbing ---------------------------------------------------------------------------

    def configure(self, req: ConfigureRequest) -> None:
        try:
            self._lab = LabConfig.from_pulumi_config(req.config)
        except ConfigError as exc:
            raise ProviderError(str(exc)) from None

    def lab(self) -> LabConfig:
        if getattr(self, "_lab", None) is None:
            try:
                self._lab = LabConfig.from_environment()
            except ConfigError as exc:
                raise ProviderError(str(exc)) from None
        assert self._lab is not None
        return self._lab

    def script_path(self, name: str) -> Path:
        """`scripts/<module name>/<name>.ps1` next to the provider's module (each provider
        keeps its operation scripts in a folder named like its module). A subclass defined
        elsewhere (say, to wrap an operation) keeps using its base provider's scripts."""
        modules = tuple(
            cls.__module__ for cls in type(self).__mro__ if issubclass(cls, HostBoundProvider)
        )
        return _provider_scripts_dir(modules) / f"{name}.ps1"

    def run_described(
        self, op: Operation, script: str, inputs: Mapping[str, Any], *preludes: Path
    ) -> dict[str, Any]:
        """Run one operation script with the provider's `describe.ps1` prelude (the function
        that reports the object as the provider reads it), after any other preludes."""
        return op.run(script, inputs, *preludes, self.script_path("describe"))

    def _operation(self, props: Mapping[str, Any], verb: str) -> Operation:
        try:
            return Operation(self, props, verb)
        except ConfigError as exc:
            raise ProviderError(str(exc)) from None

    def _fail(self, exc: RemoteError) -> ProviderError:
        """One line (Pulumi shows it verbatim; Hyper-V messages span several lines)."""
        if isinstance(exc, PowerShellError):
            return ProviderError(f"{exc.host}: {exc.operation} failed: {exc.message}")
        return ProviderError(str(exc))

    def _pending_creates(self) -> PendingCreates:
        return PendingCreates(self.lab().journal_dir or default_journal_dir())

    def _create_key(self, props: Mapping[str, Any]) -> str:
        """The create's identity: kind, host connection, declared inputs (not the policies)."""
        ignored = {"host", ADOPT_PROP.name, STOP_POLICY_PROP.name}
        declared = {k: props.get(k) for k in self.properties.input_names() if k not in ignored}
        host = self.lab().host(HostRef.parse(props["host"]))
        return create_key(self.properties.kind, host.pool_key(), declared)

    def _recorded(self, props: Mapping[str, Any]) -> None:
        """The engine showed this object back (its state holds it): a create of it that
        succeeded is no longer a possible leftover of a killed run."""
        try:
            key = self._create_key(props)
        except (ConfigError, ProviderError, KeyError, ValueError):
            return
        self._pending_creates().discard(key)

    def _note_interrupted_create(self, op: Operation) -> None:
        """Say what a killed run leaves in the state, and the command that clears it."""
        log.warning(
            "%s on %s: an earlier `pulumi up` was stopped (or lost the reply) while creating "
            "it; this create takes over what that run made. If Pulumi warns about pending "
            "operations, run: pulumi refresh --yes --clear-pending-creates",
            op.label,
            op.ref.label(),
        )

    def _recover_create(
        self, op: Operation, props: dict[str, Any], exc: OutcomeUnknownError
    ) -> tuple[str, dict[str, Any]]:
        """The object a create whose reply was lost made, re-read; else the failure."""
        try:
            found = self.find_created(op, props)
        except RemoteError as again:
            log.info("%s: could not re-read after a lost reply: %s", op.label, again)
            found = None
        if found is None:
            raise ProviderError(
                f"{exc}; if it was made, the next create of the same "
                f"{self.properties.kind} on {op.ref.label()} adopts it"
            )
        log.info("%s on %s: the reply was lost but the object was made", op.label, op.ref.label())
        return found

    def warm_hosts(self) -> None:
        """Before a preview's first read of a host: reach every configured host at once (see
        `SessionPool.warm`), so hosts that never answer are all found in one round."""
        POOL.warm(self.lab().hosts.values())

    def unreadable(self, exc: RemoteError, what: str) -> list[CheckFailure]:
        """A check that could not read its host fails (preview exits non-zero), one line
        per host: this one's error, then every other host that did not answer in this run
        (the engine stops at the first failed check, so it is the only chance to say so)."""
        failures = [CheckFailure("host", f"could not read the host to {what}: {exc}")]
        hosts = [h for h in self.lab().hosts.values() if h.name != exc.host]
        wait_s = max(
            (SILENT_ATTEMPTS * (h.connect_timeout_s + h.read_timeout_s) for h in hosts),
            default=0.0,
        )
        for down in POOL.hosts_down(hosts, wait_s):
            failures.append(
                CheckFailure(
                    "host",
                    f"host {down} either: check that it is up and its WinRM service answers",
                )
            )
        return failures

    # -- ResourceProvider -------------------------------------------------------------------

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        news = dict(news)
        preview = news.pop(PREVIEW_INPUT, True)
        inputs, failures = self.properties.check(news)
        out = [CheckFailure(f.prop, f.reason) for f in failures]
        host = inputs.get("host")
        if not failures and host is not None and not is_unknown(host):
            try:
                self.lab().host(host)
            except (ConfigError, ProviderError) as exc:
                out.append(CheckFailure("host", str(exc)))
        if not out:
            out.extend(self.check_inputs(olds, inputs, preview))
        return CheckResult(inputs, out)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        self._recorded(olds)
        d = self.properties.diff(olds, news)
        return DiffResult(
            changes=d.changed,
            replaces=d.replaces,
            stables=[],
            delete_before_replace=self.delete_before_replace and bool(d.replaces),
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        op = self._operation(props, "create")
        pending, key = self._pending_creates(), self._create_key(props)
        op.pending_leftover = pending.contains(key)
        if op.pending_leftover:
            self._note_interrupted_create(op)
        description = {"kind": self.properties.kind, "host": op.ref.label()}
        pending.add(key, description)
        known = False  # whether the outcome of every create of this object so far is known
        made = False
        try:
            try:
                id_, computed = self.create_object(op, props)
            except OutcomeUnknownError as exc:
                id_, computed = self._recover_create(op, props, exc)
            except RemoteError as exc:
                known = not op.pending_leftover
                raise self._fail(exc) from None
            except ProviderError:
                known = not op.pending_leftover
                raise
            known = made = True
        finally:
            if made:
                pending.made(key, description)  # until the engine shows it back
            elif known:
                pending.discard(key)
        return CreateResult(id_, self.properties.outputs(props, computed))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        op = self._operation(props, "read")
        self._recorded(props)
        try:
            actual = self.read_object(op, id_, props)
        except GuestVmMissingError:
            actual = None  # the VM this object lives in is gone, and so is the object
        except GuestVmOffError as exc:
            # The VM this object lives in is Off: what is inside is unknown, not gone. Keep
            # what was recorded (no wait on a guest that cannot answer); the `up` that starts
            # the VM converges it again (see `NestedHost.boot`).
            log.warning(
                "%s on %s: unknown while its VM is not running (kept as recorded): %s",
                op.label,
                op.ref.label(),
                exc.message,
            )
            actual = {}
        except RemoteError as exc:
            raise self._fail(exc) from None
        if actual is None:
            return ReadResult("", {}, {})  # gone: Pulumi drops it from state
        names = set(self.properties.props)
        merged = {**{k: v for k, v in props.items() if k in names}, **actual}
        computed = {k: merged.get(k) for k in self.properties.computed_names()}
        outs = self.properties.outputs(merged, computed)
        return ReadResult(id_, outs, self.properties.inputs_from(outs))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        op = self._operation(news, "update")
        self._recorded(olds)
        d = self.properties.diff(olds, news)
        try:
            computed = self.update_object(op, id_, olds, news, d)
        except RemoteError as exc:
            raise self._fail(exc) from None
        return UpdateResult(self.properties.outputs(news, computed))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        op = self._operation(props, "delete")
        self._recorded(props)
        try:
            self.delete_object(op, id_, props)
        except GuestVmMissingError:
            return  # deleted with the VM it lived in
        except GuestVmOffError as exc:
            # Kept in state: it is still there, inside a VM that cannot be reached.
            what = props.get("name") or props.get("ip_address") or props.get("vm_name") or id_
            kind = self.properties.kind
            raise ProviderError(delete_refusal(kind, f"'{what}'", op.ref, exc)) from None
        except RemoteError as exc:
            raise self._fail(exc) from None
