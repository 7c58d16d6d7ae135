"""`RemotePowerShell`: run one operation script on a host and get its JSON document back.

Per process, warm sessions are pooled per host (a thread takes one, uses it alone, gives it
back), so concurrent provider calls never share a shell and each sequential call costs about
two round trips. Hosts reached through PowerShell Direct run through their parent's session.

When the host refuses a new shell for the user's quota, the process makes do with the shells
it already holds there (callers wait for one); holding none, the operation fails with one line
saying what is going on and how to clear it. When the host no longer knows a shell (its WinRM
restarted, or the shell idled out), every idle shell of that host is as suspect: they are all
dropped and the operation runs on a new one.

When every shell of a host is busy, the operations waiting for one that are known to be short
share one Send (`session_pool` says when); `RemotePowerShell` runs such a batch and hands each
operation its own result.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.config import PASSWORDS_KEY, GuestRoute, HostSettings
from components.remote import session as session_module
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
from components.remote.session_pool import POOL, SessionPool, Waiter

log = logging.getLogger(__name__)

GUEST_SCRIPT = Path(__file__).with_name("scripts") / "invoke_in_guest.ps1"

_SHARED_FAILURES = (
    OutcomeUnknownError,
    HostUnreachableError,
    HostAuthError,
    RemoteProtocolError,
    HostQuotaError,
)
"""Errors that end a whole batch and stand as they are for each of its operations."""


@dataclass(frozen=True)
class FollowUp:
    """A second script run inside the guest in the same operation, once the guest answers
    again, when the first script's answer has `when` true (e.g. an install that restarted the
    guest, followed by the read of what it installed): one operation instead of two, and the
    wait for the restart happens on the host, without a round trip per poll."""

    script: str
    inputs: Mapping[str, Any]
    when: str = "restarting"


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
                results: dict[str, Envelope | RemoteError] = {
                    only.request.key: session.execute(only.request, only.operation, timeout_s)
                }
            else:
                batch = build_batch([w.request for w in waiters])
                results = session.execute_batch(batch, [w.operation for w in waiters], timeout_s)
                log.debug("%d operations in one Send on %s", len(waiters), self.host.name)
            for waiter in waiters:
                # What it would cost alone on a warm shell: its run on the host (not a new
                # shell's PowerShell start, not the lines run before it) and a Send and a Receive.
                result = results.get(waiter.request.key)
                if isinstance(result, Envelope) and result.host_s is not None:
                    self._pool.took(self.host, waiter.kind, result.host_s + 2 * session.send_s)
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
        if isinstance(exc, _SHARED_FAILURES):
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
