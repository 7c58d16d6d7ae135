"""`RemotePowerShell`: run one operation script on a host and get its JSON document back.

Per process, warm sessions are pooled per host (a thread takes one, uses it alone, gives it
back), so concurrent provider calls never share a shell and each sequential call costs about
two round trips. Hosts reached through PowerShell Direct run through their parent's session.

When the host refuses a new shell for the user's quota, the process makes do with the shells
it already holds there (callers wait for one); holding none, the operation fails with one line
saying what is going on and how to clear it. When the host no longer knows a shell (its WinRM
restarted, or the shell idled out), every idle shell of that host is as suspect: they are all
dropped and the operation runs on a new one.

When every shell of a host is busy, the operations that wait for one and are known to be
short are not sent one by one: the shell that comes free takes them together in one Send
(framing.build_batch), each in its own scope with its own try/catch and its own result, so a
wait that was going to happen anyway saves the round trips of the operations after the
first, and the shells they would have opened. They run one after the other, so only
operations whose runs alone on this host ended soon enough go together, and no more of them
than add up to what waiting for a shell of its own would cost each (the pool's wait before
opening one, plus the time this host took to open the last one): an operation not seen yet,
or seen taking longer (a guest's boot wait, a copy), runs alone, as before.
"""

from __future__ import annotations

import atexit
import base64
import functools
import hashlib
import logging
import threading
import time
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.config import PASSWORDS_KEY, GuestRoute, HostSettings
from components.remote import session as session_module
from components.remote.breaker import HostBreaker
from components.remote.errors import (
    GUEST_LOGIN_REFUSED_ID,
    GUEST_VM_MISSING_ID,
    GUEST_VM_OFF_ID,
    GuestLoginError,
    GuestVmMissingError,
    GuestVmOffError,
    HostAuthError,
    HostQuotaError,
    HostUnreachableError,
    OutcomeUnknownError,
    PowerShellError,
    RemoteError,
    RemoteProtocolError,
    Scrubber,
)
from components.remote.framing import (
    Envelope,
    OperationRequest,
    build_batch,
    build_request,
    decode_document,
    inputs_json,
)
from components.remote.script_source import with_preludes
from components.remote.session import (
    ShellGoneError,
    ShellQuotaError,
    ShellSession,
    idle_timeout_text,
)

log = logging.getLogger(__name__)

GUEST_SCRIPT = Path(__file__).with_name("scripts") / "invoke_in_guest.ps1"


@dataclass(frozen=True)
class FollowUp:
    """A second script run inside the guest in the same operation, once the guest answers
    again, when the first script's answer has `when` true (e.g. an install that restarted the
    guest, followed by the read of what it installed): one operation instead of two, and the
    wait for the restart happens on the host, without a round trip per poll."""

    script: str
    inputs: Mapping[str, Any]
    when: str = "restarting"


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
    # How long a caller waits for a busy shell to come free before opening another one.
    _OPEN_AFTER_S = 0.25
    # At most this many waiting operations, and this many bytes of their lines, go in one
    # Send: WinRM refuses a request larger than MaxEnvelopeSizekb (500 KiB by default; the
    # lines travel base64-encoded, 4/3 of their size).
    BATCH_MAX_OPS = 16
    BATCH_MAX_BYTES = 128 * 1024
    # Operations share a Send only when the longest runs alone of each (its round trips
    # included) add up to at most what waiting for a shell of its own would cost: this wait
    # plus opening one (3 round trips and a PowerShell start; measured on each host, this
    # until the host opened one).
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
        self._took: dict[tuple[str, str], float] = {}  # (key, kind): its longest run alone
        self._open_s: dict[str, float] = {}  # by key: how long opening its last shell took

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
        patience = self._OPEN_AFTER_S
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
                            # Every shell is busy: most operations end well before a new
                            # shell would be open (its login, Create, PowerShell start and,
                            # at the end, Delete: 4 round trips and a process start), so wait
                            # a moment for one; an operation that waits on the host (a guest
                            # booting) does not end soon, and then a new shell opens.
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
            if session.open_s is not None:
                self._open_s[key] = session.open_s
            waiting = self._waiting.get(key)
            if waiting:
                first = waiting.pop(0)
                self._gather_locked(key, first, waiting)
                first.session = session
                self._lock.notify_all()
                return
            self._idle.setdefault(key, []).append(session)
            self._lock.notify()

    def batch_budget_s(self, key: str) -> float:
        """How long an operation waiting for a shell of host `key` would wait for one of its
        own at most: the wait before opening one plus the time opening it takes there."""
        return self._OPEN_AFTER_S + self._open_s.get(key, self._OPEN_S_BEFORE_MEASURED)

    def took(self, host: HostSettings, kind: str, seconds: float) -> None:
        """An operation of `kind` ran alone on a warm shell of `host` in `seconds`."""
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


