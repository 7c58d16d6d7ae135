"""The stack's outputs reach the engine as they resolve: nothing at once, then growing sets,
the complete set last; an export whose resource failed is never named (the engine keeps its
previous value). The engine's end is the SDK's mock monitor, recording what it is sent."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest
from google.protobuf import json_format
from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.settings import SETTINGS, _get_rpc_manager, set_root_resource
from pulumi.runtime.stack import Stack

from components.sdk_output_wait import wait_for_rpcs_linearly
from components.sdk_stack_outputs import register_as_they_resolve


class EchoMocks(Mocks):
    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


class OutputsMonitor(MockMonitor):
    """The mock monitor, keeping every stack outputs registration it receives."""

    def __init__(self, mocks: Mocks) -> None:
        super().__init__(mocks)
        self.registered: list[dict[str, Any]] = []

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        self.registered.append(json_format.MessageToDict(request.outputs))
        return super().RegisterResourceOutputs(request)


def _forget_other_loops() -> None:
    """Drop the RPCs and outputs the SDK tracks from earlier event loops (set_mocks' own
    stack): the wait at the end of each test would wait for them forever."""
    _get_rpc_manager().clear()
    with SETTINGS.lock:
        SETTINGS.outputs.clear()


@pytest.fixture
def monitor() -> Iterator[OutputsMonitor]:
    mocks = EchoMocks()
    recording = OutputsMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project="p", stack="s", preview=False, monitor=recording)
    _forget_other_loops()
    yield recording
    _forget_other_loops()


def _stack() -> Stack:
    """A new root stack, registered on the running event loop (as the SDK makes one per run)."""
    set_root_resource(None)  # type: ignore[arg-type]
    return Stack()


async def _until(condition: Any, what: str) -> None:
    """Let the registrations run (they call the monitor on executor threads) until `condition`."""
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"never happened: {what}")


def _names(monitor: OutputsMonitor) -> list[list[str]]:
    return [sorted(outputs) for outputs in monitor.registered]


def test_registered_empty_at_once_then_growing_then_complete(monitor: OutputsMonitor) -> None:
    async def run() -> None:
        loop = asyncio.get_running_loop()
        hosts: asyncio.Future[Any] = loop.create_future()
        vms: asyncio.Future[Any] = loop.create_future()
        outputs = {
            "prefix": "lab-",
            "nested_hosts": pulumi.Output.from_input(hosts),
            "emulator_vms": {"guest": pulumi.Output.from_input(vms)},
        }
        register_as_they_resolve(_stack(), outputs)
        await _until(lambda: _names(monitor)[-1:] == [["prefix"]], "the plain export")
        assert _names(monitor) == [[], ["prefix"]]

        hosts.set_result({"l1": "vm-1"})
        await _until(lambda: len(monitor.registered) == 3, "the resolved hosts")
        assert monitor.registered[-1] == {"prefix": "lab-", "nested_hosts": {"l1": "vm-1"}}

        vms.set_result("10.0.0.2")
        await wait_for_rpcs_linearly()

    asyncio.run(run())
    assert monitor.registered[-1] == {
        "prefix": "lab-",
        "nested_hosts": {"l1": "vm-1"},
        "emulator_vms": {"guest": "10.0.0.2"},
    }
    # The last partial set (all three) may or may not precede the complete one; nothing after it.
    assert _names(monitor)[:3] == [[], ["prefix"], ["nested_hosts", "prefix"]]
    assert len(monitor.registered) in (4, 5)


def test_the_complete_set_is_the_last_registration_however_they_resolve(
    monitor: OutputsMonitor,
) -> None:
    async def run() -> None:
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[Any]] = [loop.create_future() for _ in range(40)]
        outputs = {f"out{i}": pulumi.Output.from_input(f) for i, f in enumerate(futures)}
        register_as_they_resolve(_stack(), outputs)
        for i, future in enumerate(futures):  # all at once: partial sets queue behind each other
            future.set_result(i)
        await wait_for_rpcs_linearly()

    asyncio.run(run())
    assert monitor.registered[-1] == {f"out{i}": i for i in range(40)}
    assert monitor.registered[0] == {}
    for before, after in zip(monitor.registered, monitor.registered[1:], strict=False):
        assert before.items() <= after.items()  # each names a superset of the one before


def test_an_export_whose_resource_failed_is_never_named(monitor: OutputsMonitor) -> None:
    async def run() -> None:
        loop = asyncio.get_running_loop()
        failed: asyncio.Future[Any] = loop.create_future()
        outputs = {
            "nat_networks": {"nat": "10.0.0.1"},
            "emulator_vms": pulumi.Output.from_input(failed),
        }
        register_as_they_resolve(_stack(), outputs)
        await _until(lambda: _names(monitor)[-1:] == [["nat_networks"]], "the resolved NAT")
        failed.set_exception(RuntimeError("update failed"))
        with pytest.raises(RuntimeError, match="update failed"):  # the program's error, as before
            await wait_for_rpcs_linearly()

    asyncio.run(run())
    assert monitor.registered == [{}, {"nat_networks": {"nat": "10.0.0.1"}}]
