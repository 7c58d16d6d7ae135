"""The SDK patches go in once, on import of the components, and only on the SDK they fit."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pulumi
import pulumi.log
import pulumi.runtime.resource as sdk_resource
import pulumi.runtime.settings as sdk_settings
import pulumi.runtime.stack as sdk_stack
import pytest
from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks
from pulumi.runtime.mocks import MockMonitor

from components import sdk_cancelled_rpcs, sdk_patches, sdk_stack_outputs
from components.sdk_patches import WRITTEN_FOR, SdkPatchWarning, install_sdk_patches

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _restore_sdk() -> Iterator[None]:
    saved = (pulumi.log.debug, sdk_resource._get_stack_trace, sdk_stack.wait_for_rpcs)
    to_exception = sdk_settings.grpc_error_to_exception
    registration = sdk_stack.Stack.__dict__.get("register_outputs")
    yield
    pulumi.log.debug, sdk_resource._get_stack_trace, sdk_stack.wait_for_rpcs = saved
    sdk_settings.grpc_error_to_exception = to_exception
    if registration is None:
        sdk_stack_outputs.restore_sdk_registration()
    else:
        sdk_stack.Stack.register_outputs = registration
    sdk_patches._installed = None


class RecordingEngine:
    """Stands in for the engine's Log RPC: what the SDK would send."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def Log(self, request: Any) -> None:  # noqa: N802 (the gRPC method's name)
        self.messages.append(request.message)


def sent(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    engine = RecordingEngine()
    monkeypatch.setattr(pulumi.log, "get_engine", lambda: engine)
    pulumi.log.debug("registering resource: ty=x")
    return engine.messages


class EchoMocks(Mocks):
    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


class TraceMonitor(MockMonitor):
    """The SDK's mock monitor, keeping how many stack frames each registration carried."""

    def __init__(self, mocks: Mocks) -> None:
        super().__init__(mocks)
        self.frames: list[int] = []

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        if request.type != "pulumi:pulumi:Stack":
            self.frames.append(len(request.stackTrace.frames))
        return super().RegisterResource(request)


class Thing(pulumi.ComponentResource):
    """A concrete component, as a lab declares them (the SDK counts the __init__ frames)."""

    def __init__(self, name: str) -> None:
        super().__init__("test:index:Thing", name)


def frames_sent() -> int:
    """How many frames the engine receives with one resource's registration."""
    mocks = EchoMocks()
    monitor = TraceMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project="p", stack="s", preview=False, monitor=monitor)

    @pulumi.runtime.test
    def program() -> Any:
        return Thing("thing").urn

    program()
    assert len(monitor.frames) == 1
    return monitor.frames[0]


class CancelledRpc(grpc.RpcError):
    """What gRPC raises for a registration the engine cancelled (Ctrl-C of the update)."""

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.CANCELLED

    def details(self) -> str:
        return "context canceled"


class CancellingMonitor(MockMonitor):
    """An engine that has cancelled the update: every registration is answered CANCELLED."""

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        if request.type == "pulumi:pulumi:Stack":
            return super().RegisterResource(request)
        raise CancelledRpc()


def cancelled_registration_error() -> BaseException:
    """What a program whose registration the engine cancelled fails with."""
    mocks = EchoMocks()
    pulumi.runtime.set_mocks(
        mocks, project="p", stack="s", preview=False, monitor=CancellingMonitor(mocks)
    )

    @pulumi.runtime.test
    def program() -> Any:
        return Thing("thing").urn

    with pytest.raises(Exception) as failed:
        program()
    return failed.value


def test_on_the_sdk_they_were_written_for_they_are_active(monkeypatch: pytest.MonkeyPatch) -> None:
    for env in (
        "HYPERV_LAB_SDK_DEBUG_LOGS",
        "HYPERV_LAB_SDK_STACK_TRACES",
        "HYPERV_LAB_SDK_PATCHES",
        "HYPERV_LAB_SDK_STACK_OUTPUTS",
        "HYPERV_LAB_SDK_CANCELLED_RPCS",
    ):
        monkeypatch.delenv(env, raising=False)
    active = install_sdk_patches(version=WRITTEN_FOR, force=True)
    assert active == {
        "debug messages": True,
        "stack traces": True,
        "output wait": True,
        "stack outputs": True,
        "cancelled registrations": True,
    }
    assert sent(monkeypatch) == []
    assert frames_sent() == 1
    assert sdk_stack.Stack.register_outputs is sdk_stack_outputs.register_as_they_resolve
    # The language host prints a RunError as one line (no traceback).
    cancelled = cancelled_registration_error()
    assert isinstance(cancelled, pulumi.RunError)
    assert str(cancelled) == sdk_cancelled_rpcs.CANCELLED_MESSAGE


def test_on_another_sdk_each_warns_and_the_sdks_own_behaviour_stays(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("HYPERV_LAB_SDK_PATCHES", raising=False)
    install_sdk_patches(version=WRITTEN_FOR, force=True)  # installed before: put back
    with pytest.warns(SdkPatchWarning, match=r"written for pulumi .*, this is 3\.999\.0") as got:
        active = install_sdk_patches(version="3.999.0", force=True)
    assert len(got) == 5 and not any(active.values())
    assert sent(monkeypatch) == ["registering resource: ty=x"]
    assert frames_sent() > 1
    cancelled = cancelled_registration_error()
    assert not isinstance(cancelled, pulumi.RunError)
    assert str(cancelled) == "context canceled"
    assert sdk_stack.Stack.register_outputs is pulumi.ComponentResource.register_outputs


def test_installed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    first = install_sdk_patches(version=WRITTEN_FOR, force=True)
    assert install_sdk_patches(version="3.999.0") is first  # no second install, no warning


def test_importing_the_components_installs_them() -> None:
    """A Python lab that never calls anything gets the same SDK changes as __main__.py."""
    code = (
        "import pulumi.log, components.nested_host, components.sdk_patches as p; "
        "from components.sdk_debug_messages import _dropped; "
        "print(p._installed, pulumi.log.debug is _dropped)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == (
        "{'debug messages': True, 'stack traces': True, 'output wait': True, "
        "'stack outputs': True, 'cancelled registrations': True} True"
        if sdk_patches.sdk_version() == WRITTEN_FOR
        else out
    )
