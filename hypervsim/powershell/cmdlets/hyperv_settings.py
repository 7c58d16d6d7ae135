"""Settings Windows accepts and reads back that the model does not act on.

Windows Server 2022's Set-VM, Set-VMProcessor, Set-VMMemory, Set-VMNetworkAdapter and the
switch cmdlets take many parameters that change nothing this emulator models (migration
compatibility, bandwidth, MMIO space...). A script that sets one must succeed and read the
value back, and a parameter Windows does not have must still be refused by the binder. Each
such setting is declared once here: its parameter, its property on the Get-* object, its
Windows default and its type; values are kept by property name in the record's `settings`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hypervsim.powershell.api import Invocation, Param, PSEnum
from hypervsim.powershell.cmdlets.world_bridge import OnOffState, as_bool, as_enum, as_int
from hypervsim.powershell.values import to_string


class StartAction(PSEnum):
    Nothing = 2
    StartIfRunning = 3
    Start = 4


class StopAction(PSEnum):
    TurnOff = 2
    Save = 3
    ShutDown = 4


def _enum(name: str, members: list[tuple[str, int]]) -> type[PSEnum]:
    """An enum with a member named None, which only Enum's functional API can spell."""
    return PSEnum(name, members)  # type: ignore[call-arg,arg-type,return-value]  # functional API


CriticalErrorAction = _enum("CriticalErrorAction", [("None", 0), ("Pause", 1)])
VMNetworkAdapterPortMirroringMode = _enum(
    "VMNetworkAdapterPortMirroringMode", [("None", 0), ("Destination", 1), ("Source", 2)]
)
VMSwitchBandwidthMode = _enum(
    "VMSwitchBandwidthMode", [("Default", 0), ("Weight", 1), ("Absolute", 2), ("None", 3)]
)


class IovInterruptModerationValue(PSEnum):
    Default = 0
    Adaptive = 1
    Off = 2
    Low = 100
    Medium = 200
    High = 300


@dataclass(frozen=True)
class Setting:
    """One accepted-and-read-back setting: -`param` sets property `prop` (default `default`,
    or computed from the record by `default_of`), converted as `kind` (bool, int, str or a
    PSEnum class, whose member *names* are stored)."""

    param: str
    kind: Any
    default: Any = None
    prop: str = ""
    default_of: Callable[[Any], Any] | None = None

    @property
    def name(self) -> str:
        return self.prop or self.param


def params(settings: tuple[Setting, ...]) -> tuple[Param, ...]:
    return tuple(Param(s.param) for s in settings)


def collect(inv: Invocation, settings: tuple[Setting, ...], command: str) -> dict[str, Any]:
    """The bound values of `settings`, converted, by property name (binding errors raise)."""
    out: dict[str, Any] = {}
    for s in settings:
        if s.param not in inv.bound:
            continue
        value = inv.bound[s.param]
        if s.kind is bool:
            out[s.name] = as_bool(value)
        elif s.kind is int:
            out[s.name] = as_int(value)
        elif s.kind is str:
            out[s.name] = None if value is None else to_string(value)
        else:
            out[s.name] = as_enum(inv, s.param, s.kind, command).name
    return out


def read_back(
    stored: Mapping[str, Any], settings: tuple[Setting, ...], record: Any
) -> dict[str, Any]:
    """The properties of `settings` for a Get-* object: stored values, else the defaults."""
    out: dict[str, Any] = {}
    for s in settings:
        if s.name in out:
            continue
        value = stored.get(s.name)
        if value is None and s.name not in stored:
            value = s.default_of(record) if s.default_of else s.default
        if isinstance(s.kind, type) and issubclass(s.kind, PSEnum) and isinstance(value, str):
            value = s.kind[value]
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
    Setting("SnapshotFileLocation", str, default_of=lambda vm: vm.path),
    Setting("SmartPagingFilePath", str, default_of=lambda vm: vm.path),
)
"""Set-VM's settings kept to read back (Windows Server 2022 defaults of a new VM)."""
OFF_ONLY_SETTINGS = frozenset(
    {"GuestControlledCacheTypes", "LowMemoryMappedIoSpace", "HighMemoryMappedIoSpace"}
)
