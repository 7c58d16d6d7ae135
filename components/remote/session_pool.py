"""`SessionPool`: the warm WinRM shells of this process, per host, and the operations waiting
for one.

A thread takes a shell, uses it alone and gives it back, so concurrent provider calls never
share a shell. The pool opens shells up to the host's `max_sessions` (fewer when the host's
quota refused one), waits for a busy one as long as opening another takes there (measured:
login, Create, Command and PowerShell start), drops every idle shell of a host that no longer
knows one of them, and deletes them all at exit.

When every shell of a host is busy, the operations that wait for one and are known to be
short are not sent one by one: the shell that comes free takes them together in one Send
(framing.build_batch; `RemotePowerShell` runs the batch), each in its own scope with its own
try/catch and its own result, so a wait that was going to happen anyway saves the round trips
of the operations after the first, and the shells they would have opened. They run one after
the other, so only operations whose runs on this host ended soon enough go together, and no
more of them than add up to what waiting for a shell of its own would cost each (the wait
before opening one, plus opening it): an operation not seen yet, or seen taking longer (a
guest's boot wait, a copy), runs alone. How long an operation runs is what the host's
Stopwatch says (framing), plus a Send and a Receive: not a new shell's PowerShell start, not
the lines before it in a batch.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import threading
import time
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field

from components.config import HostSettings
from components.remote import session as session_module
from components.remote.breaker import HostBreaker
from components.remote.errors import Scrubber
from components.remote.framing import Envelope, OperationRequest
from components.remote.session import ShellSession

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Waiter:
    """An operation waiting for a shell of its host (`SessionPool.acquire`). A shell that
    comes free goes to the first waiter (`session`) with the waiters behind it (`batch`), who
    are `joined`: the first one runs them all in one Send and hands each its own `outcome`
    (its envelope or its error), then sets `done`."""

    request: OperationRequest
    operation: str
    kind: str = ""  # what its duration is learnt under (SessionPool.took); "" = never batched
    session: ShellSession | None = None
    batch: list[Waiter] = field(default_factory=list)
    joined: bool = False
    outcome: Envelope | BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


class SessionPool:
    """Idle warm sessions per connection identity; thread-safe; closed at interpreter exit.

    Also holds what this run learnt about each host: that its shell quota leaves room for
    only the shells held (`hold_fewer`), and which hosts did not answer (`breaker`). Both are
    forgotten by `close_all`, the end of a run.
    """

    # An idle session is dropped a little before the host would delete its shell, so the
    # next operation does not pay a request to find out.
    _STALE_FRACTION = 0.9
    # At most this many waiting operations, and this many bytes of their lines, go in one
    # Send: WinRM refuses a request larger than MaxEnvelopeSizekb (500 KiB by default; the
    # lines travel base64-encoded, 4/3 of their size).
    BATCH_MAX_OPS = 16
    BATCH_MAX_BYTES = 128 * 1024
    # What opening a shell costs until it runs a line (its login, Create, the Command and the
    # PowerShell start), until it is measured on the host (`ShellSession.ready_s`). A caller
    # that finds every shell busy waits this long for one to come free before opening
    # another: waiting longer could cost more than opening one, giving up sooner may pay for
    # a shell (4 round trips) that a moment's wait would have spared.
    _OPEN_S_BEFORE_MEASURED = 0.5

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._idle: dict[str, list[ShellSession]] = {}
        self._all: set[ShellSession] = set()
        self._live: dict[str, int] = {}  # sessions per key, idle or in use
        self._cap: dict[str, int] = {}  # fewer than max_sessions: the host's quota said so
        self.breaker = HostBreaker()
        self._warming: dict[str, threading.Thread] = {}  # by key: hosts `warm` was asked for
        self._waiting: dict[str, list[Waiter]] = {}  # by key: operations waiting for a shell
        self._took: dict[tuple[str, str], float] = {}  # (key, kind): the longest it took alone
        self._open_s: dict[str, float] = {}  # by key: its last new shell's `ready_s`

    @staticmethod
    def key(host: HostSettings) -> str:
        # The password's hash is part of the identity so a changed secret never reuses a login.
        digest = hashlib.sha256("\0".join(host.secrets()).encode("utf-8")).hexdigest()[:16]
        return f"{host.pool_key()}#{digest}"

    def acquire(self, host: HostSettings, scrub: Scrubber) -> ShellSession:
        """An idle session, a new one while the host's `max_sessions` (and its quota) allows,
        else wait for one to be released (more shells than that would only be refused)."""
        session = self.acquire_or_join(host, scrub, None)
        assert session is not None  # only a waiter is taken into a batch
        return session

    def acquire_or_join(
        self, host: HostSettings, scrub: Scrubber, waiter: Waiter | None
    ) -> ShellSession | None:
        """Like `acquire`; with `waiter`, a caller that has to wait may be handed the released
        session with the operations that waited too (`waiter.batch`: it runs them all), or be
        taken into another waiter's batch: then it gets None and its outcome comes in
        `waiter`."""
        key = self.key(host)
        with self._lock:
            warming = self._warming.get(key)
        if warming is None:
            # The run's first contact with the host: one session opens while the other
            # callers wait, so a host that never answers costs one round of timeouts, not
            # one per concurrent caller.
            self.warm([host])
            with self._lock:
                warming = self._warming.get(key)
        if warming is not None and warming is not threading.current_thread():
            warming.join()  # its session (or its verdict on a silent host) is the one to use
        stale: list[ShellSession] = []
        patience = self.shell_cost_s(key)
        try:
            with self._lock:
                try:
                    while True:
                        if waiter is not None and (waiter.session or waiter.joined):
                            return waiter.session  # handed a shell, or in another's batch
                        session = self._take_idle_locked(key, stale)
                        if session is not None:
                            self._stop_waiting_locked(key, waiter)
                            return session
                        limit = min(host.max_sessions, self._cap.get(key, host.max_sessions))
                        live = self._live.get(key, 0)
                        if live and live < limit and patience > 0:
                            # Every shell is busy: most operations end before a new shell
                            # would be up (its login, Create, PowerShell start and, at the
                            # end, Delete: 4 round trips and a process start), so wait for
                            # one as long as opening one takes here; an operation that waits
                            # on the host (a guest booting) does not end by then, and then a
                            # new shell opens.
                            self._wait_locked(key, waiter)
                            waited = time.monotonic()
                            self._lock.wait(patience)
                            patience -= time.monotonic() - waited
                            continue
                        if live < limit:
                            self._stop_waiting_locked(key, waiter)
                            self._live[key] = live + 1
                            break
                        self._wait_locked(key, waiter)
                        self._lock.wait()
                except BaseException:
                    self._stop_waiting_locked(key, waiter)
                    raise
        finally:
            for old in stale:
                old.close()  # its shell may still exist: delete it rather than leave it
        session = ShellSession(host, scrub, self.breaker)
        with self._lock:
            self._all.add(session)
        return session

    def _wait_locked(self, key: str, waiter: Waiter | None) -> None:
        if waiter is not None:
            waiting = self._waiting.setdefault(key, [])
            if waiter not in waiting:
                waiting.append(waiter)

    def _stop_waiting_locked(self, key: str, waiter: Waiter | None) -> None:
        waiting = self._waiting.get(key)
        if waiter is not None and waiting and waiter in waiting:
            waiting.remove(waiter)

    def _take_idle_locked(self, key: str, stale: list[ShellSession]) -> ShellSession | None:
        idle = self._idle.get(key)
        limit = session_module.SHELL_IDLE_TIMEOUT_S * self._STALE_FRACTION
        while idle:
            session = idle.pop()
            if session.idle_s < limit:
                return session
            self._forget_locked(session)
            stale.append(session)
        return None

    def release(self, session: ShellSession) -> None:
        """Back to the pool; to the operations waiting for a shell of its host first: the
        first of them gets it with as many of the others as one Send may carry."""
        if session.broken:
            self.discard(session)
            return
        with self._lock:
            key = self.key(session.host)
            if session.ready_s is not None:
                self._open_s[key] = session.ready_s
            waiting = self._waiting.get(key)
            if waiting:
                first = waiting.pop(0)
                self._gather_locked(key, first, waiting)
                first.session = session
                self._lock.notify_all()
                return
            self._idle.setdefault(key, []).append(session)
            self._lock.notify()

    def shell_cost_s(self, key: str) -> float:
        """How long opening a shell on host `key` takes until it runs a line: measured on the
        last shell opened there for an operation."""
        return self._open_s.get(key, self._OPEN_S_BEFORE_MEASURED)

    def batch_budget_s(self, key: str) -> float:
        """How long an operation waiting for a shell of host `key` would wait for one of its
        own at most: the wait before opening one plus opening it, each `shell_cost_s`."""
        return 2 * self.shell_cost_s(key)

    def took(self, host: HostSettings, kind: str, seconds: float) -> None:
        """An operation of `kind` would take `seconds` alone on a warm shell of `host` (its
        run there and its Send and Receive); the longest one seen counts."""
        if kind:
            with self._lock:
                slot = (self.key(host), kind)
                self._took[slot] = max(self._took.get(slot, 0.0), seconds)

    def _gather_locked(self, key: str, first: Waiter, waiting: list[Waiter]) -> None:
        """Into `first.batch`: the waiters behind `first` that are known to be short, while
        their longest runs (first's included) add up to at most what a shell of its own
        would cost (`batch_budget_s`) and their lines fit one Send. The others keep waiting,
        in order."""
        allowed = self.batch_budget_s(key)
        budget = allowed - self._took.get((key, first.kind), allowed + 1)
        size = len(first.request.stdin)
        index = 0
        while budget >= 0 and index < len(waiting) and len(first.batch) + 1 < self.BATCH_MAX_OPS:
            waiter = waiting[index]
            cost = self._took.get((key, waiter.kind))
            if (
                cost is None
                or cost > budget
                or size + len(waiter.request.stdin) > self.BATCH_MAX_BYTES
            ):
                index += 1
                continue
            waiting.pop(index)
            waiter.joined = True
            first.batch.append(waiter)
            budget -= cost
            size += len(waiter.request.stdin)

    def discard(self, session: ShellSession) -> None:
        with self._lock:
            self._forget_locked(session)
        session.close()

    def _forget_locked(self, session: ShellSession) -> None:
        if session in self._all:
            self._all.discard(session)
            key = self.key(session.host)
            self._live[key] = max(0, self._live.get(key, 0) - 1)
            self._lock.notify_all()

    def hold_fewer(self, refused: ShellSession) -> int:
        """The host refused `refused` a shell for the user's quota: from now on this process
        keeps to the sessions it holds on that host (callers wait for one of them). Discards
        `refused`; returns how many sessions remain (0: nothing to fall back to)."""
        key = self.key(refused.host)
        with self._lock:
            self._forget_locked(refused)
            held = self._live.get(key, 0)
            if held:
                self._cap[key] = held
        refused.close()
        return held

    def evict_idle(self, host: HostSettings) -> None:
        """Drop every idle session of `host`: its WinRM forgot one of their shells, so a
        restart may have ended them all. Their shells are deleted in the background (best
        effort: most are gone), so the operation that found out does not wait for that."""
        key = self.key(host)
        with self._lock:
            evicted = self._idle.pop(key, [])
            for session in evicted:
                self._forget_locked(session)
        if evicted:

            def close_evicted() -> None:
                for session in evicted:
                    session.close()

            threading.Thread(target=close_evicted, name="evict-shells", daemon=True).start()

    def warm(self, hosts: Iterable[HostSettings]) -> None:
        """Open one session on each of `hosts` at once, in the background (once per run);
        the first `acquire` for a host waits for its warm-up.

        Checks reach hosts one after another (the engine checks resources in turn): a host
        that never answers would be found out only when its turn comes, after the previous
        silent host's timeouts. Opened together, every silent host is known to the breaker
        after one round of timeouts; the healthy ones' sessions wait in the pool for use."""
        for host in hosts:
            if host.via is not None or host.endpoint is None:
                continue
            key = self.key(host)
            with self._lock:
                if key in self._warming:
                    continue
                thread = threading.Thread(
                    target=self._warm_one, args=(host,), name="warm-shell", daemon=True
                )
                self._warming[key] = thread
                thread.start()  # before anyone can find it there and join it

    def _warm_one(self, host: HostSettings) -> None:
        session = self.acquire(host, Scrubber(host.secrets()))
        if session.shell_id is not None:
            self.release(session)  # a warm one was in the pool already
            return
        try:
            session.open()
        except Exception as exc:  # the operation that needs the host reports it
            log.debug("could not open a shell on %s ahead of use: %s", host.name, exc)
            self.discard(session)
            return
        self.release(session)

    def hosts_down(self, hosts: Iterable[HostSettings], wait_s: float) -> list[str]:
        """`name (endpoint) did not answer how` for each of `hosts` that did not answer in
        this run, once their warm-ups ended (waiting at most `wait_s` for them)."""
        deadline = time.monotonic() + wait_s
        down = []
        for host in hosts:
            if host.via is not None or host.endpoint is None:
                continue
            with self._lock:
                thread = self._warming.get(self.key(host))
            if thread is not None:
                thread.join(max(0.0, deadline - time.monotonic()))
            how = self.breaker.down(str(host.endpoint))
            if how is not None:
                down.append(f"{host.name} ({host.endpoint}) did not answer {how}")
        return down

    def close_all(self) -> None:
        """Delete every shell this process opened and forget what was learnt about hosts
        (atexit, the end of a run; also handy in tests)."""
        with self._lock:
            sessions = list(self._all)
            self._all.clear()
            self._idle.clear()
            self._live.clear()
            self._cap.clear()
            self._warming.clear()
            self._waiting.clear()
            self._took.clear()
            self._open_s.clear()
            self._lock.notify_all()
        # In parallel: the engine gives an exiting provider process little time, and each
        # close is two round trips to a possibly distant host.
        threads = [threading.Thread(target=s.close, daemon=True) for s in sessions]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        self.breaker.reset()


POOL = SessionPool()


def _close_before_connection_finalizers(pool: SessionPool) -> None:
    """Register `pool.close_all` to run at exit BEFORE urllib3 closes its pooled sockets.

    urllib3 closes each connection pool from a `weakref.finalize`, and all finalizers run from
    one atexit hook that `weakref` registers when the first finalizer is made. atexit hooks
    run last-registered first, so ours must be registered after that hook exists: otherwise
    every shell's logged-in keep-alive connection is gone when we delete the shell, and each
    close pays a fresh NTLM login (3 round trips) first.
    """
    weakref.finalize(pool, lambda: None)  # makes sure weakref's atexit hook exists already
    atexit.register(pool.close_all)


_close_before_connection_finalizers(POOL)
