"""Resource registrations carry only their declaring frame (the engine stores traces in state)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pulumi.runtime.resource as sdk_resource
import pytest

from components.sdk_stack_traces import KEEP_ENV, trim_sdk_stack_traces


@pytest.fixture(autouse=True)
def _restore_sdk_stack_trace() -> Iterator[None]:
    original = sdk_resource._get_stack_trace
    yield
    sdk_resource._get_stack_trace = original


# The SDK finds the declaring frame by counting `__init__` frames from the top of the stack
# (Resource, Custom/ComponentResource, the concrete class): the same shape as a real resource.
class _Resource:
    def __init__(self) -> None:
        self.trace = sdk_resource._get_stack_trace()


class _CustomResource(_Resource):
    def __init__(self) -> None:
        super().__init__()


class _Vm(_CustomResource):
    def __init__(self) -> None:
        super().__init__()


def _declare_vm() -> list[str]:
    """Declares a resource from a project file (this test); returns its trace's file URIs."""
    return [frame.pc.uri for frame in _Vm().trace.frames]


def test_only_the_declaring_frame_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEEP_ENV, raising=False)
    full = _declare_vm()
    assert len(full) > 1  # this test's caller, pytest's frames, ...
    assert trim_sdk_stack_traces() is True
    trimmed = _declare_vm()
    assert trimmed == [Path(__file__).resolve().as_uri()] == full[:1]  # where _Vm() was called
    assert sdk_resource._get_source_position(_Vm().trace).line > 0  # the SDK's position of it


def test_full_traces_are_kept_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEEP_ENV, raising=False)
    full = _declare_vm()
    trim_sdk_stack_traces()
    monkeypatch.setenv(KEEP_ENV, "1")
    assert trim_sdk_stack_traces() is False  # a second call restores the SDK's own
    assert _declare_vm() == full
