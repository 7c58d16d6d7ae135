"""`RemotePowerShell`: run one operation script on a host and get its JSON document back.

Per process, warm sessions are pooled per host (a thread takes one, uses it alone, gives it
back), so concurrent provider calls never share a shell and each sequential call costs about
two round trips. Hosts reached through PowerShell Direct run through their parent's session.
"""

from __future__ import annotations

import atexit
import base64
import functools
import hashlib
import logging
import threading
import weakref
from pathlib import Path
from typing import Any

from components.config import PASSWORDS_KEY, GuestRoute, HostSettings
from components.remote.errors import (
    GUEST_LOGIN_REFUSED_ID,
    GUEST_VM_MISSING_ID,
    GuestLoginError,
    GuestVmMissingError,
    OutcomeUnknownError,
    PowerShellError,
    RemoteProtocolError,
    Scrubber,
)
from components.remote.framing import build_request, decode_document, inputs_json
from components.remote.script_source import with_preludes
from components.remote.session import ShellGoneError, ShellSession

log = logging.getLogger(__name__)

GUEST_SCRIPT = Path(__file__).with_name("scripts") / "invoke_in_guest.ps1"


class SessionPool:
    """Idle warm sessions per connection identity; thread-safe; closed at interpreter exit."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._idle: dict[str, list[ShellSession]] = {}
        self._all: set[ShellSession] = set()
        self._live: dict[str, int] = {}  # sessions per key, idle or in use

    @staticmethod
    def key(host: HostSettings) -> str:
        # The password's hash is part of the identity so a changed secret never reuses a login.
        digest = hashlib.sha256("\0".join(host.secrets()).encode("utf-8")).hexdigest()[:16]
        return f"{host.pool_key()}#{digest}"

    def acquire(self, host: HostSettings, scrub: Scrubber) -> ShellSession:
        """An idle session, a new one while the host's `max_sessions` allows, else wait for one
        to be released (more shells than the host's quota would only fail and retry)."""
        key = self.key(host)
        with self._lock:
            while True:
                idle = self._idle.get(key)
                if idle:
                    return idle.pop()
                if self._live.get(key, 0) < host.max_sessions:
                    self._live[key] = self._live.get(key, 0) + 1
                    break
                self._lock.wait()
        session = ShellSession(host, scrub)
        with self._lock:
            self._all.add(session)
        return session

    def release(self, session: ShellSession) -> None:
        if session.broken:
            self.discard(session)
            return
        with self._lock:
            self._idle.setdefault(self.key(session.host), []).append(session)
            self._lock.notify()

    def discard(self, session: ShellSession) -> None:
        with self._lock:
            if session in self._all:
                self._all.discard(session)
                key = self.key(session.host)
                self._live[key] = max(0, self._live.get(key, 0) - 1)
                self._lock.notify()
        session.close()

    def close_all(self) -> None:
        """Delete every shell this process opened (atexit; also handy in tests)."""
        with self._lock:
            sessions = list(self._all)
            self._all.clear()
            self._idle.clear()
            self._live.clear()
            self._lock.notify_all()
        # In parallel: the engine gives an exiting provider process little time, and each
        # close is two round trips to a possibly distant host.
        threads = [threading.Thread(target=s.close, daemon=True) for s in sessions]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)


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
        self, script: str | Path, inputs: dict[str, Any] | None = None, operation: str = "operation"
    ) -> dict[str, Any]:
        """Run `script` (a .ps1 path or its text; `param([string]$InputJson)`) with `inputs`.

        Returns the script's JSON document. Raises PowerShellError for an error in the
        script, OutcomeUnknownError when it was sent but its result was lost (it may have
        run), HostUnreachableError / HostAuthError / RemoteProtocolError otherwise.
        """
        text = load_script(script) if isinstance(script, Path) else script
        inputs = dict(inputs or {})
        if self.host.via is not None:
            return self._run_in_guest(text, inputs, operation)
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
        for attempt in (1, 2):
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
                if attempt == 2:
                    raise RemoteProtocolError(
                        self.host.name,
                        operation,
                        self._scrub(f"the remote shell went away twice ({gone.detail})"),
                    ) from None
                log.info(
                    "shell on %s was gone; replaced it before running %s", self.host.name, operation
                )
                request = build_request(text, inputs)
                continue
            except BaseException:
                self._pool.discard(session)
                raise
            self._pool.release(session)
            return envelope
        raise AssertionError("unreachable")

    def _run_in_guest(self, text: str, inputs: dict[str, Any], operation: str) -> dict[str, Any]:
        """Run through the parent host with the PowerShell Direct wrapper; errors name this host."""
        via = self.host.via
        assert via is not None
        wrapper_inputs = {
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
            kind = GuestVmMissingError if missing else PowerShellError
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
