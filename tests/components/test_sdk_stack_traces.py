"""Resource registrations carry only the project's frames (the engine stores them in state)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pulumi.runtime.resource as sdk_resource
import pytest

from components.sdk_stack_traces import KEEP_ENV, trim_sdk_stack_traces

PROJECT = Path(__file__).resolve().parents[2]


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


def test_only_project_frames_are_kept_and_the_first_is_the_declaration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(KEEP_ENV, raising=False)
    full = _declare_vm()
    assert any(not uri.startswith(PROJECT.as_uri()) for uri in full)  # pytest's own frames
    assert trim_sdk_stack_traces(PROJECT) is True
    trimmed = _declare_vm()
    assert trimmed[0] == Path(__file__).resolve().as_uri()  # where _Vm() was called
    assert trimmed == [uri for uri in full if uri.startswith(PROJECT.as_uri() + "/")]
    assert len(trimmed) < len(full)


def test_the_first_frame_is_kept_even_outside_the_project(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(KEEP_ENV, raising=False)
    trim_sdk_stack_traces(tmp_path)  # no frame lives there
    trimmed = _declare_vm()
    assert trimmed == [Path(__file__).resolve().as_uri()]


def test_full_traces_are_kept_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEEP_ENV, raising=False)
    full = _declare_vm()
    trim_sdk_stack_traces(PROJECT)
    monkeypatch.setenv(KEEP_ENV, "1")
    assert trim_sdk_stack_traces(PROJECT) is False  # a second call restores the SDK's own
    assert _declare_vm() == full
