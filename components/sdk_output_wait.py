"""The Python SDK's wait for the program's outputs, in linear instead of quadratic time.

Once the program's code has run, the SDK (`pulumi.runtime.stack.wait_for_rpcs`, SDK 3.272.0)
waits for every pending output for the rest of the deployment: each time one output finishes it
calls `asyncio.wait(FIRST_COMPLETED)` over ALL still-pending ones again, which subscribes to and
unsubscribes from each of them, then puts them back through the settings' lock one by one. With
a few hundred outputs pending that is half of the program's CPU in a 10-host lab (profiled:
160 000 done-callbacks for about 600 completions), and each pass holds the event loop, which
delays registering the resources that were waiting on the output that just finished.

`wait_for_rpcs_linearly` keeps the SDK's behaviour (RPCs first, then every output including
ones created while waiting, the first failure raised) but subscribes to each output once.
`HYPERV_LAB_SDK_OUTPUT_WAIT=sdk` keeps the SDK's own.
"""

from __future__ import annotations

import asyncio
import os
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import pulumi.runtime.stack as sdk_stack
from pulumi.runtime.settings import SETTINGS, _get_rpc_manager

KEEP_ENV = "HYPERV_LAB_SDK_OUTPUT_WAIT"

_SDK_WAIT: Callable[..., Awaitable[None]] = sdk_stack.wait_for_rpcs


async def _await_rpcs() -> None:
    """The SDK's RPC phase: await every queued RPC (newest first); its failure carries the
    first unhandled RPC exception as the cause, as in the SDK."""
    manager = _get_rpc_manager()
    while manager.rpcs:
        await asyncio.sleep(0)  # let RPCs queued just now start before blocking on one
        try:
            await manager.rpcs.pop()
        except Exception as exn:
            if manager.unhandled_exception is not None:
                cause = manager.unhandled_exception.with_traceback(manager.exception_traceback)
                raise exn from cause
            raise
    if manager.unhandled_exception is not None:
        raise manager.unhandled_exception.with_traceback(manager.exception_traceback)


async def _await_outputs() -> None:
    """Await every tracked output, and those created meanwhile, subscribing to each once."""
    pending: set[asyncio.Future[Any]] = set()
    finished: deque[asyncio.Future[Any]] = deque()
    wake = asyncio.Event()

    def on_done(future: asyncio.Future[Any]) -> None:
        finished.append(future)
        wake.set()

    while True:
        with SETTINGS.lock:
            fresh = list(SETTINGS.outputs)
            SETTINGS.outputs.clear()
        for future in fresh:
            if future not in pending:
                pending.add(future)
                future.add_done_callback(on_done)
        if not pending:
            return
        if not finished:
            wake.clear()
            await wake.wait()
        while finished:
            future = finished.popleft()
            pending.discard(future)
            await future  # re-raises the output's failure, as the SDK does


async def wait_for_rpcs_linearly(await_all_outstanding_tasks: bool = True) -> None:
    """Drop-in for `pulumi.runtime.stack.wait_for_rpcs`: RPCs, then outputs, until neither is
    left (an output may start new RPCs)."""
    manager = _get_rpc_manager()
    while True:
        await _await_rpcs()
        if await_all_outstanding_tasks:
            await _await_outputs()
        if not manager.rpcs:
            return


def use_linear_output_wait() -> bool:
    """Install `wait_for_rpcs_linearly` in the SDK's stack runner unless
    HYPERV_LAB_SDK_OUTPUT_WAIT=sdk; True if installed."""
    if os.environ.get(KEEP_ENV, "").strip().lower() == "sdk":
        sdk_stack.wait_for_rpcs = _SDK_WAIT  # type: ignore[assignment]
        return False
    sdk_stack.wait_for_rpcs = wait_for_rpcs_linearly  # type: ignore[assignment]
    return True
