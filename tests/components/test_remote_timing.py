"""What the shell pool learns about time, against the real emulator through real WinRM: how
long an operation ran on the host (without the round trips, the PowerShell start of a new
shell or the lines run before it in a batch), how long a new shell takes until it runs a line,
and that a caller waits for a busy shell as long as opening its own would take."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from components.remote import POOL, RemotePowerShell, SessionPool
from components.remote.errors import Scrubber
from components.remote.framing import Envelope, build_batch, build_request
from components.remote.session import ShellSession
from tests.components.test_remote_batch import HOLD, RELEASE, _wait_for
from tests.components.test_remote_emulator import ECHO, settings_for

SLEEP = """param([string]$InputJson)
Start-Sleep -Milliseconds ([int]($InputJson | ConvertFrom-Json).ms)
'{}'
"""
PS_START_MS = 1500


@pytest.fixture(autouse=True)
def _fresh_pool() -> Iterator[None]:
    POOL.close_all()
    yield
    POOL.close_all()


def _host_s(result: Envelope | Exception) -> float:
    assert isinstance(result, Envelope) and result.ok, result
    assert result.host_s is not None
    return result.host_s


def test_each_operation_reports_its_own_run_on_the_host(emulator: Any) -> None:
    host = settings_for(emulator)
    session = ShellSession(host, Scrubber(host.secrets()))
    try:
        alone = session.execute(build_request(SLEEP, {"ms": 300}), "sleep", 60)
        assert _host_s(alone) >= 0.3
        # In a batch each gets its own: the quick one after the sleeper is not charged for it.
        requests = [build_request(SLEEP, {"ms": 300}), build_request(SLEEP, {"ms": 0})]
        results = session.execute_batch(build_batch(requests), ["sleep", "quick"], 60)
        slow, quick = (_host_s(results[r.key]) for r in requests)
        assert slow >= 0.3
        assert quick < 0.3
        # A failing script reports its run too.
        failed = session.execute(build_request("param($InputJson) throw 'no'", {}), "throw", 60)
        assert isinstance(failed, Envelope) and not failed.ok and failed.host_s is not None
    finally:
        session.close()


def test_a_new_shell_is_timed_to_its_first_line_and_its_operation_without_that(
    emulator_factory: Any,
) -> None:
    """The Command that starts PowerShell returns before PowerShell is up, so the first
    operation on a new shell waits for it: that wait belongs to the shell's cost (what a
    caller weighs against waiting for a busy one), not to the operation's (what decides
    whether it may share a Send). The warm-up's shell, opened ahead of use, is not timed."""
    emu = emulator_factory(ps_start_ms=PS_START_MS)
    host = settings_for(emu, max_sessions=2)
    releaser = RemotePowerShell(host, SessionPool())
    releaser.run(ECHO, {"name": "warm", "count": 0}, "warm")  # its PowerShell is up now
    pool = SessionPool()
    client = RemotePowerShell(host, pool)
    try:
        client.run(ECHO, {"name": "first", "count": 1}, "echo")  # on the warm-up's shell
        key = pool.key(host)
        assert pool.shell_cost_s(key) == SessionPool._OPEN_S_BEFORE_MEASURED
        _open_a_second_shell(client, releaser)
        assert pool.shell_cost_s(key) >= PS_START_MS / 1000
        (quick,) = [s for (k, kind), s in pool._took.items() if k == key and kind[:6] == "quick "]
        assert quick < PS_START_MS / 1000
    finally:
        pool.close_all()


def _open_a_second_shell(client: RemotePowerShell, releaser: RemotePowerShell) -> None:
    """While the client's only shell is held past what a shell is assumed to cost (0.5 s), an
    operation `quick` opens a second one, and its line waits there for PowerShell to start."""
    pool = client._pool
    key = pool.key(client.host)
    path = f"C:\\hold-{secrets.token_hex(4)}.txt"
    with ThreadPoolExecutor(max_workers=1) as threads:
        holder = threads.submit(client.run, HOLD, {"path": path}, "hold")
        _wait_for(lambda: pool._live.get(key) == 1 and not pool._idle.get(key), "the holder")
        assert client.run(SLEEP, {"ms": 0}, "quick") == {}
        releaser.run(RELEASE, {"path": path}, "release")
        assert holder.result() == {"held": True}
    assert pool._live.get(key) == 2


def test_a_shell_is_timed_only_when_opened_for_its_first_line(emulator_factory: Any) -> None:
    """Opened for its line, a shell counts everything up to that line's start. Opened ahead
    (`open`, as a warm-up does), its first line may have waited for PowerShell or come long
    after it was up; the client cannot tell which, so such a shell is not timed."""
    emu = emulator_factory(ps_start_ms=PS_START_MS)
    host = settings_for(emu)
    sessions = [ShellSession(host, Scrubber(host.secrets())) for _ in range(3)]
    opened_for_line, waited, idle_first = sessions
    try:
        _host_s(opened_for_line.execute(build_request(SLEEP, {"ms": 0}), "sleep", 60))
        assert opened_for_line.ready_s is not None
        assert opened_for_line.ready_s >= PS_START_MS / 1000
        assert opened_for_line.open_s is not None and opened_for_line.open_s < PS_START_MS / 1000

        waited.open()
        _host_s(waited.execute(build_request(SLEEP, {"ms": 0}), "sleep", 60))
        assert waited.ready_s is None

        idle_first.open()
        time.sleep(PS_START_MS / 1000 + 0.5)  # its PowerShell is up before its first line
        _host_s(idle_first.execute(build_request(SLEEP, {"ms": 0}), "sleep", 60))
        assert idle_first.ready_s is None
    finally:
        for session in sessions:
            session.close()


def test_a_caller_waits_for_a_busy_shell_as_long_as_opening_its_own_would_take(
    emulator_factory: Any,
) -> None:
    """With a PowerShell start of 1.5 s, a shell that comes free 0.3 s after a caller began
    to wait is worth waiting for: the caller takes it and no third shell is opened (it used
    to open one after a fixed 0.25 s)."""
    emu = emulator_factory(ps_start_ms=PS_START_MS)
    host = settings_for(emu, max_sessions=3)
    releaser = RemotePowerShell(host, SessionPool())
    releaser.run(ECHO, {"name": "warm", "count": 0}, "warm")  # its PowerShell is up now
    client = RemotePowerShell(host)
    client.run(ECHO, {"name": "first", "count": 0}, "echo")
    _open_a_second_shell(client, releaser)  # the shell's cost is known now
    key = POOL.key(host)
    assert POOL.shell_cost_s(key) >= PS_START_MS / 1000
    paths = [f"C:\\hold-{secrets.token_hex(4)}.txt" for _ in range(2)]
    before = emu.counters()
    with ThreadPoolExecutor(max_workers=3) as threads:
        holders = [threads.submit(client.run, HOLD, {"path": p}, "hold") for p in paths]
        _wait_for(lambda: POOL._live.get(key) == 2 and not POOL._idle.get(key), "the holders")
        waiter = threads.submit(client.run, ECHO, {"name": "waiter", "count": 2}, "echo")
        _wait_for(lambda: len(POOL._waiting.get(key, [])) == 1, "the waiter")
        time.sleep(0.3)
        releaser.run(RELEASE, {"path": paths[0]}, "release")
        assert waiter.result() == {"name": "waiter", "count": 2}
        releaser.run(RELEASE, {"path": paths[1]}, "release")
        assert [h.result() for h in holders] == [{"held": True}] * 2
    after = emu.counters()
    assert after["shells_opened"] == before["shells_opened"]
    assert after["powershell_starts"] == before["powershell_starts"]
