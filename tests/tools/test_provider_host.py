"""The provider host's pool: what the SDK's gRPC server can run at once, on the SDK it fits."""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from types import ModuleType
from typing import Any

import grpc
import pytest

HOST_FILE = Path(__file__).resolve().parents[2] / "tools" / "dynamic-provider" / "provider_host.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("provider_host_under_test", HOST_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def host() -> Iterator[ModuleType]:
    original = grpc.server
    yield _load()
    grpc.server = original


def concurrent_calls(callers: int) -> int:
    """Serve with the pool the SDK's `pulumi.dynamic` asks for (4 threads) and make `callers`
    calls at once, each held until all have arrived or 2 s pass; how many ran together."""
    barrier = threading.Barrier(callers, timeout=2)
    arrived = 0
    lock = threading.Lock()

    def hold(request: bytes, context: Any) -> bytes:
        nonlocal arrived
        with lock:
            arrived += 1
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        return request

    handler = grpc.method_handlers_generic_handler(
        "t.T", {"Hold": grpc.unary_unary_rpc_method_handler(hold)}
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))  # as the SDK does
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            call = channel.unary_unary("/t.T/Hold")
            calls = [call.future(b"x") for _ in range(callers)]
            for c in calls:
                c.result(timeout=30)
        return 0 if barrier.broken else arrived
    finally:
        server.stop(None)


def test_the_pool_is_larger_on_the_sdk_it_was_written_for(host: ModuleType) -> None:
    assert host.fits_sdk(host.WRITTEN_FOR)
    host.install_pool_size(8)
    assert concurrent_calls(8) == 8


def test_without_it_the_sdks_four_threads_serve(host: ModuleType) -> None:
    assert concurrent_calls(8) == 0  # at most 4 at once: the 8 never meet


def test_another_sdk_is_said_and_left_alone(
    host: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    assert host.fits_sdk("3.999.0") is False
    assert "pulumi 3.999.0 is not" in capsys.readouterr().err
