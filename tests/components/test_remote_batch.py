"""Operations that wait for a busy shell go in one Send (framing.build_batch), each with its own
scope, try/catch and result: against the real emulator, through real WinRM."""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from components.remote import POOL, PowerShellError, RemotePowerShell, SessionPool
from components.remote.errors import OutcomeUnknownError, Scrubber
from components.remote.framing import Envelope, build_batch, build_request, decode_document
from components.remote.session import ShellGoneError, ShellSession
from components.remote.session_pool import Waiter
from tests.components.test_remote_emulator import ECHO, NASTY, settings_for

COUNTER = (
    "param($InputJson) $global:Runs = $global:Runs + 1; "
    "@{ runs = $global:Runs } | ConvertTo-Json -Compress"
)
THROW = 'param($InputJson) $in = $InputJson | ConvertFrom-Json; throw "refused $($in.name)"'
# Holds its shell until its file exists (made through another pool's shell): the others wait.
HOLD = """param([string]$InputJson)
$path = ($InputJson | ConvertFrom-Json).path
while (-not (Test-Path -LiteralPath $path)) { Start-Sleep -Milliseconds 20 }
@{ held = $true } | ConvertTo-Json -Compress
"""
RELEASE = """param([string]$InputJson)
New-Item -ItemType File -Path ($InputJson | ConvertFrom-Json).path -Force | Out-Null
'{}'
"""
_BATCH_LINE = re.compile(r"^& \{ .* \} '([A-Za-z0-9+/=]*)' '([A-Za-z0-9+/=]*)' '([0-9a-f]{16})'$")


@pytest.fixture(autouse=True)
def _fresh_pool() -> Iterator[None]:
    POOL.close_all()
    yield
    POOL.close_all()


def _session(emu: Any, **overrides: Any) -> ShellSession:
    host = settings_for(emu, **overrides)
    return ShellSession(host, Scrubber(host.secrets()))


def _document(result: Envelope | Exception) -> dict[str, Any]:
    assert isinstance(result, Envelope), result
    assert result.ok, result.message
    return decode_document(result.output)


def test_a_batch_carries_values_only_as_base64_literals_and_keys() -> None:
    requests = [build_request(ECHO, {"name": NASTY, "count": i}) for i in range(3)]
    batch = build_batch(requests)
    lines = batch.stdin.decode("ascii").split("\r\n")
    assert lines[-1] == ""
    assert "Remove-VM" not in batch.stdin.decode("ascii")
    op_lines = lines[1:-2]
    assert len(op_lines) == 3
    for request, line in zip(requests, op_lines, strict=True):
        match = _BATCH_LINE.match(line)
        assert match, line[:200]
        assert base64.b64decode(match.group(1)).decode("utf-8") == ECHO
        inputs = json.loads(base64.b64decode(match.group(2)).decode("utf-8"))
        assert inputs["name"] == NASTY
        assert match.group(3) == request.key
    assert batch.keys == tuple(r.key for r in requests)
    assert batch.replay.decode("ascii") == lines[-2] + "\r\n"
    with pytest.raises(ValueError):
        build_batch([])


def test_each_operation_of_a_batch_gets_its_own_result_and_a_failure_stays_its_own(
    emulator: Any,
) -> None:
    session = _session(emulator)
    try:
        requests = [
            build_request(ECHO, {"name": "first ü", "count": 1}),
            build_request(THROW, {"name": NASTY}),
            build_request("param($InputJson) $x = @(", {}),  # does not even parse
            build_request("param($InputJson) Get-Item 'C:\\no\\such\\thing' | Out-Null; '{}'", {}),
            build_request(ECHO, {"name": NASTY, "count": 5}),
        ]
        names = ["echo 1", "throw", "unparsable", "missing item", "echo 5"]
        results = session.execute_batch(build_batch(requests), names, 60)
        first, thrown, unparsable, missing, last = (results[r.key] for r in requests)
        assert _document(first) == {"name": "first ü", "count": 1}
        assert isinstance(thrown, Envelope) and not thrown.ok
        assert thrown.message == f"refused {NASTY}"
        assert isinstance(unparsable, Envelope) and not unparsable.ok
        assert isinstance(missing, Envelope) and not missing.ok
        assert "no\\such\\thing" in missing.message
        assert _document(last) == {"name": NASTY, "count": 5}
        assert not session.broken
        # The shell goes on as before: a single operation after the batch.
        single = build_request(ECHO, {"name": "after", "count": 6})
        assert _document(session.execute(single, "echo", 60)) == {"name": "after", "count": 6}
    finally:
        session.close()


@pytest.mark.parametrize("fault", ["drop-reply:0.25", "cut-reply:0.25"])
def test_lost_replies_of_a_batch_neither_repeat_nor_lose_an_operation(
    emulator_factory: Any, fault: str
) -> None:
    """A lost Send reply sends the whole batch again (keys already run are skipped); a lost
    Receive reply prints every frame again."""
    emu = emulator_factory(faults=(fault,), seed=5)
    session = _session(emu, retries=8)
    try:
        runs = []
        for _ in range(4):
            requests = [build_request(COUNTER, {}) for _ in range(3)]
            results = session.execute_batch(build_batch(requests), ["count"] * 3, 60)
            runs += [_document(results[r.key])["runs"] for r in requests]
        assert runs == list(range(1, 13))  # each ran exactly once, in order, none lost
        assert emu.counters()["faults"] > 0
    finally:
        session.close()


