"""Entry point of every dynamic-provider process of the project.

The SDK's `python -m pulumi.dynamic` serves gRPC from a hard-coded pool of 4 threads, so at
most 4 provider calls (check/diff/create/read/...) run at once whatever `pulumi up --parallel`
says (FACTS.md section 5). A lab of many hosts spends most of its time waiting on WinRM, so we
run the SDK's own server unchanged but hand it a larger pool. `HYPERV_LAB_PROVIDER_WORKERS`
sets the size (default 32; `4` reproduces the SDK's behaviour for before/after benchmarks).
"""

from __future__ import annotations

import os
import runpy
import sys
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


def main() -> None:
    install_pool_size(worker_count())
    sys.argv = ["pulumi.dynamic", *sys.argv[1:]]
    runpy.run_module("pulumi.dynamic", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
