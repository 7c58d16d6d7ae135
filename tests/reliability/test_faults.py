"""Fault matrix: connection drop, HTTP 500, slow receive and host reboot (`--fault`) during
create, update and delete of Vm, VmSwitch and NetNat through the real providers.

Each case: the object's prior state is made on a healthy host; the host restarts with the
fault; the operation either succeeds (after the client's retries) or fails with a clear,
one-line, secret-free error; then the host restarts healthy and the NEXT `pulumi up` is
played the way the engine would (create again if no state was recorded, update/delete again
if they failed, a refresh otherwise). It must converge: the host's listing holds exactly
the object the state says, with the declared settings, and nothing orphaned. A failure after
the operation was sent says its outcome is unknown; a create that may have made its object
re-reads it at once, and else the next create recognises it as its own (PendingCreates).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from components.providers.base import HostBoundProvider, ProviderError
from components.providers.net_nat import NetNatProvider
from components.providers.vm import VmProvider
from components.providers.vm_switch import VmSwitchProvider
from components.remote import POOL
from tests.conftest import Emulator, EmulatorFactory
from tests.reliability.conftest import configure, json_runner, stack_config

State = tuple[str, dict[str, Any]] | None


@dataclass(frozen=True)
class Subject:
    """A provider, its declared inputs, an in-place change and how the host lists it."""

    kind: str
    provider: type[HostBoundProvider]
    inputs: dict[str, Any]
    change: dict[str, Any]
    listing: str
    settled: Callable[[dict[str, Any]], dict[str, Any]] = field(default=lambda outs: {})


SUBJECTS = (
    Subject(
        "Vm",
        VmProvider,
        {
            "name": "fault-vm",
            "memory_startup_mb": 1024,
            "disk_size_gb": 2,
            "notes": "n1",
            "owner": "lab/dev",
        },
        {"memory_startup_mb": 2048, "notes": "n2"},
        "Get-VM",
        lambda outs: {"memory_startup_mb": outs["memory_startup_mb"], "notes": outs["notes"]},
    ),
    Subject(
        "VmSwitch",  # every host-side input replaces: its update never calls the host
        VmSwitchProvider,
        {"name": "fault-sw", "switch_type": "Internal"},
        {"adopt_existing": True},
        "Get-VMSwitch",
        lambda outs: {"switch_type": outs["switch_type"]},
    ),
    Subject(
        "NetNat",
        NetNatProvider,
        {"name": "fault-nat", "internal_prefix": "192.168.211.0/24"},
        {"adopt_existing": True},
        "Get-NetNat",
        lambda outs: {"internal_prefix": outs["internal_prefix"]},
    ),
)

FAULTS = (
    "drop-after:2",  # during the login: nothing ran
    "drop-after:LATE",  # the last reply is lost: the operation ran, the client can't know
    "http500:0.3",
    "slow-receive:300",
    "reboot-host-after:3",  # before the operation's line was sent
    "reboot-host-after:LATE",  # while the operation runs
)


def checked(provider: HostBoundProvider, values: dict[str, Any]) -> dict[str, Any]:
    result = provider.check({}, {"host": "l0", **values})
    assert result.failures == [], [(f.property, f.reason) for f in result.failures]
    return dict(result.inputs)


def apply(provider: HostBoundProvider, subject: Subject, op: str, state: State) -> State:
    """One engine step of `op`; returns the state Pulumi would record afterwards."""
    if op == "create":
        made = provider.create(checked(provider, subject.inputs))
        return made.id, dict(made.outs)
    assert state is not None
    vm_id, outs = state
    if op == "update":
        news = checked(provider, {**subject.inputs, **subject.change})
        diff = provider.diff(vm_id, outs, news)
        assert not diff.replaces
        return vm_id, {**news, **dict(provider.update(vm_id, outs, news).outs or {})}
    provider.delete(vm_id, outs)
    return None


def names_on_host(emu: Emulator, subject: Subject) -> list[str]:
    names = json_runner(emu)(f"@({subject.listing} | ForEach-Object {{ $_.Name }})")
    listed = [] if names is None else [names] if isinstance(names, str) else list(names)
    return [n for n in listed if n == subject.inputs["name"]]


def restart(emu: Emulator, faults: tuple[str, ...]) -> None:
    POOL.close_all()
    emu.stop()
    emu.faults = faults
    emu.start()


def run_case(
    emu: Emulator, subject: Subject, op: str, fault: str | None
) -> tuple[State, ProviderError | None, int]:
    """Prior state on a healthy host, then `op` under `fault`; returns (state, error,
    requests the op's host served)."""
    config = stack_config(emu)
    state: State = None
    if op != "create":
        state = apply(configure(subject.provider, config), subject, "create", None)
        restart(emu, (fault,) if fault else ())
    error: ProviderError | None = None
    try:
        state = apply(configure(subject.provider, config), subject, op, state)
    except ProviderError as exc:
        error = exc
    requests = emu.counters()["requests"]
    return state, error, requests


def start_case(factory: EmulatorFactory, op: str, fault: str) -> Emulator:
    """A create needs no prior state: start right away with the fault."""
    return factory(faults=(fault,)) if op == "create" else factory()


_CALIBRATION: dict[tuple[str, str], int] = {}


def requests_of(factory: EmulatorFactory, subject: Subject, op: str) -> int:
    """How many requests `op` needs from a freshly started host (healthy run, cached)."""
    key = (subject.kind, op)
    if key not in _CALIBRATION:
        emu = factory()
        _, error, requests = run_case(emu, subject, op, None)
        assert error is None, error
        _CALIBRATION[key] = requests
        POOL.close_all()
        emu.stop()
    return _CALIBRATION[key]


def matrix() -> list[Any]:
    cases = []
    for subject in SUBJECTS:
        for op in ("create", "update", "delete"):
            if op == "update" and not subject.change.keys() - {"adopt_existing"}:
                continue  # a local-only update: no request for a fault to hit
            for fault in FAULTS:
                cases.append(pytest.param(subject, op, fault, id=f"{subject.kind}-{op}-{fault}"))
    return cases


@pytest.mark.parametrize(("subject", "op", "fault"), matrix())
def test_fault_then_next_up_converges(
    emulator_factory: EmulatorFactory, subject: Subject, op: str, fault: str
) -> None:
    late = fault.endswith(":LATE")  # the operation was sent: a failure cannot know its outcome
    if late:
        total = requests_of(emulator_factory, subject, op)
        if total == 0:
            fault = fault.replace("LATE", "1")  # a local-only operation: any fault is moot
        else:
            fault = fault.replace("LATE", str(total - 1))
    emu = start_case(emulator_factory, op, fault)
    try:
        state, error, _ = run_case(emu, subject, op, fault)
        if error is not None:
            message = str(error)
            assert "\n" not in message and "Traceback" not in message, message
            assert message.startswith(("[l0]", "l0")), message
            assert emu.password not in message
            if late:
                assert "outcome is unknown" in message, message
        # The next `pulumi up`, on a healthy host.
        restart(emu, ())
        provider = configure(subject.provider, stack_config(emu))
        if error is not None or (op == "create" and state is None):
            state = apply(provider, subject, op, state)
        if state is not None:
            read = provider.read(*state)
            assert read.id == state[0], f"{subject.kind} in state is gone from the host"
            assert subject.settled(dict(read.outs)) == subject.settled(state[1])
            if op == "update":
                wanted = {**subject.inputs, **subject.change}
                assert subject.settled(dict(read.outs)) == subject.settled(wanted)
        expected = 0 if op == "delete" else 1
        assert len(names_on_host(emu, subject)) == expected, "orphaned or missing object"
    finally:
        POOL.close_all()
