"""What the world-facing cmdlet modules share: Windows enums, argument coercion, turning a
`WorldError` into an ErrorRecord, and finding the VMs a cmdlet is aimed at."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from hypervsim.powershell import api
from hypervsim.world.errors import WorldError
from hypervsim.world.model import VM, Computer

T = TypeVar("T")
R = TypeVar("R")

HYPERV_MODULE = "Hyper-V"
HYPERV_NS = "Microsoft.HyperV.PowerShell.Commands."

REMOTE_PARAMS = (
    api.Param("CimSession", api.ParamKind.LIST),
    api.Param("ComputerName", api.ParamKind.LIST),
    api.Param("Credential", api.ParamKind.LIST),
)
"""The Hyper-V cmdlets' -CimSession/-ComputerName/-Credential (the emulator runs them on the
computer it is)."""

VM_BY_NAME_PARAMS = (
    api.Param("VMName", api.ParamKind.LIST, aliases=("Name",), position=0),
    api.Param("VM", api.ParamKind.LIST, from_pipeline=True),
)
"""How the Get-/Set- settings cmdlets (VMMemory, VMProcessor) take their VMs."""

# The Hyper-V module arrives with the role's management tools: present as soon as the role is
# installed (even before the restart that starts the hypervisor), absent before.
api.module_available_when(
    HYPERV_MODULE, lambda computer: bool(computer.hyperv_active or computer.hyperv_pending)
)


@api.dotnet_enum("Microsoft.HyperV.PowerShell.VMState")
class VMState(api.PSEnum):
    Other = 1
    Running = 2
    Off = 3
    Stopping = 4
    Saved = 6
    Paused = 9
    Starting = 10
    Reset = 11
    Saving = 32773
    Pausing = 32776
    Resuming = 32777


@api.dotnet_enum("Microsoft.HyperV.PowerShell.OnOffState")
class OnOffState(api.PSEnum):
    On = 0
    Off = 1


@api.dotnet_enum("Microsoft.HyperV.PowerShell.VMSwitchType")
class VMSwitchType(api.PSEnum):
    Private = 0
    Internal = 1
    External = 2


@api.dotnet_enum("Microsoft.HyperV.PowerShell.VMNetworkAdapterVlanMode")
class VMNetworkAdapterVlanMode(api.PSEnum):
    Untagged = 0
    Access = 1
    Trunk = 2
    Private = 3


@api.dotnet_enum("Microsoft.PowerShell.Cmdletization.GeneratedTypes.NetIPAddress.AddressFamily")
class AddressFamily(api.PSEnum):
    IPv4 = 2
    IPv6 = 23


@api.dotnet_enum("Microsoft.PowerShell.Cmdletization.GeneratedTypes.NetIPAddress.PrefixOrigin")
class PrefixOrigin(api.PSEnum):
    Other = 0
    Manual = 1
    WellKnown = 2
    Dhcp = 3
    RouterAdvertisement = 4


@api.dotnet_enum("Microsoft.Windows.ServerManager.Commands.InstallState")
class InstallState(api.PSEnum):
    Available = 0
    Installed = 1
    InstallPending = 2
    Removed = 3
    UninstallPending = 4


@api.dotnet_enum("Microsoft.Windows.ServerManager.Commands.RestartState")
class RestartState(api.PSEnum):
    No = 0
    Yes = 1
    Maybe = 2


@api.dotnet_enum("Microsoft.HyperV.PowerShell.CheckpointType")
class CheckpointType(api.PSEnum):
    Disabled = 2
    Production = 3
    ProductionOnly = 4
    Standard = 5


@api.dotnet_enum("Microsoft.HyperV.PowerShell.SnapshotType")
class SnapshotType(api.PSEnum):
    Standard = 0
    Recovery = 1
    Planned = 2
    Missing = 3
    Replica = 4
    AppConsistentReplica = 5
    SyncedReplica = 6
    Production = 7


@api.dotnet_enum("Microsoft.HyperV.PowerShell.ControllerType")
class ControllerType(api.PSEnum):
    IDE = 0
    SCSI = 1


@api.dotnet_enum("Microsoft.Vhd.PowerShell.VhdType")
class VhdType(api.PSEnum):
    Unknown = 0
    Fixed = 2
    Dynamic = 3
    Differencing = 4


def to_record(err: WorldError, command: str, command_class: str | None = None) -> api.ErrorRecord:
    """A WorldError as the ErrorRecord Windows writes for `command`."""
    fqid = err.fqid or f"{err.reason},{command_class or HYPERV_NS + command.replace('-', '')}"
    return api.ErrorRecord(
        message=err.message,
        category=getattr(api.ErrorCategory, err.category, api.ErrorCategory.NotSpecified),
        fqid=fqid,
        target=err.target,
        command=command,
        exception_type=err.exception_type,
    )


def report(
    inv: api.Invocation,
    err: WorldError,
    command_class: str | None = None,
    terminating: bool = False,
) -> None:
    """Hyper-V and CIM cmdlets report per-object failures as non-terminating errors."""
    rec = to_record(err, inv.name, command_class)
    if terminating:
        raise api.CmdletError(rec, terminating=True)
    inv.write_error(rec)


def apply_to_each(
    inv: api.Invocation,
    targets: Iterable[T],
    action: Callable[[T], Any],
    passthru_object: Callable[[T], Any],
) -> Iterator[Any]:
    """How Hyper-V's Set-/Start-/Connect- cmdlets treat their targets: a failure on one is a
    non-terminating error that skips it, and with -Passthru each changed target is output."""
    return each_with_result(inv, targets, action, lambda target, _: passthru_object(target))


def each_with_result(
    inv: api.Invocation,
    targets: Iterable[T],
    action: Callable[[T], R],
    passthru_object: Callable[[T, R], Any],
) -> Iterator[Any]:
    """`apply_to_each` for Add-/Remove-/Restore- cmdlets whose -Passthru output is what the
    action made or removed (a drive, an adapter): `passthru_object(target, result)`."""
    for target in targets:
        try:
            result = action(target)
        except WorldError as err:
            report(inv, err)
            continue
        if as_bool(inv.bound.get("Passthru", False)):
            yield passthru_object(target, result)


def as_bool(value: Any) -> bool:
    if isinstance(value, api.PSEnum):
        return bool(value.value)
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "$true", "yes", "on")
    return bool(value)


def as_on_off(value: Any) -> bool:
    """OnOffState arguments: "On"/"Off" (or the enum); returns True for On."""
    if isinstance(value, OnOffState):
        return value is OnOffState.On
    text = str(value).strip().lower()
    if text in ("on", "0"):
        return True
    if text in ("off", "1"):
        return False
    raise ValueError(value)


def as_enum(
    inv: api.Invocation, param: str, enum_type: type[api.PSEnum], command: str
) -> api.PSEnum:
    """A Hyper-V enum argument (-`param` of `command`), by name in any case or by number;
    anything else is PowerShell's binding error naming the enumerators."""
    value = inv.bound[param]
    if isinstance(value, enum_type):
        return value
    text = str(value).strip()
    for member in enum_type:
        if text.lower() == member.name.lower() or text == str(member.value):
            return member
    names = ", ".join(m.name for m in sorted(enum_type, key=lambda m: m.value))
    raise api.CmdletError(
        api.ErrorRecord(
            message=f"Cannot bind parameter '{param}'. Cannot convert value \"{text}\" to type "
            f'"Microsoft.HyperV.PowerShell.{enum_type.__name__}". Error: "Unable to match the '
            f"identifier name {text} to a valid enumerator name. Specify one of the following "
            f'enumerator names and try again:\r\n{names}"',
            category=api.ErrorCategory.InvalidArgument,
            fqid=f"CannotConvertArgumentNoMessage,{HYPERV_NS}{command.replace('-', '')}",
            command=command,
            exception_type="System.Management.Automation.ParameterBindingException",
        ),
        terminating=True,
    )