def load_script(path: str | Path, *preludes: str | Path) -> str:
    """Text of a `.ps1` operation script with shared prelude scripts (functions) included.

    The preludes go right after the script's `param(...)` block, which PowerShell only
    accepts as a script's first statement. Read once per process: the scripts ship with the
    package and do not change while a provider process runs.
    """
    return _load_script(str(path), *(str(p) for p in preludes))


@functools.cache
def _load_script(path: str, *preludes: str) -> str:
    shared = [Path(p).read_text(encoding="utf-8-sig") for p in preludes]
    return with_preludes(Path(path).read_text(encoding="utf-8-sig"), shared)


class RemotePowerShell:
    """Runs operation scripts on one host (an L0 endpoint or a VM reached via PowerShell Direct).

    Holds only settings: cheap to create inside each provider method; the warm sessions live
    in the process-wide pool.
    """

    def __init__(self, host: HostSettings, pool: SessionPool = POOL) -> None:
        self.host = host
        self._pool = pool
        self._scrub = Scrubber(host.secrets())

    def __repr__(self) -> str:
        return f"RemotePowerShell({self.host.name!r})"

    def run(
        self,
        script: str | Path,
        inputs: dict[str, Any] | None = None,
        operation: str = "operation",
        *,
        after_restart: FollowUp | None = None,
    ) -> dict[str, Any]:
        """Run `script` (a .ps1 path or its text; `param([string]$InputJson)`) with `inputs`.

        Returns the script's JSON document. Raises PowerShellError for an error in the
        script, OutcomeUnknownError when it was sent but its result was lost (it may have
        run), HostUnreachableError / HostAuthError / RemoteProtocolError otherwise.
        `after_restart` (guests only): see FollowUp; on a host it is not run.
        """
        text = load_script(script) if isinstance(script, Path) else script
        # What it is, for how long it is known to take: the same script for the same purpose
        # (through the same number of guests, and with or without a follow-up).
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
        kind = f"{operation} {digest}" + (" then" if after_restart is not None else "")
        return self._run(text, dict(inputs or {}), operation, after_restart, kind)

    def _run(
        self,
        text: str,
        inputs: dict[str, Any],
        operation: str,
        after_restart: FollowUp | None,
        kind: str,
    ) -> dict[str, Any]:
        if self.host.via is not None:
            return self._run_in_guest(text, inputs, operation, after_restart, kind)
        envelope = self._execute(text, inputs, operation, kind)
        if not envelope.ok:
            raise PowerShellError(
                self.host.name,
                operation,
                self._scrub(envelope.message),
                envelope.category,
                self._scrub(envelope.fqid),
            )
        try:
            return decode_document(envelope.output)
        except ValueError as exc:
            raise RemoteProtocolError(self.host.name, operation, self._scrub(str(exc))) from None

    def _execute(
        self, text: str, inputs: dict[str, Any], operation: str, kind: str = ""
    ) -> Envelope:
        """Run on this host; `kind` (what the operation is, the same for every operation that
        takes about as long) lets it share a Send with others once it is known to be short."""
        request = build_request(text, inputs)
        replaced = False
        while True:
            waiter = Waiter(request, operation, kind)
            session = self._pool.acquire_or_join(self.host, self._scrub, waiter)
            if session is None:
                waiter.done.wait()  # another caller runs it in its batch
                outcome = waiter.outcome
            else:
                outcome = self._run_batch(session, [waiter, *waiter.batch])[0]
            if isinstance(outcome, Envelope):
                return outcome
            if isinstance(outcome, ShellGoneError):
                if outcome.started:
                    raise OutcomeUnknownError(
                        self.host.name,
                        operation,
                        self._scrub(
                            f"the remote PowerShell went away ({outcome.detail}); "
                            "the operation's outcome is unknown"
                        ),
                    )
                if replaced:
                    raise RemoteProtocolError(
                        self.host.name,
                        operation,
                        self._scrub(f"the remote shell went away twice ({outcome.detail})"),
                    )
                replaced = True
                log.info(
                    "shell on %s was gone; replaced it before running %s", self.host.name, operation
                )
                request = build_request(text, inputs)
                continue
            if isinstance(outcome, ShellQuotaError):
                continue  # this process keeps to the shells it holds: wait for one of them
            assert outcome is not None
            raise outcome

    def _run_batch(
        self, session: ShellSession, waiters: list[Waiter]
    ) -> list[Envelope | BaseException]:
        """Run the waiters' operations on `session` (one Send for all of them), give the
        session back, and hand each waiter after the first its outcome. Returns the outcomes
        (a ShellGoneError or ShellQuotaError is for each caller's retry loop)."""
        outcomes: list[Envelope | BaseException] = []
        try:
            outcomes = self._run_on(session, waiters)
        except BaseException as exc:  # never leave the others waiting
            outcomes = [exc, *(self._for(w.operation, exc) for w in waiters[1:])]
            raise
        finally:
            for waiter, outcome in zip(waiters[1:], outcomes[1:], strict=False):
                waiter.outcome = outcome
            for waiter in waiters[1:]:
                if waiter.outcome is None:
                    waiter.outcome = OutcomeUnknownError(
                        self.host.name, waiter.operation, "its batch ended without a result"
                    )
                waiter.done.set()
        return outcomes

    def _run_on(
        self, session: ShellSession, waiters: list[Waiter]
    ) -> list[Envelope | BaseException]:
        timeout_s = self.host.script_timeout_s * len(waiters)  # they run one after the other
        try:
            if len(waiters) == 1:
                only = waiters[0]
                warm = session.shell_id is not None
                started = time.monotonic()
                results: dict[str, Envelope | RemoteError] = {
                    only.request.key: session.execute(only.request, only.operation, timeout_s)
                }
                if warm:  # a new shell's login and PowerShell start are not the operation's
                    self._pool.took(self.host, only.kind, time.monotonic() - started)
            else:
                batch = build_batch([w.request for w in waiters])
                results = session.execute_batch(batch, [w.operation for w in waiters], timeout_s)
                log.debug("%d operations in one Send on %s", len(waiters), self.host.name)
        except ShellGoneError as gone:
            self._pool.discard(session)
            if not gone.started:
                self._pool.evict_idle(self.host)
            return [gone for _ in waiters]
        except ShellQuotaError as refused:
            if self._pool.hold_fewer(session) == 0:
                return [self._quota_error(w.operation, refused.quota) for w in waiters]
            log.info(
                "%s refused another shell (%s); waiting for one this process holds",
                self.host.name,
                refused.quota,
            )
            return [refused for _ in waiters]
        except Exception as exc:
            self._pool.discard(session)
            return [exc, *(self._for(w.operation, exc) for w in waiters[1:])]
        except BaseException:
            self._pool.discard(session)
            raise
        self._pool.release(session)
        return [results[w.request.key] for w in waiters]

    def _for(self, operation: str, exc: BaseException) -> BaseException:
        """`exc`, which ended a batch, as the error of the batch's `operation`."""
        if isinstance(exc, (OutcomeUnknownError, HostUnreachableError, HostAuthError)):
            return type(exc)(exc.host, operation, exc.message)
        if isinstance(exc, (RemoteProtocolError, HostQuotaError)):
            return type(exc)(exc.host, operation, exc.message)
        return OutcomeUnknownError(
            self.host.name,
            operation,
            self._scrub(f"the Send it shared failed ({type(exc).__name__}: {exc})"),
        )

    def _quota_error(self, operation: str, quota: str) -> HostQuotaError:
        """One line: what the host refused, why this run cannot help it, how it clears."""
        what = "shells" if quota == "MaxShellsPerUser" else "WinRM operations"
        idle = idle_timeout_text(session_module.SHELL_IDLE_TIMEOUT_S)
        return HostQuotaError(
            self.host.name,
            operation,
            f"{self.host.endpoint} refused a new shell: user '{self.host.user}' already has "
            f"as many {what} open there as the host allows ({quota}) and this run holds none "
            f"of them. Shells left by killed runs of hyperv-lab close after {idle} idle (other "
            "tools' shells after the host's IdleTimeout, 2 hours by default); to close them "
            "all now, run Restart-Service WinRM on the host",
        )

    def _wrapper_inputs(self, text: str, inputs: dict[str, Any]) -> dict[str, Any]:
        """The PowerShell Direct wrapper's inputs that run `text` with `inputs` in this guest."""
        via = self.host.via
        assert via is not None
        return {
            "vm_name": via.vm_name,
            "user": via.user,
            "password_b64": base64.b64encode(
                via.password.get_secret_value().encode("utf-8")
            ).decode("ascii"),
            "wait_s": via.wait_s,
            "login_retry_s": via.login_retry_s,
            "script_b64": base64.b64encode(text.encode("utf-8")).decode("ascii"),
            "input_json": inputs_json(inputs),
        }

    def guest_call(self, script: str | Path, inputs: dict[str, Any]) -> dict[str, str]:
        """`script` with `inputs` as data for another operation script that runs on this
        guest's parent host and calls into the guest itself (one operation instead of one per
        guest step): `wrapper_b64` is the PowerShell Direct wrapper (base64 UTF-8, to run as
        `& ([scriptblock]::Create(...)) $input_json`), `input_json` its input document."""
        if self.host.via is None:
            raise ValueError(f"{self.host.name} is not reached through PowerShell Direct")
        text = load_script(script) if isinstance(script, Path) else script
        return {
            "wrapper_b64": base64.b64encode(load_script(GUEST_SCRIPT).encode("utf-8")).decode(),
            "input_json": inputs_json(self._wrapper_inputs(text, dict(inputs))),
        }

    def _run_in_guest(
        self,
        text: str,
        inputs: dict[str, Any],
        operation: str,
        after_restart: FollowUp | None,
        op_kind: str,
    ) -> dict[str, Any]:
        """Run through the parent host with the PowerShell Direct wrapper; errors name this host."""
        via = self.host.via
        assert via is not None
        wrapper_inputs = self._wrapper_inputs(text, inputs)
        if after_restart is not None:
            wrapper_inputs.update(
                {
                    "then_b64": base64.b64encode(after_restart.script.encode("utf-8")).decode(),
                    "then_input_json": inputs_json(dict(after_restart.inputs)),
                    "then_when": after_restart.when,
                }
            )
        parent = RemotePowerShell(via.parent, self._pool)
        try:
            return parent._run(
                load_script(GUEST_SCRIPT), wrapper_inputs, operation, None, f"{op_kind} via"
            )
        except PowerShellError as exc:
            depth = _refused_depth(exc.fqid)
            if depth is not None and depth > 0:
                # A VM further inside refused its login: its own client level reports it.
                raise PowerShellError(
                    self.host.name,
                    operation,
                    self._scrub(exc.message),
                    exc.category,
                    GUEST_LOGIN_REFUSED_ID + ".1" * (depth - 1),
                ) from None
            if depth == 0:
                raise GuestLoginError(
                    self.host.name,
                    operation,
                    self._scrub(_login_refused(via, exc)),
                    exc.category,
                    exc.fqid,
                ) from None
            missing = isinstance(exc, GuestVmMissingError) or exc.fqid.startswith(
                GUEST_VM_MISSING_ID
            )
            off = isinstance(exc, GuestVmOffError) or exc.fqid.startswith(GUEST_VM_OFF_ID)
            kind: type[PowerShellError] = PowerShellError
            if missing:
                kind = GuestVmMissingError
            elif off:
                kind = GuestVmOffError
            raise kind(
                self.host.name, operation, self._scrub(exc.message), exc.category, exc.fqid
            ) from None


def _refused_depth(fqid: str) -> int | None:
    """How many VMs further in than this route a refused login happened (0: this route's own
    VM), from the wrapper's ErrorId `HyperVLab.GuestLoginRefused[.1...]`; None: no refusal."""
    error_id = fqid.split(",", 1)[0]
    if not error_id.startswith(GUEST_LOGIN_REFUSED_ID):
        return None
    rest = error_id[len(GUEST_LOGIN_REFUSED_ID) :]
    return rest.count(".1") if rest == ".1" * rest.count(".1") else None


def _login_refused(via: GuestRoute, exc: PowerShellError) -> str:
    """What to do when the guest refuses the login: which credential, which VM, which command
    (never the password)."""
    name = via.credential or "<name>"
    which = f"credential '{via.credential}'" if via.credential else "the guest credential"
    return (
        f"the guest of VM '{via.vm_name}' on {via.parent.name} refuses {which} (user "
        f"'{via.user}'): {exc.message}; set the password that guest was given (by the VM's "
        f"answer file, or the image's own login): pulumi config set --secret --path "
        f"'{PASSWORDS_KEY}.{name}'"
    )