def test_a_powershell_that_exits_in_a_batch_makes_every_outcome_unknown(emulator: Any) -> None:
    """The frames of a batch come together at its end: if its PowerShell dies half-way, none
    of its operations is known to have run or not (the client then says so for each)."""
    session = _session(emulator)
    try:
        requests = [build_request(COUNTER, {}), build_request("param($InputJson) exit 3", {})]
        with pytest.raises(ShellGoneError) as raised:
            session.execute_batch(build_batch(requests), ["count", "quit"], 60)
        assert raised.value.started  # the client's callers each get OutcomeUnknownError
        assert "exited with code 3" in raised.value.detail
        assert session.broken
    finally:
        session.close()


def _wait_for(predicate: Any, what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.01)


@pytest.fixture
def short_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every operation seen once counts as short (what counts as short is its own test, below:
    here the timings of a loaded test machine must not decide what shares a Send)."""
    monkeypatch.setattr(SessionPool, "batch_budget_s", lambda self, key: 600.0)


def test_operations_waiting_for_a_busy_shell_share_the_send_of_the_shell_that_frees(
    emulator: Any, monkeypatch: pytest.MonkeyPatch, short_enough: None
) -> None:
    """max_sessions 1: while one operation holds the shell, six callers wait; when it frees,
    the first of them runs all six in one Send, each caller gets its own result, and the one
    that fails raises its own PowerShellError."""
    host = settings_for(emulator, max_sessions=1)
    client = RemotePowerShell(host)
    calls: list[Any] = [(ECHO, {"name": f"w{i} ü", "count": i}, "echo") for i in range(6)]
    calls[3] = (THROW, {"name": "w3"}, "throw")
    _learn(client, calls)
    sends: list[int] = []
    real_batch = ShellSession.execute_batch

    def spy(self: ShellSession, batch: Any, operations: list[str], timeout_s: float) -> Any:
        sends.append(len(batch.keys))
        return real_batch(self, batch, operations, timeout_s)

    monkeypatch.setattr(ShellSession, "execute_batch", spy)
    before = emulator.counters()
    with ThreadPoolExecutor(max_workers=8) as pool:
        holder, waiters, let_go = _hold_and_queue(client, host, pool, calls)
        let_go()
        assert holder.result() == {"held": True}
        for i, future in enumerate(waiters):
            if i == 3:
                with pytest.raises(PowerShellError, match=r"^\[l0\] throw: refused w3$"):
                    future.result()
            else:
                assert future.result() == {"name": f"w{i} ü", "count": i}
    assert sends == [6]
    after = emulator.counters()
    # One shell throughout (the release ran on another pool's: one more), no PowerShell start
    # for the waiters.
    assert after["shells_opened"] - before["shells_opened"] == 1
    assert after["powershell_starts"] - before["powershell_starts"] == 1


def _learn(client: RemotePowerShell, calls: list[Any]) -> None:
    """Run each kind of call once on a warm shell, so the pool knows how long it takes (an
    operation never seen runs alone)."""
    client.run(ECHO, {"name": "warm-up", "count": 0}, "warm-up")  # opens the shell
    for script, inputs, operation in calls:
        try:
            client.run(script, inputs, operation)
        except PowerShellError:
            pass


def _hold_and_queue(
    client: RemotePowerShell, host: Any, pool: ThreadPoolExecutor, calls: list[Any]
) -> tuple[Any, list[Any], Any]:
    """One operation holding the only shell, then `calls` (args of client.run) all waiting
    for it; once they all wait, returns (the holder's future, the waiters' futures, a
    function that lets the holder end)."""
    path = f"C:\\hold-{secrets.token_hex(4)}.txt"  # one world for the whole session
    key = POOL.key(host)
    holder = pool.submit(client.run, HOLD, {"path": path}, "hold")
    _wait_for(lambda: POOL._live.get(key) == 1 and not POOL._idle.get(key), "the holder")
    futures = [pool.submit(client.run, *args) for args in calls]
    _wait_for(lambda: len(POOL._waiting.get(key, [])) == len(calls), "the waiters")

    def let_go() -> None:
        RemotePowerShell(host, SessionPool()).run(RELEASE, {"path": path}, "release")

    return holder, futures, let_go


def test_a_shell_lost_under_a_batch_is_replaced_and_each_operation_retried(
    emulator: Any, monkeypatch: pytest.MonkeyPatch, short_enough: None
) -> None:
    """The host forgot the shell before the batch reached it (ShellGoneError, not started):
    every operation of the batch runs again on a new shell, each exactly once."""
    host = settings_for(emulator, max_sessions=1)
    client = RemotePowerShell(host)
    calls: list[Any] = [(COUNTER, {}, "count") for _ in range(4)]
    _learn(client, calls[:1])
    real_batch = ShellSession.execute_batch
    forgotten: list[str] = []

    def forget_first(self: ShellSession, batch: Any, operations: list[str], t: float) -> Any:
        if not forgotten:  # the host forgets the shell (a WinRM restart, an idle timeout)
            assert self._protocol is not None and self.shell_id is not None
            self._protocol.close_shell(self.shell_id, close_session=False)
            forgotten.append(self.shell_id)
        return real_batch(self, batch, operations, t)

    monkeypatch.setattr(ShellSession, "execute_batch", forget_first)
    with ThreadPoolExecutor(max_workers=8) as pool:
        holder, waiters, let_go = _hold_and_queue(client, host, pool, calls)
        let_go()
        assert holder.result() == {"held": True}
        runs = sorted(f.result()["runs"] for f in waiters)
    assert forgotten
    # Each ran once, on the new shell (a new PowerShell: its count starts again).
    assert runs == [1, 2, 3, 4]


def test_waiters_never_hang_when_the_batch_runner_fails(
    emulator: Any, monkeypatch: pytest.MonkeyPatch, short_enough: None
) -> None:
    """The caller that runs a batch hands every other caller an outcome even when the batch
    itself fails (here: its Send finds the host down): each raises an error naming its own
    operation."""
    host = settings_for(emulator, max_sessions=1)
    client = RemotePowerShell(host)
    calls: list[Any] = [(ECHO, {"name": "x", "count": 0}, f"echo {i}") for i in range(3)]
    _learn(client, calls)

    def failing(self: ShellSession, batch: Any, operations: list[str], timeout_s: float) -> Any:
        raise OutcomeUnknownError(self.host.name, operations[0], "the connection went away")

    monkeypatch.setattr(ShellSession, "execute_batch", failing)
    with ThreadPoolExecutor(max_workers=8) as pool:
        holder, waiters, let_go = _hold_and_queue(client, host, pool, calls)
        let_go()
        assert holder.result() == {"held": True}
        for i, future in enumerate(waiters):
            with pytest.raises(OutcomeUnknownError, match=rf"^\[l0\] echo {i}: the connection"):
                future.result()
    # The shell of the failed batch was dropped; the next operation opens a new one.
    assert client.run(ECHO, {"name": "next", "count": 1}, "echo") == {"name": "next", "count": 1}


def _waiter(kind: str) -> Waiter:
    return Waiter(build_request(ECHO, {"name": kind}), f"op {kind}", kind)


def test_only_operations_known_to_be_short_share_a_send_and_no_more_than_a_shell_costs() -> None:
    """A shell that comes free goes to the first waiter; behind it go the waiters whose runs
    alone all ended soon enough, while they add up to what a shell of one's own would cost
    (the wait before opening one, plus opening it: each as long as this host took to open
    its last shell until it ran a line); unknown or long ones, and those past the budget, keep
    waiting in order."""
    pool = SessionPool()
    key = "host#x"
    budget = 0.5
    pool._open_s[key] = 0.25
    assert pool.batch_budget_s(key) == pytest.approx(budget)
    pool._took.update(
        {(key, "short"): budget * 0.1, (key, "boot wait"): 12.0, (key, "medium"): budget * 0.6}
    )
    first = _waiter("short")
    waiting = [
        _waiter("never seen"),
        _waiter("short"),
        _waiter("boot wait"),
        _waiter("medium"),
        _waiter("short"),
        _waiter("medium"),  # past the budget by now
    ]
    expected_left = [waiting[0], waiting[2], waiting[5]]
    with pool._lock:
        pool._gather_locked(key, first, waiting)
    assert [w.kind for w in first.batch] == ["short", "medium", "short"]
    assert all(w.joined for w in first.batch)
    assert waiting == expected_left
    assert not any(w.joined for w in waiting)


@pytest.mark.parametrize("kind", ["never seen", "boot wait"])
def test_an_operation_not_known_to_be_short_runs_alone_and_nobody_waits_behind_it(
    kind: str,
) -> None:
    pool = SessionPool()
    key = "host#x"
    pool._took.update({(key, "short"): 0.01, (key, "boot wait"): 12.0})
    first = _waiter(kind)
    waiting = [_waiter("short"), _waiter("short")]
    with pool._lock:
        pool._gather_locked(key, first, waiting)
    assert first.batch == []
    assert len(waiting) == 2


def test_a_batch_stays_within_one_send(monkeypatch: pytest.MonkeyPatch) -> None:
    pool = SessionPool()
    key = "host#x"
    pool._took[(key, "short")] = 0.0
    first = _waiter("short")
    waiting = [_waiter("short") for _ in range(40)]
    with pool._lock:
        pool._gather_locked(key, first, waiting)
    assert len(first.batch) + 1 == SessionPool.BATCH_MAX_OPS
    monkeypatch.setattr(SessionPool, "BATCH_MAX_BYTES", 3 * len(first.request.stdin) + 1)
    first, waiting = _waiter("short"), [_waiter("short") for _ in range(5)]
    with pool._lock:
        pool._gather_locked(key, first, waiting)
    assert len(first.batch) == 2
