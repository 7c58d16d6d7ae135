"""Settings Windows accepts and reads back that the model does not act on.

Windows Server 2022's Set-VM, Set-VMProcessor, Set-VMMemory, Set-VMNetworkAdapter and the
switch cmdlets take many parameters that change nothing this emulator models (migration
compatibility, bandwidth, MMIO space...). A script that sets one must succeed and read the
value back, and a parameter Windows does not have must still be refused by the binder. Each
such setting is declared once here: its parameter, its property on the Get-* object, its
Windows default and its type; values are kept by property name in the record's `settings`.
`get_and_set_cmdlets` registers a Get-/Set-VM<noun> pair (memory, processor) around them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hypervsim.powershell import api
from hypervsim.powershell.cmdlets.world_bridge import (
    HYPERV_MODULE,
    HYPERV_NS,
    REMOTE_PARAMS,
    VM_BY_NAME_PARAMS,
    OnOffState,
    apply_to_each,
    as_bool,
    as_enum,
    as_int,
    flatten,
    hyperv_host,
    settings_vms,
    target_vms,
)
from hypervsim.powershell.values import to_string
from hypervsim.world.model import VM, Computer


@api.dotnet_enum("Microsoft.HyperV.PowerShell.StartAction")
class StartAction(api.PSEnum):
    Nothing = 2
    StartIfRunning = 3
    Start = 4


@api.dotnet_enum("Microsoft.HyperV.PowerShell.StopAction")
class StopAction(api.PSEnum):
    TurnOff = 2
    Save = 3
    ShutDown = 4


def _enum(name: str, members: list[tuple[str, int]]) -> type[api.PSEnum]:
    """An enum with a member named None, which only Enum's functional API can spell."""
    enum: type[api.PSEnum] = api.PSEnum(name, members)  # type: ignore[call-arg,arg-type,assignment]  # functional API
    return api.dotnet_enum(f"Microsoft.HyperV.PowerShell.{name}")(enum)


CriticalErrorAction = _enum("CriticalErrorAction", [("None", 0), ("Pause", 1)])
VMNetworkAdapterPortMirroringMode = _enum(
    "VMNetworkAdapterPortMirroringMode", [("None", 0), ("Destination", 1), ("Source", 2)]
)
VMSwitchBandwidthMode = _enum(
    "VMSwitchBandwidthMode", [("Default", 0), ("Weight", 1), ("Absolute", 2), ("None", 3)]
)


@api.dotnet_enum("Microsoft.HyperV.PowerShell.IovInterruptModerationValue")
class IovInterruptModerationValue(api.PSEnum):
    Default = 0
    Adaptive = 1
    Off = 2
    Low = 100
    Medium = 200
    High = 300


@dataclass(frozen=True)
class Setting:
    """One accepted-and-read-back setting: -`param` sets property `prop` (default `default`,
    or computed from the record by `default_of`), converted as `kind` (bool, int, str, list
    for a String[] parameter, or a PSEnum class, whose member *names* are stored)."""

    param: str
    kind: Any
    default: Any = None
    prop: str = ""
    default_of: Callable[[Any], Any] | None = None
    scope: str = ""  # keeps e.g. the processor's "Maximum" apart from the memory's
    not_empty: bool = False  # [ValidateNotNullOrEmpty]: '' and $null fail binding

    @property
    def name(self) -> str:
        return self.prop or self.param

    @property
    def key(self) -> str:
        return f"{self.scope}.{self.name}" if self.scope else self.name


def params(settings: tuple[Setting, ...]) -> tuple[api.Param, ...]:
    """The settings as parameters; an enum-valued one binds names or integers as Windows does."""
    return tuple(
        api.Param(
            s.param,
            enum=s.kind if isinstance(s.kind, type) and issubclass(s.kind, api.PSEnum) else None,
        )
        for s in settings
    )


def collect(inv: api.Invocation, settings: tuple[Setting, ...], command: str) -> dict[str, Any]:
    """The bound values of `settings`, converted, by storage key (binding errors raise)."""
    out: dict[str, Any] = {}
    for s in settings:
        if s.param not in inv.bound:
            continue
        value = inv.bound[s.param]
        if s.kind is bool:
            out[s.key] = as_bool(value)
        elif s.kind is int:
            out[s.key] = as_int(value)
        elif s.kind is str:
            if s.not_empty and (value is None or to_string(value) == ""):
                raise _null_or_empty(s.param, command)
            out[s.key] = None if value is None else to_string(value)
        elif s.kind is list:
            out[s.key] = [to_string(v) for v in flatten(value)]
        else:
            out[s.key] = as_enum(inv, s.param, s.kind, command).name
    return out