def as_int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value).strip().upper()
    for suffix, mult in (("TB", 1024**4), ("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if text.endswith(suffix):
            return int(float(text[: -len(suffix)]) * mult)
    return int(text)


def flatten(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        out: list[Any] = []
        for v in value:
            out += flatten(v)
        return out
    return [value]


def unwrap(value: Any) -> Any:
    """The live world object behind a pipeline value (PSObject.ref), or the value itself."""
    return value.ref if isinstance(value, api.PSObject) and value.ref is not None else value


def strings(value: Any) -> list[str]:
    return [
        str(v.get("Name") if isinstance(v, api.PSObject) and v.has("Name") else v)
        for v in flatten(value)
    ]


def piped(inv: api.Invocation, param: str) -> list[Any]:
    """Values of a pipeline-bound parameter: the explicit value, else the pipeline input."""
    if param in inv.bound and inv.bound[param] is not None:
        return flatten(inv.bound[param])
    return flatten(inv.input)


def hyperv_host(inv: api.Invocation) -> Computer:
    """The computer this script runs on, which must have Hyper-V working."""
    inv.computer.require_hyperv(inv.name)
    return inv.computer


def settings_vms(inv: api.Invocation, host: Computer, settings_param: str) -> list[VM]:
    """The VMs a Set- settings cmdlet (Set-VMMemory, Set-VMProcessor) changes: named or passed
    as VMs (`target_vms`), and those whose settings object came as -<settings_param>."""
    given = flatten(inv.bound.get(settings_param))
    return target_vms(inv, host) + [o.ref for o in given if isinstance(unwrap(o), VM)]


def target_vms(
    inv: api.Invocation,
    host: Computer,
    lookup: bool = False,
    name_param: str = "VMName",
    name_is_vm: bool = True,
) -> list[VM]:
    """VMs named by -Name/-VMName (wildcards) or passed as objects (-VM / pipeline).

    `name_is_vm=False` for cmdlets whose -Name names something else (the integration
    service of *-VMIntegrationService): there only -VMName names VMs.
    Unknown plain names are reported as Windows' not-found error; the rest go on."""
    vms: list[VM] = []

    def add(vm: VM) -> None:
        if not any(v is vm for v in vms):
            vms.append(vm)

    names = inv.bound.get(name_param)
    if names is None and name_param != "Name" and name_is_vm:
        names = inv.bound.get("Name")
    if names is not None:
        for name in strings(names):
            try:
                for vm in host.vms_named([name], lookup=lookup):
                    add(vm)
            except WorldError as err:
                report(inv, err)
        return vms
    for item in piped(inv, "VM"):
        obj = unwrap(item)
        if isinstance(obj, VM):
            add(obj)
        elif hasattr(obj, "vm_ref"):
            add(obj.vm_ref)
        elif isinstance(item, api.PSObject) and isinstance(item.ref, VM):
            add(item.ref)
        elif isinstance(obj, str):
            try:
                for vm in host.vms_named([obj], lookup=lookup):
                    add(vm)
            except WorldError as err:
                report(inv, err)
    return vms


def first_or(items: Iterable[Any], default: Any = None) -> Any:
    return next(iter(items), default)
