"""Create/read/update/delete cycles of each provider, called the way the Pulumi engine does.

Each cycle: check (as for a create) -> create -> read -> check + update (an in-place change)
-> delete. Prerequisites (a VM for the VM-bound providers, an Internal switch for
NetIpAddress) are made before and removed after a cycle, outside what is measured.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from components.providers.base import HostBoundProvider
from components.providers.net_ip_address import NetIpAddressProvider
from components.providers.net_nat import NetNatProvider
from components.providers.vm import VmProvider
from components.providers.vm_network_adapter import VmNetworkAdapterProvider
from components.providers.vm_power_state import VmPowerStateProvider
from components.providers.vm_processor import VmProcessorProvider
from components.providers.vm_switch import VmSwitchProvider

OPERATIONS = ("check", "create", "read", "update", "delete")
COUNTED = ("requests", "powershell_starts", "shells_opened", "logins", "commands")

Counters = Callable[[], dict[str, int]]
Make = Callable[[type[HostBoundProvider]], HostBoundProvider]


@dataclass
class Sample:
    """What one provider call cost: emulator counter deltas and wall time."""

    provider: str
    operation: str
    counts: dict[str, int]
    seconds: float


@dataclass
class Meter:
    """Takes a counters snapshot around each measured call."""

    counters: Counters
    transport: Callable[[], AbstractContextManager[Any]] = nullcontext
    samples: list[Sample] = field(default_factory=list)

    def __call__(self, provider: str, operation: str, call: Callable[[], Any]) -> Any:
        before = self.counters()
        start = time.perf_counter()
        with self.transport():
            result = call()
        seconds = time.perf_counter() - start
        after = self.counters()
        counts = {k: after.get(k, 0) - before.get(k, 0) for k in COUNTED}
        self.samples.append(Sample(provider, operation, counts, seconds))
        return result


@dataclass(frozen=True)
class Prerequisites:
    """Names of the objects made for one cycle."""

    vm_name: str = ""
    switch_name: str = ""


@dataclass(frozen=True)
class CrudCycle:
    """How to exercise one provider: its declared inputs and an in-place change."""

    kind: str
    provider: type[HostBoundProvider]
    inputs: Callable[[str, Prerequisites], dict[str, Any]]
    change: dict[str, Any]
    needs_vm: bool = False
    needs_switch: bool = False


CYCLES: tuple[CrudCycle, ...] = (
    CrudCycle(
        "Vm",
        VmProvider,
        lambda tag, _p: {"name": f"bench-{tag}", "memory_startup_mb": 2048, "disk_size_gb": 20},
        {"memory_startup_mb": 3072, "notes": "resized"},
    ),
    CrudCycle(
        "VmProcessor",
        VmProcessorProvider,
        lambda _t, p: {"vm_name": p.vm_name, "count": 2, "expose_virtualization_extensions": True},
        {"count": 4},
        needs_vm=True,
    ),
    CrudCycle(
        "VmNetworkAdapter",
        VmNetworkAdapterProvider,
        lambda _t, p: {"vm_name": p.vm_name, "switch_name": "External"},
        {"mac_address_spoofing": True},
        needs_vm=True,
    ),
    CrudCycle(
        "VmPowerState",
        VmPowerStateProvider,
        lambda _t, p: {"vm_name": p.vm_name, "state": "Running"},
        {"state": "Off"},
        needs_vm=True,
    ),
    CrudCycle(
        "VmSwitch",
        VmSwitchProvider,
        lambda tag, _p: {"name": f"bench-sw-{tag}", "switch_type": "Internal"},
        {"adopt_existing": True},  # every host-side input replaces: update is local
    ),
    CrudCycle(
        "NetNat",
        NetNatProvider,
        lambda tag, _p: {"name": f"bench-nat-{tag}", "internal_prefix": _prefix(tag)},
        {"adopt_existing": True},  # every host-side input replaces: update is local
    ),
    CrudCycle(
        "NetIpAddress",
        NetIpAddressProvider,
        lambda tag, p: {
            "interface_alias": f"vEthernet ({p.switch_name})",
            "ip_address": _prefix(tag).replace(".0/24", ".1"),
            "prefix_length": 24,
        },
        {"adopt_existing": True},  # every host-side input replaces: update is local
        needs_switch=True,
    ),
)


def _prefix(tag: str) -> str:
    """A distinct 192.168.x.0/24 per cycle tag (tags end in a counter)."""
    return f"192.168.{100 + int(tag.rsplit('-', 1)[-1]) % 150}.0/24"


def checked(provider: HostBoundProvider, values: dict[str, Any]) -> dict[str, Any]:
    result = provider.check({}, {"host": "l0", **values})
    if result.failures:
        problems = [(f.property, f.reason) for f in result.failures]
        raise AssertionError(f"{type(provider).__name__}.check refused {values}: {problems}")
    return dict(result.inputs)


@contextmanager
def prerequisites(cycle: CrudCycle, make: Make, tag: str) -> Iterator[Prerequisites]:
    """A VM and/or an Internal switch for the cycle, removed afterwards."""
    vm_provider = make(VmProvider)
    switch_provider = make(VmSwitchProvider)
    vm: tuple[str, dict[str, Any]] | None = None
    switch: tuple[str, dict[str, Any]] | None = None
    names = Prerequisites(
        vm_name=f"bench-base-{tag}" if cycle.needs_vm else "",
        switch_name=f"bench-base-sw-{tag}" if cycle.needs_switch else "",
    )
    try:
        if cycle.needs_vm:
            made = vm_provider.create(
                checked(vm_provider, {"name": names.vm_name, "memory_startup_mb": 1024})
            )
            vm = (made.id, made.outs)
        if cycle.needs_switch:
            made = switch_provider.create(
                checked(switch_provider, {"name": names.switch_name, "switch_type": "Internal"})
            )
            switch = (made.id, made.outs)
        yield names
    finally:
        if vm is not None:
            vm_provider.delete(*vm)
        if switch is not None:
            switch_provider.delete(*switch)


def run_cycle(cycle: CrudCycle, make: Make, meter: Meter, tag: str) -> None:
    """One measured check/create/read/update/delete of `cycle.kind`."""
    with prerequisites(cycle, make, tag) as pre:
        provider = make(cycle.provider)
        declared = cycle.inputs(tag, pre)
        inputs = meter(cycle.kind, "check", lambda: checked(provider, declared))
        created = meter(cycle.kind, "create", lambda: provider.create(inputs))
        outs = dict(created.outs)
        try:
            meter(cycle.kind, "read", lambda: provider.read(created.id, outs))
            news = checked(provider, {**declared, **cycle.change})

            def update() -> Any:
                diff = provider.diff(created.id, outs, news)
                if diff.replaces:
                    raise AssertionError(f"{cycle.kind} change {cycle.change} would replace")
                return provider.update(created.id, outs, news)

            updated = meter(cycle.kind, "update", update)
            outs = {**news, **dict(updated.outs or {})}
        finally:
            meter(cycle.kind, "delete", lambda: provider.delete(created.id, outs))
