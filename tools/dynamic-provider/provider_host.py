"""Entry point of every dynamic-provider process of the project.

The SDK's `python -m pulumi.dynamic` serves gRPC from a hard-coded pool of 4 threads, so at
most 4 provider calls (check/diff/create/read/...) run at once whatever `pulumi up --parallel`
says (FACTS.md section 5). A lab of many hosts spends most of its time waiting on WinRM, so we
run the SDK's own server unchanged but hand it a larger pool. `HYPERV_LAB_PROVIDER_WORKERS`
sets the size (default 32; `4` reproduces the SDK's behaviour for before/after benchmarks).

The SDK also reports every provider exception as a full Python traceback. Errors the project
raised on purpose (they carry `clean_error = True`, e.g. `ProviderError`: host, operation and
Windows' message, already scrubbed of secrets) are reported as that one message instead;
anything else keeps its traceback, because then it is a bug worth seeing.

Both replace what the SDK calls (`grpc.server`, `traceback.format_exc`) in the way SDK
`WRITTEN_FOR` calls them; on another SDK version they are not installed (a warning on stderr,
the SDK's own 4 threads and tracebacks). docs/upstream/provider-pool.md is the proposal that
would make them unnecessary.

With `HYPERV_LAB_PROVIDER_CALL_LOG=<file>` each Check/Diff/Create/Read/Update/Delete call is
appended to that file as one JSON line (operation, URN, start and end in epoch seconds, ok):
what the benchmarks time, without the engine's `-v=7` log, whose own cost would distort the
CPU-bound timings it is meant to measure. No inputs or outputs are written (they may be secret).
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import os
import runpy
import sys
import threading
import time
import traceback
from collections.abc import Callable
from concurrent import futures
from typing import Any

import grpc

DEFAULT_WORKERS = 32
WRITTEN_FOR = "3.272.0"
"""The pulumi SDK version whose `pulumi.dynamic` server these changes were written against."""
CALL_LOG_ENV = "HYPERV_LAB_PROVIDER_CALL_LOG"
TIMED_CALLS = ("Check", "Diff", "Create", "Read", "Update", "Delete")


def worker_count() -> int:
    raw = os.environ.get("HYPERV_LAB_PROVIDER_WORKERS", "")
    try:
        value = int(raw) if raw.strip() else DEFAULT_WORKERS
    except ValueError:
        sys.stderr.write(f"HYPERV_LAB_PROVIDER_WORKERS must be an integer, got {raw!r}; using 4\n")
        return 4
    return max(1, min(value, 256))


def install_pool_size(workers: int) -> None:
    """Make the next `grpc.server(...)` use a pool of `workers` threads."""
    original = grpc.server

    def server(thread_pool: Any = None, *args: Any, **kwargs: Any) -> Any:
        if isinstance(thread_pool, futures.ThreadPoolExecutor):
            thread_pool.shutdown(wait=False)
        pool = futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="provider")
        return original(pool, *args, **kwargs)

    grpc.server = server


def install_clean_errors() -> None:
    """Make `traceback.format_exc()` (what the SDK sends to the engine) terse for clean errors."""
    original = traceback.format_exc

    def format_exc(limit: int | None = None, chain: bool = True) -> str:
        error = sys.exc_info()[1]
        if error is not None and getattr(error, "clean_error", False):
            return str(error)
        return original(limit, chain)

    traceback.format_exc = format_exc  # type: ignore[assignment]


def timed_call(
    method: Callable[[Any, Any], Any], name: str, write: Callable[[str], None]
) -> Callable[[Any, Any], Any]:
    """`method` (a gRPC handler), appending one JSON line per call to `write`."""

    @functools.wraps(method)
    def handler(request: Any, context: Any) -> Any:
        start, ok = time.time(), False
        try:
            result = method(request, context)
            ok = True
            return result
        finally:
            entry = {"op": name, "urn": request.urn, "start": start, "end": time.time()}
            write(json.dumps({**entry, "ok": ok}) + "\n")

    return handler


def install_call_log(path: str) -> None:
    """Time every resource call of the servicer the SDK is about to register."""
    from pulumi.runtime.proto import provider_pb2_grpc

    lock = threading.Lock()
    out = open(path, "a", encoding="utf-8")

    def write(line: str) -> None:
        with lock:
            out.write(line)
            out.flush()

    original = provider_pb2_grpc.add_ResourceProviderServicer_to_server

    def add(servicer: Any, server: Any) -> Any:
        for name in TIMED_CALLS:
            setattr(servicer, name, timed_call(getattr(servicer, name), name, write))
        return original(servicer, server)

    provider_pb2_grpc.add_ResourceProviderServicer_to_server = add


def fits_sdk(version: str | None = None) -> bool:
    """Whether the SDK is the one the pool and error changes were written for; says so on
    stderr when it is not."""
    running = version or importlib.metadata.version("pulumi")
    if running == WRITTEN_FOR:
        return True
    sys.stderr.write(
        f"hyperv-lab provider host: pulumi {running} is not {WRITTEN_FOR}, which the larger "
        "gRPC pool and the one-line errors were written for; using the SDK's own\n"
    )
    return False


def main() -> None:
    if fits_sdk():
        install_pool_size(worker_count())
        install_clean_errors()
    call_log = os.environ.get(CALL_LOG_ENV, "").strip()
    if call_log:
        install_call_log(call_log)
    sys.argv = ["pulumi.dynamic", *sys.argv[1:]]
    runpy.run_module("pulumi.dynamic", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
