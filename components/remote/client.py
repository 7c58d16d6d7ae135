"""`RemotePowerShell`: run one operation script on a host and get its JSON document back.

Per process, warm sessions are pooled per host (a thread takes one, uses it alone, gives it
back), so concurrent provider calls never share a shell and each sequential call costs about
two round trips. Hosts reached through PowerShell Direct run through their parent's session.

When the host refuses a new shell for the user's quota, the process makes do with the shells
it already holds there (callers wait for one); holding none, the operation fails with one line
saying what is going on and how to clear it. When the host no longer knows a shell (its WinRM
restarted, or the shell idled out), every idle shell of that host is as suspect: they are all
dropped and the operation runs on a new one.
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
from dataclasses import dataclass
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
    HostQuotaError,
    OutcomeUnknownError,
    PowerShellError,
    RemoteProtocolError,
    Scrubber,
)
from components.remote.framing import build_request, decode_document, inputs_json
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

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._idle: dict[str, list[ShellSession]] = {}
        self._all: set[ShellSession] = set()
        self._live: dict[str, int] = {}  # sessions per key, idle or in use
        self._cap: dict[str, int] = {}  # fewer than max_sessions: the host's quota said so
        self.breaker = HostBreaker()
        self._warming: dict[str, threading.Thread] = {}  # by key: hosts `warm` was asked for

    @staticmethod
    def key(host: HostSettings) -> str:
        # The password's hash is part of the identity so a changed secret never reuses a login.
        digest = hashlib.sha256("\0".join(host.secrets()).encode("utf-8")).hexdigest()[:16]
        return f"{host.pool_key()}#{digest}"

    def acquire(self, host: HostSettings, scrub: Scrubber) -> ShellSession:
        """An idle session, a new one while the host's `max_sessions` (and its quota) allows,
        else wait for one to be released (more shells than that would only be refused)."""
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
                while True:
                    session = self._take_idle_locked(key, stale)
                    if session is not None:
                        return session
                    limit = min(host.max_sessions, self._cap.get(key, host.max_sessions))
                    live = self._live.get(key, 0)
                    if live and live < limit and patience > 0:
                        # Every shell is busy: most operations end well before a new shell
                        # would be open (its login, Create, PowerShell start and, at the end,
                        # Delete: 4 round trips and a process start), so wait a moment for
                        # one; an operation that waits on the host (a guest booting) does
                        # not end soon, and then a new shell opens.
                        waited = time.monotonic()
                        self._lock.wait(patience)
                        patience -= time.monotonic() - waited
                        continue
                    if live < limit:
                        self._live[key] = live + 1
                        break
                    self._lock.wait()
        finally:
            for old in stale:
                old.close()  # its shell may still exist: delete it rather than leave it
        session = ShellSession(host, scrub, self.breaker)
        with self._lock:
            self._all.add(session)
        return session

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
        if session.broken:
            self.discard(session)
            return
        with self._lock:
            self._idle.setdefault(self.key(session.host), []).append(session)
            self._lock.notify()

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
        inputs = dict(inputs or {})
        if self.host.via is not None:
            return self._run_in_guest(text, inputs, operation, after_restart)
        envelope = self._execute(text, inputs, operation)
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

    def _execute(self, text: str, inputs: dict[str, Any], operation: str) -> Any:
        request = build_request(text, inputs)
        replaced = False
        while True:
            session = self._pool.acquire(self.host, self._scrub)
            try:
                envelope = session.execute(request, operation, self.host.script_timeout_s)
            except ShellGoneError as gone:
                self._pool.discard(session)
                if gone.started:
                    raise OutcomeUnknownError(
                        self.host.name,
                        operation,
                        self._scrub(
                            f"the remote PowerShell went away ({gone.detail}); "
                            "the operation's outcome is unknown"
                        ),
                    ) from None
                if replaced:
                    raise RemoteProtocolError(
                        self.host.name,
                        operation,
                        self._scrub(f"the remote shell went away twice ({gone.detail})"),
                    ) from None
                replaced = True
                self._pool.evict_idle(self.host)
                log.info(
                    "shell on %s was gone; replaced it before running %s", self.host.name, operation
                )
                request = build_request(text, inputs)
                continue
            except ShellQuotaError as refused:
                if self._pool.hold_fewer(session) == 0:
                    raise self._quota_error(operation, refused.quota) from None
                log.info(
                    "%s refused another shell (%s); waiting for one this process holds",
                    self.host.name,
                    refused.quota,
                )
                continue
            except BaseException:
                self._pool.discard(session)
                raise
            self._pool.release(session)
            return envelope

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
        after_restart: FollowUp | None = None,
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
            return parent.run(load_script(GUEST_SCRIPT), wrapper_inputs, operation)
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
