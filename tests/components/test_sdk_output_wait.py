"""The program's wait for outputs: the SDK's behaviour, one subscription per output."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pulumi.runtime.stack as sdk_stack
import pytest
from pulumi.runtime.settings import SETTINGS

from components import sdk_output_wait
from components.sdk_output_wait import KEEP_ENV, use_linear_output_wait, wait_for_rpcs_linearly

# The SDK's own function as the module saw it before any patch (importing `components`
# installs the patches, so `sdk_stack.wait_for_rpcs` may already be ours here).
SDK_WAIT = sdk_output_wait._SDK_WAIT


@pytest.fixture(autouse=True)
def _clean_sdk_state() -> Iterator[None]:
    original = sdk_stack.wait_for_rpcs
    SETTINGS.outputs.clear()
    yield
    SETTINGS.outputs.clear()
    sdk_stack.wait_for_rpcs = original


class CountingFuture(asyncio.Future):  # type: ignore[type-arg]
    """An output's future that counts who subscribed to it."""

    subscriptions = 0

    def add_done_callback(self, fn: Any, *, context: Any = None) -> None:
        CountingFuture.subscriptions += 1
        super().add_done_callback(fn, context=context)


def _track(future: asyncio.Future[Any]) -> None:
    with SETTINGS.lock:
        SETTINGS.outputs.add(future)


async def _finish_one_by_one(
    wait: Callable[[], Awaitable[None]], count: int
) -> tuple[list[int], int]:
    """`count` tracked outputs finishing one per loop turn; each also starts a new output
    (tracked while the wait runs) the first time round. Returns finished values in order of
    completion and the subscriptions made."""
    loop = asyncio.get_running_loop()
    done: list[int] = []
    futures = [CountingFuture(loop=loop) for _ in range(count)]
    for future in futures:
        _track(future)
    CountingFuture.subscriptions = 0

    async def finish() -> None:
        for i, future in enumerate(futures):
            await asyncio.sleep(0)
            future.set_result(i)
            done.append(i)
            if i < 3:  # an output created while waiting is waited for too
                late = CountingFuture(loop=loop)
                _track(late)
                loop.call_later(0.01, late.set_result, 100 + i)
                late.add_done_callback(lambda f: done.append(f.result()))

    feeder = asyncio.ensure_future(finish())
    await wait()
    assert feeder.done()
    return done, CountingFuture.subscriptions


def test_every_output_is_waited_for_with_one_subscription_each() -> None:
    done, subscriptions = asyncio.run(_finish_one_by_one(wait_for_rpcs_linearly, 300))
    assert sorted(done) == sorted([*range(300), 100, 101, 102])  # the late ones were awaited too
    # 303 outputs plus the test's own 3 callbacks: once each, however many passes.
    assert subscriptions <= 303 + 3


def test_the_sdks_own_wait_subscribes_again_on_every_pass() -> None:
    """What the replacement is for: the same workload through the SDK's wait."""
    done, subscriptions = asyncio.run(_finish_one_by_one(SDK_WAIT, 300))
    assert sorted(done) == sorted([*range(300), 100, 101, 102])
    assert subscriptions > 10 * 300


def test_a_failed_output_is_raised() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        good, bad = loop.create_future(), loop.create_future()
        _track(good)
        _track(bad)
        loop.call_soon(good.set_result, 1)
        loop.call_soon(bad.set_exception, ValueError("apply failed"))
        await wait_for_rpcs_linearly()

    with pytest.raises(ValueError, match="apply failed"):
        asyncio.run(scenario())


def test_rpcs_are_awaited_before_outputs_and_an_rpc_failure_is_raised() -> None:
    manager = sdk_stack._get_rpc_manager()
    order: list[str] = []

    async def scenario(fail: bool) -> None:
        loop = asyncio.get_running_loop()
        output = loop.create_future()
        _track(output)
        loop.call_later(0.02, output.set_result, None)
        output.add_done_callback(lambda _: order.append("output"))

        async def rpc() -> None:
            await asyncio.sleep(0)
            order.append("rpc")
            if fail:
                raise RuntimeError("register failed")

        manager.rpcs.append(asyncio.ensure_future(rpc()))
        await wait_for_rpcs_linearly()

    asyncio.run(scenario(fail=False))
    assert order == ["rpc", "output"]
    order.clear()
    with pytest.raises(RuntimeError, match="register failed"):
        asyncio.run(scenario(fail=True))
    manager.clear()


def _subscriptions_in_the_sdks_runner() -> int:
    """Subscriptions made when the SDK's own program runner (`run_pulumi_func`, what the
    language host runs a program with) waits for 300 outputs finishing one by one."""
    _, subscriptions = asyncio.run(
        _finish_one_by_one(lambda: sdk_stack.run_pulumi_func(lambda: None), 300)
    )
    return subscriptions


def test_installed_unless_asked_for_the_sdks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sdk_stack, "get_monitor", lambda: None)  # no engine to signal
    monkeypatch.delenv(KEEP_ENV, raising=False)
    assert use_linear_output_wait() is True
    assert _subscriptions_in_the_sdks_runner() <= 303 + 3
    monkeypatch.setenv(KEEP_ENV, "sdk")
    assert use_linear_output_wait() is False
    assert _subscriptions_in_the_sdks_runner() > 10 * 300
