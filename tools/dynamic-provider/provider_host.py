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
"""

from __future__ import annotations

import os
import runpy
import sys
import traceback
from concurrent import futures
from typing import Any

import grpc

DEFAULT_WORKERS = 32


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


def main() -> None:
    install_pool_size(worker_count())
    install_clean_errors()
    sys.argv = ["pulumi.dynamic", *sys.argv[1:]]
    runpy.run_module("pulumi.dynamic", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