def get_and_set_cmdlets(
    noun: str,
    settings: tuple[Setting, ...],
    to_object: Callable[[Computer, VM], api.PSObject],
    own_params: tuple[api.Param, ...],
    change: Callable[[api.Invocation, Computer], Callable[[VM], None]],
) -> None:
    """Register Get-VM<noun> (one object per VM) and Set-VM<noun>: `change(inv, host)` reads
    the cmdlet's own parameters and returns what to do to each target VM (by name, -VM<noun>
    objects or the pipeline), followed by the extra `settings` given."""
    name = f"VM{noun}"

    @api.cmdlet(f"Get-{name}", *VM_BY_NAME_PARAMS, module=HYPERV_MODULE)
    def get(inv: api.Invocation) -> Iterable[Any]:
        host = hyperv_host(inv)
        return [to_object(host, vm) for vm in target_vms(inv, host, lookup=True)]

    @api.cmdlet(
        f"Set-{name}",
        *VM_BY_NAME_PARAMS,
        api.Param(name, api.ParamKind.LIST),
        *own_params,
        *params(settings),
        *REMOTE_PARAMS,
        api.Param("Passthru", api.ParamKind.SWITCH),
        module=HYPERV_MODULE,
    )
    def set_(inv: api.Invocation) -> Iterable[Any]:
        host = hyperv_host(inv)
        change_vm = change(inv, host)
        extra = collect(inv, settings, f"Set-{name}")

        def apply(vm: VM) -> None:
            change_vm(vm)
            if extra:
                host.set_vm_settings(vm, extra)

        vms = settings_vms(inv, host, name)
        yield from apply_to_each(inv, vms, apply, lambda vm: to_object(host, vm))


def _null_or_empty(param: str, command: str) -> api.CmdletError:
    """PowerShell's binding error for [ValidateNotNullOrEmpty] parameters."""
    return api.CmdletError(
        api.ErrorRecord(
            f"Cannot validate argument on parameter '{param}'. The argument is null or empty."
            " Provide an argument that is not null or empty, and then try the command again.",
            api.ErrorCategory.InvalidData,
            f"ParameterArgumentValidationError,{HYPERV_NS}{command.replace('-', '')}",
            exception_type="System.Management.Automation.ParameterBindingValidationException",
        )
    )


def read_back(
    stored: Mapping[str, Any], settings: tuple[Setting, ...], record: Any
) -> dict[str, Any]:
    """The properties of `settings` for a Get-* object: stored values, else the defaults."""
    out: dict[str, Any] = {}
    for s in settings:
        if s.name in out:
            continue
        value = stored.get(s.key)
        if value is None and s.key not in stored:
            value = s.default_of(record) if s.default_of else s.default
        if isinstance(s.kind, type) and issubclass(s.kind, api.PSEnum) and isinstance(value, str):
            value = s.kind[value]
        if s.kind is list:
            value = list(value or [])  # a String[] property: a fresh array, empty by default
        out[s.name] = value
    return out


VM_SETTINGS = (
    Setting("GuestControlledCacheTypes", bool, False),
    Setting("LowMemoryMappedIoSpace", int, 128 * 1024**2),
    Setting("HighMemoryMappedIoSpace", int, 512 * 1024**2),
    Setting("AutomaticStartAction", StartAction, "StartIfRunning"),
    Setting("AutomaticStopAction", StopAction, "Save"),
    Setting("AutomaticStartDelay", int, 0),
    Setting("AutomaticCriticalErrorAction", CriticalErrorAction, "Pause"),
    Setting("AutomaticCriticalErrorActionTimeout", int, 30),
    Setting("LockOnDisconnect", OnOffState, "Off"),
    Setting("SnapshotFileLocation", str, default_of=lambda vm: vm.path, not_empty=True),
    Setting("SmartPagingFilePath", str, default_of=lambda vm: vm.path, not_empty=True),
)
"""Set-VM's settings kept to read back (Windows Server 2022 defaults of a new VM)."""
OFF_ONLY_SETTINGS = frozenset(
    {"GuestControlledCacheTypes", "LowMemoryMappedIoSpace", "HighMemoryMappedIoSpace"}
)

