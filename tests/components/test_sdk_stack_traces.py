"""Resource registrations carry only their declaring frame (the engine stores traces in state):
checked on the RegisterResource requests the engine receives (the SDK's mock monitor)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime.resource as sdk_resource
import pytest
from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks
from pulumi.runtime.mocks import MockMonitor

from components import sdk_stack_traces
from components.sdk_stack_traces import KEEP_ENV, trim_sdk_stack_traces

THIS_FILE = Path(__file__).resolve().as_uri()


@pytest.fixture(autouse=True)
def _restore_sdk_stack_trace() -> Iterator[None]:
    original = sdk_resource._get_stack_trace
    # Each test starts from the SDK's own function: importing `components` installs the patch.
    sdk_resource._get_stack_trace = sdk_stack_traces._SDK_STACK_TRACE
    yield
    sdk_resource._get_stack_trace = original


class EchoMocks(Mocks):
    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


class RequestMonitor(MockMonitor):
    """The SDK's mock monitor, keeping each registration request as the engine gets it."""

    def __init__(self, mocks: Mocks) -> None:
        super().__init__(mocks)
        self.requests: list[Any] = []

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        if request.type != "pulumi:pulumi:Stack":
            self.requests.append(request)
        return super().RegisterResource(request)


class Vm(pulumi.ComponentResource):
    """A concrete resource class, as the components are (the SDK counts __init__ frames)."""

    def __init__(self, name: str) -> None:
        super().__init__("test:index:Vm", name)


def registration() -> Any:
    """The request the engine receives for one `Vm` declared in this file."""
    mocks = EchoMocks()
    monitor = RequestMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project="p", stack="s", preview=False, monitor=monitor)

    @pulumi.runtime.test
    def program() -> Any:
        return Vm("vm").urn  # the declaring line

    program()
    (request,) = monitor.requests
    return request


def test_only_the_declaring_frame_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEEP_ENV, raising=False)
    full = registration()
    assert len(full.stackTrace.frames) > 1  # this test, pytest's frames, ...
    assert trim_sdk_stack_traces() is True
    trimmed = registration()
    assert [f.pc.uri for f in trimmed.stackTrace.frames] == [THIS_FILE]
    assert trimmed.stackTrace.frames[0] == full.stackTrace.frames[0]
    assert trimmed.sourcePosition == full.sourcePosition  # the SDK's position is unchanged
    assert trimmed.sourcePosition.uri == THIS_FILE and trimmed.sourcePosition.line > 0


def test_full_traces_are_sent_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEEP_ENV, raising=False)
    full = registration()
    trim_sdk_stack_traces()
    monkeypatch.setenv(KEEP_ENV, "1")
    assert trim_sdk_stack_traces() is False  # a second call restores the SDK's own
    assert len(registration().stackTrace.frames) == len(full.stackTrace.frames)
