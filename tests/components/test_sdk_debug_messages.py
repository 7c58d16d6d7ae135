"""The program drops the SDK's debug messages (blocking engine round trips) unless asked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pulumi.log
import pytest

from components.sdk_debug_messages import KEEP_ENV, drop_sdk_debug_messages


@pytest.fixture(autouse=True)
def _restore_sdk_debug() -> Iterator[None]:
    original = pulumi.log.debug
    yield
    pulumi.log.debug = original


class RecordingEngine:
    """Stands in for the engine's Log RPC so the test can see what the SDK would send."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def Log(self, request: Any) -> None:  # noqa: N802 (the gRPC method's name)
        self.messages.append(request.message)


def sent_after_debug(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    engine = RecordingEngine()
    monkeypatch.setattr(pulumi.log, "get_engine", lambda: engine)
    pulumi.log.debug("registering resource: ty=x")
    pulumi.log.info("kept")
    return engine.messages


def test_debug_messages_are_dropped_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEEP_ENV, raising=False)
    assert drop_sdk_debug_messages() is True
    assert sent_after_debug(monkeypatch) == ["kept"]  # info and above still reach the engine


def test_debug_messages_are_kept_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEEP_ENV, "1")
    drop_sdk_debug_messages()  # a second call in the same process must restore them too
    monkeypatch.delenv(KEEP_ENV)
    drop_sdk_debug_messages()
    monkeypatch.setenv(KEEP_ENV, "1")
    assert drop_sdk_debug_messages() is False
    assert sent_after_debug(monkeypatch) == ["registering resource: ty=x", "kept"]