PROCESSOR_SETTINGS = tuple(
    Setting(param, kind, default, scope="Processor", default_of=default_of)
    for param, kind, default, default_of in (
        ("CompatibilityForMigrationEnabled", bool, False, None),
        ("CompatibilityForOlderOperatingSystemsEnabled", bool, False, None),
        ("HwThreadCountPerCore", int, 1, None),
        ("Maximum", int, 100, None),
        ("Reserve", int, 0, None),
        ("RelativeWeight", int, 100, None),
        ("MaximumCountPerNumaNode", int, None, lambda vm: vm.processor_count),
        ("MaximumCountPerNumaSocket", int, 1, None),
        ("ResourcePoolName", str, "Primordial", None),
        ("EnableHostResourceProtection", bool, False, None),
        ("Perfmon", str, None, None),
    )
)
"""Set-VMProcessor's settings kept to read back."""

MEMORY_SETTINGS = tuple(
    Setting(param, kind, default, scope="Memory", default_of=default_of)
    for param, kind, default, default_of in (
        ("Buffer", int, 20, None),
        ("Priority", int, 50, None),
        ("MaximumAmountPerNumaNodeBytes", int, None, lambda vm: vm.memory_maximum),
        ("ResourcePoolName", str, "Primordial", None),
    )
)
"""Set-VMMemory's settings kept to read back."""

ADAPTER_SETTINGS = tuple(
    Setting(param, kind, default, prop=prop)
    for param, kind, default, prop in (
        ("DhcpGuard", OnOffState, "Off", ""),
        ("RouterGuard", OnOffState, "Off", ""),
        ("PortMirroring", VMNetworkAdapterPortMirroringMode, "None", "PortMirroringMode"),
        ("IeeePriorityTag", OnOffState, "Off", ""),
        ("VmqWeight", int, 100, ""),
        ("IovQueuePairsRequested", int, 1, ""),
        ("IovInterruptModeration", IovInterruptModerationValue, "Default", ""),
        ("IovWeight", int, 0, ""),
        ("IPsecOffloadMaximumSecurityAssociation", int, 512, "IPsecOffloadMaxSA"),
        ("MaximumBandwidth", int, 0, ""),
        ("MinimumBandwidthAbsolute", int, 0, ""),
        ("MinimumBandwidthWeight", int, 0, ""),
        ("MandatoryFeatureId", list, None, ""),
        ("ResourcePoolName", str, None, "PoolName"),
        ("TestReplicaPoolName", str, None, ""),
        ("TestReplicaSwitchName", str, None, ""),
        ("VirtualSubnetId", int, 0, ""),
        ("NotMonitoredInCluster", bool, False, ""),
        ("StormLimit", int, 0, ""),
        ("DynamicIPAddressLimit", int, 0, ""),
        ("DeviceNaming", OnOffState, "Off", ""),
        ("FixSpeed10G", OnOffState, "Off", ""),
        ("PacketDirectNumProcs", int, 0, ""),
        ("PacketDirectModerationCount", int, 64, ""),
        ("PacketDirectModerationInterval", int, 1000000, ""),
        ("VrssEnabled", bool, True, ""),
        ("VmmqEnabled", bool, False, ""),
        ("VmmqQueuePairs", int, 16, ""),
    )
)
"""Set-VMNetworkAdapter's settings kept to read back."""

SWITCH_SETTINGS = (
    Setting(
        "MinimumBandwidthMode", VMSwitchBandwidthMode, "Absolute", prop="BandwidthReservationMode"
    ),
    *(
        Setting(param, bool, False)
        for param in ("EnableIov", "EnablePacketDirect", "EnableEmbeddedTeaming")
    ),
)
"""New-VMSwitch's settings kept to read back (as the switch's properties)."""

SWITCH_DEFAULT_FLOW_SETTINGS = tuple(
    Setting(param, kind, default)
    for param, kind, default in (
        ("DefaultFlowMinimumBandwidthAbsolute", int, 0),
        ("DefaultFlowMinimumBandwidthWeight", int, 0),
        ("DefaultQueueVrssEnabled", bool, True),
        ("DefaultQueueVmmqEnabled", bool, True),
        ("DefaultQueueVmmqQueuePairs", int, 16),
        ("Extensions", str, None),
    )
)
"""Set-VMSwitch's settings kept to read back."""

SWITCH_MODE_AND_FLOW = (SWITCH_SETTINGS[0], *SWITCH_DEFAULT_FLOW_SETTINGS)
"""What Get-VMSwitch reads back of them (the bandwidth mode is BandwidthReservationMode)."""
