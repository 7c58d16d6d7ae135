"""One warm channel to a host: HTTP keep-alive + NTLM login, one shell, one long-lived PowerShell.

An operation costs one Send (the framed line) and one Receive (FACTS 8). Transport faults
are retried with exponential backoff: a dead connection or an interrupted login on a fresh
connection (the shell and the PowerShell process belong to the user, not to the TCP
connection, so they survive); a 5xx on a logged-in connection on that same connection; a
401 on a connection that was logged in (the host forgot the login) after one fresh login.
When a Receive reply may have been lost, the PowerShell is asked to print the operation's
frame again, so its result is not lost. When the host stops answering after the operation
was sent, the failure is `OutcomeUnknownError` (it may have run); a reply cut off in the
middle (an incomplete read) is a lost reply like any other. A PowerShell error is data in the
envelope and is never retried.

Shells are opened with a short idle timeout (`SHELL_IDLE_TIMEOUT_S`), so those of a killed
run free the user's shell quota soon. A host that failed to answer at all is remembered for
the rest of the run (`HostBreaker`): later operations on it fail at once.
"""

from __future__ import annotations

import http.client
import logging
import time
from collections.abc import Callable
from typing import TypeVar

import requests
import urllib3.exceptions
from winrm.exceptions import (
    AuthenticationError,
    WinRMError,
    WinRMOperationTimeoutError,
    WinRMTransportError,
    WSManFaultError,
)
from winrm.protocol import Protocol

from components.config import HostSettings, set_password_hint
from components.remote.breaker import HostBreaker
from components.remote.direct_transport import DirectTransport, use_direct_transport
from components.remote.errors import (
    HostAuthError,
    HostUnreachableError,
    OutcomeUnknownError,
    RemoteError,
    RemoteProtocolError,
    Scrubber,
)
from components.remote.framing import (
    BatchRequest,
    Envelope,
    FrameNotFoundError,
    OperationRequest,
    build_replay,
    clixml_to_text,
    find_envelope,
)

log = logging.getLogger(__name__)

_T = TypeVar("_T")

POWERSHELL_COMMAND = "powershell"
POWERSHELL_ARGS = ("-NoLogo", "-NoProfile", "-NonInteractive", "-Command", "-")
UTF8_CODEPAGE = 65001
_FAULT_INVALID_SELECTORS = 2150858843  # the shell (or command) is unknown to the host
_FAULT_MAX_SHELLS = 2150859173
_FAULT_MAX_OPERATIONS = 2150859174
_STDERR_KEEP = 64 * 1024

SHELL_IDLE_TIMEOUT_S = 300.0
"""Idle timeout asked for each shell (rsp:IdleTimeOut). Windows keeps an idle shell two hours
by default and allows a user 30 shells: a killed `pulumi up` cannot delete its shells, so a
few kills in a row would lock the user out for hours. After five idle minutes the host deletes
them itself. A live run barely notices: a warm shell unused that long is replaced by a new one
(one Create and one PowerShell start) before its next operation."""

SILENT_ATTEMPTS = 2
"""Attempts of one request that may end in a whole timeout (connect or read) without a word
from the host, whatever `retries` says: a host silent through two full timeouts of one request
is down for the run (`HostBreaker`), so the first operation on it waits two timeouts (about a
minute at the defaults), not `retries + 1` of them, and the rest fail at once. Faults that
come back at once (refused, reset, 5xx) keep the full `retries`."""

# Ways a reply can be cut off after it began: the request may have been carried out.
_CUT_REPLY = (
    requests.exceptions.ChunkedEncodingError,
    urllib3.exceptions.ProtocolError,
    http.client.IncompleteRead,
)


def idle_timeout_text(seconds: float) -> str:
    """`300` -> '5 min', `3` -> '3 s' (for messages)."""
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)} min"
    return f"{seconds:g} s"


class ShellGoneError(Exception):
    """The shell or its PowerShell process no longer exists.

    `started` tells whether the current operation may have begun running there.
    """

    def __init__(self, started: bool, detail: str) -> None:
        self.started = started
        self.detail = detail
        super().__init__(detail)


class ShellQuotaError(Exception):
    """The host refused a new shell or command: the user's quota (`quota`) is used up."""

    def __init__(self, quota: str, detail: str) -> None:
        self.quota = quota
        self.detail = detail
        super().__init__(detail)


class _TransientError(Exception):
    """A transport fault worth retrying (wraps the original for the final message).

    `answered`: the host replied (a 5xx) on an intact connection, which may then be kept.
    `silent`: nothing at all came back (refused, reset, timed out), unlike a 5xx or a reply
    cut off halfway: a host that stays silent through every retry is not asked again.
    """

    def __init__(
        self, detail: str, answered: bool = False, silent: bool = False, timed_out: bool = False
    ) -> None:
        self.detail = detail
        self.answered = answered
        self.silent = silent
        self.timed_out = timed_out  # a whole timeout passed without a word from the host
        super().__init__(detail)


def _classify(exc: BaseException) -> BaseException:
    """Map a pywinrm/requests exception to _TransientError, ShellGoneError, or itself."""
    if isinstance(exc, WinRMOperationTimeoutError):
        return exc
    if isinstance(exc, AuthenticationError):
        return exc
    if isinstance(exc, requests.exceptions.SSLError):
        return exc
    if isinstance(exc, _CUT_REPLY):
        # The reply began and was cut off: the request may have been carried out.
        return _TransientError(f"reply cut off: {type(exc).__name__}")
    if isinstance(exc, requests.exceptions.Timeout):
        return _TransientError(type(exc).__name__, silent=True, timed_out=True)
    if isinstance(exc, requests.exceptions.ConnectionError):
        return _TransientError(type(exc).__name__, silent=True)
    if isinstance(exc, WSManFaultError):
        if exc.wsman_fault_code == _FAULT_INVALID_SELECTORS:
            return ShellGoneError(started=False, detail="the host no longer knows the shell")
        if exc.wsman_fault_code == _FAULT_MAX_SHELLS:
            return ShellQuotaError("MaxShellsPerUser", exc.reason)
        if exc.wsman_fault_code == _FAULT_MAX_OPERATIONS:
            return ShellQuotaError("MaxConcurrentOperationsPerUser", exc.reason)
        return exc
    if isinstance(exc, KeyError) and exc.args == ("www-authenticate",):
        # requests_ntlm got a non-401 answer (e.g. a 5xx) in the middle of its handshake.
        return _TransientError("login interrupted")
    if isinstance(exc, WinRMTransportError) and exc.code >= 500:
        return _TransientError(f"HTTP {exc.code}", answered=True)
    return exc


class ShellSession:
    """Login + shell + long-lived `powershell -Command -` on one endpoint (not thread-safe)."""

    def __init__(
        self, host: HostSettings, scrub: Scrubber, breaker: HostBreaker | None = None
    ) -> None:
        if host.via is not None or host.endpoint is None:
            raise ValueError("ShellSession needs a host with a WinRM endpoint")
        if host.transport == "basic" and not host.is_https:
            raise HostAuthError(
                host.name,
                "connect",
                "Basic authentication is refused over http://; use https:// or ntlm",
            )
        self.host = host
        self._scrub = scrub
        self._protocol: Protocol | None = None
        # True once a request on the current connection succeeded: a later 401 then means the
        # login was lost with the TCP connection (host restart, idle close), not a bad password.
        self._logged_in = False
        self.shell_id: str | None = None
        self.command_id: str | None = None
        self.broken = False
        self.transport_retries = 0
        self._breaker = breaker or HostBreaker()
        self._last_used = time.monotonic()
        self.open_s: float | None = None  # how long its login, Create and Command took
        # How long the shell took until it could run a line: the login, Create, the Command
        # and the PowerShell start (which `open_s` does not see: the Command returns before
        # PowerShell is up). Measured on its first line (`_time_first_line`).
        self.ready_s: float | None = None
        self.send_s = 0.0  # the last Send's round trip (a Receive costs about the same)

    @property
    def idle_s(self) -> float:
        """Seconds since this session's shell was last used (the host's idle clock)."""
        return time.monotonic() - self._last_used

    @property
    def _endpoint(self) -> str:
        return str(self.host.endpoint)

    def _host_down(self, operation: str, how: str, may_have_run: bool) -> BaseException:
        """The fast failure for a host that did not answer earlier in this run (`how`: 'after
        2 attempt(s) (ReadTimeout)'), in the words of that first failure."""
        if may_have_run:
            return OutcomeUnknownError(
                self.host.name,
                operation,
                f"{self._endpoint} stopped answering ({how}) after the operation was sent; "
                "the operation's outcome is unknown",
            )
        return HostUnreachableError(
            self.host.name,
            operation,
            f"{self._endpoint} did not answer {how}; not waiting for it again in this run: "
            "check that the host is up and its WinRM service answers",
        )

    # -- connection -------------------------------------------------------------------------

    def _new_protocol(self) -> Protocol:
        host = self.host
        assert host.endpoint is not None and host.user is not None and host.password is not None
        https = host.is_https
        protocol = Protocol(
            endpoint=str(host.endpoint),
            transport="ntlm" if host.transport == "ntlm" else "basic",
            username=host.user,
            password=host.password.get_secret_value(),
            server_cert_validation="validate",
            ca_trust_path=str(host.ca_bundle) if host.ca_bundle else None,  # type: ignore[arg-type]
            read_timeout_sec=host.read_timeout_s,
            operation_timeout_sec=host.operation_timeout_s,
            message_encryption="always" if (host.transport == "ntlm" and not https) else "auto",
            proxy=None,
        )
        # requests accepts (connect, read); pywinrm passes this value straight to session.send.
        protocol.transport.read_timeout_sec = (host.connect_timeout_s, host.read_timeout_s)  # type: ignore[assignment]
        return use_direct_transport(protocol)

    def _protocol_now(self) -> Protocol:
        if self._protocol is None:
            self._protocol = self._new_protocol()
        return self._protocol

    def _drop_connection(self) -> None:
        if self._protocol is not None:
            try:
                self._protocol.transport.close_session()
            except Exception:
                pass
        self._protocol = None
        self._logged_in = False

    def _login_established(self) -> bool:
        """Whether the current connection completed its login (so a 5xx need not end it).

        With message encryption the NTLM handshake completes with the first SOAP request (it
        carries the authenticate message): a sealed answer to it, a fault too, counts.
        """
        if self._logged_in:
            return True
        transport = self._protocol.transport if self._protocol is not None else None
        if isinstance(transport, DirectTransport):
            return transport.login_complete  # its login rides with the first request
        return getattr(transport, "encryption", None) is not None

    def _call(
        self,
        operation: str,
        action: Callable[[Protocol], _T],
        *,
        sent: bool = False,
        sends: bool = False,
    ) -> _T:
        """Run one WS-Man request, retrying transport faults on a fresh connection with backoff.

        A 401 on a connection that was already logged in means the host forgot the login
        (restart, idle close); the request was not processed, so it is sent again after one
        fresh login that does not count against `retries`. A refused fresh login is final.
        `sent`: the operation was sent before (it may be running); `sends`: this request sends
        it. Then running out of retries means its outcome is unknown, not that the host was
        never reached. Retries stop as soon as the host is known not to answer (this thread or
        another found out), and a host that stayed silent through every retry is remembered.
        """
        attempts = self.host.retries + 1
        attempt = 0
        timeouts = 0
        relogin_allowed = True
        last = ""
        last_silent = False
        while attempt < attempts and timeouts < SILENT_ATTEMPTS:
            down = self._breaker.down(self._endpoint)
            if down is not None:
                raise self._host_down(operation, down, sent or (sends and attempt > 0))
            if attempt:
                time.sleep(self.host.backoff_s * (2 ** (attempt - 1)))
            try:
                result = action(self._protocol_now())
            except Exception as exc:
                kind = _classify(exc)
                if isinstance(kind, AuthenticationError) and self._logged_in and relogin_allowed:
                    relogin_allowed = False
                    log.debug("login on %s was lost; logging in again", self.host.name)
                    self._drop_connection()
                    continue
                if isinstance(kind, _TransientError):
                    last, last_silent = kind.detail, kind.silent
                    self.transport_retries += 1
                    attempt += 1
                    timeouts += kind.timed_out
                    log.debug(
                        "transport fault on %s (%s), attempt %d", self.host.name, last, attempt
                    )
                    if not (kind.answered and self._login_established()):
                        # A dead connection, or a login cut short (pywinrm would carry on
                        # unsealed): start over. A 5xx on a logged-in connection keeps it and
                        # its login; if the host lost step anyway, its 401 triggers a re-login.
                        self._drop_connection()
                    continue
                raise self._translate(operation, kind) from None
            self._logged_in = True
            return result
        if last_silent:
            self._breaker.trip(self._endpoint, f"after {attempt} attempt(s) ({last})")
        if sent or sends:
            raise OutcomeUnknownError(
                self.host.name,
                operation,
                f"{self.host.endpoint} stopped answering after the operation was sent "
                f"({attempt} attempt(s), {last}); the operation's outcome is unknown",
            )
        raise HostUnreachableError(
            self.host.name,
            operation,
            f"{self.host.endpoint} did not answer after {attempt} attempt(s) ({last}); "
            "check that the host is up and WinRM listens there",
        )

    def _translate(self, operation: str, exc: BaseException) -> BaseException:
        """A user-facing error for a non-retryable fault (messages scrubbed, no pywinrm noise)."""
        name = self.host.name
        if isinstance(exc, (ShellGoneError, ShellQuotaError, WinRMOperationTimeoutError)):
            return exc
        if isinstance(exc, AuthenticationError):
            return HostAuthError(
                name,
                operation,
                f"{self.host.endpoint} refused user '{self.host.user}' with transport "
                f"'{self.host.transport}': check hyperv-lab:hosts.{name}.user and its password "
                f"({set_password_hint(name)})",
            )
        if isinstance(exc, requests.exceptions.SSLError):
            return HostAuthError(name, operation, self._tls_refusal(str(exc)))
        if isinstance(exc, WSManFaultError):
            return RemoteProtocolError(name, operation, self._scrub(f"WS-Man fault: {exc.reason}"))
        if isinstance(exc, (WinRMError, WinRMTransportError)):
            return HostUnreachableError(name, operation, self._scrub(f"WinRM error: {exc}"))
        return HostUnreachableError(name, operation, self._scrub(f"{type(exc).__name__}: {exc}"))

    def _tls_refusal(self, detail: str) -> str:
        """What to fix when the host's certificate fails verification: trusting a CA only
        helps when the CA is the problem, so an expired or misnamed certificate says so."""
        endpoint, name = self.host.endpoint, self.host.name
        if "certificate has expired" in detail:
            return (
                f"TLS certificate of {endpoint} has expired: renew the host's WinRM HTTPS "
                "certificate (the listener's CertificateThumbprint); the CA bundle is not the "
                "problem"
            )
        if "not yet valid" in detail:
            return (
                f"TLS certificate of {endpoint} is not valid yet: check the clocks of this "
                "machine and the host"
            )
        if "Hostname mismatch" in detail or "doesn't match" in detail:
            return (
                f"TLS certificate of {endpoint} is not issued for that host name: use a name "
                f"the certificate lists in hyperv-lab:hosts.{name}.endpoint, or reissue it"
            )
        if self.host.ca_bundle is not None:
            return (
                f"TLS certificate of {endpoint} is not signed by the CA in "
                f"hyperv-lab:hosts.{name}.ca_bundle ({self.host.ca_bundle}): point it at the "
                "CA bundle that signed the host's WinRM HTTPS certificate"
            )
        return (
            f"TLS certificate of {endpoint} is not trusted: set "
            f"hyperv-lab:hosts.{name}.ca_bundle to the CA that signed it"
        )

    # -- lifecycle --------------------------------------------------------------------------

    def open(self, operation: str = "open shell") -> None:
        """Login, open a UTF-8 shell and start the one long-lived PowerShell (errors name
        `operation`, the one the shell is opened for).

        Raises ShellQuotaError when the host refuses the shell or the command for the user's
        quota (no retry: only closing shells frees it)."""
        idle = f"PT{SHELL_IDLE_TIMEOUT_S:g}S"
        started = time.monotonic()
        self.shell_id = self._call(
            operation,
            lambda p: p.open_shell(codepage=UTF8_CODEPAGE, noprofile=True, idle_timeout=idle),
        )
        shell_id = self.shell_id
        self.command_id = self._call(
            operation,
            lambda p: p.run_command(shell_id, POWERSHELL_COMMAND, list(POWERSHELL_ARGS)),
        )
        self.open_s = time.monotonic() - started

    def close(self) -> None:
        """Best effort: delete the shell (which ends its PowerShell), close the connection.

        One request: deleting a shell terminates the commands running in it (MS-WSMV
        3.1.4.4.1), so a Signal(terminate) before it would only add a round trip to every close."""
        protocol, shell_id = self._protocol, self.shell_id
        self.shell_id = self.command_id = None
        self.broken = True
        if self._breaker.down(self._endpoint) is not None:
            protocol = None  # it did not answer: its idle timeout will delete the shell
        if protocol is not None and shell_id is not None:
            self._best_effort(lambda p: p.close_shell(shell_id, close_session=False))
        self._drop_connection()

    def _best_effort(self, action: Callable[[Protocol], object]) -> None:
        """One cleanup request. By the time a provider process exits, its keep-alive connection
        has often been closed and the host answers 401: log in again once, or the shell would
        stay open on the host (counting against MaxShellsPerUser) until its idle timeout."""
        for _ in range(2):
            try:
                action(self._protocol_now())
                return
            except Exception as exc:
                if isinstance(_classify(exc), AuthenticationError) and self._protocol is not None:
                    self._drop_connection()
                    continue
                return

    # -- one operation ----------------------------------------------------------------------

    def execute(self, request: OperationRequest, operation: str, timeout_s: float) -> Envelope:
        """Send the framed line and receive until its frame arrives.

        Raises ShellGoneError(started=False) only when the line provably never reached a
        PowerShell (then the caller may retry on a new shell); OutcomeUnknownError when the
        host stopped answering after the line may have reached it.
        """
        results = self._execute_lines(
            request.stdin, build_replay(request.key), {request.key: operation}, timeout_s
        )
        result = results[request.key]
        if isinstance(result, BaseException):
            raise result
        return result

    def execute_batch(
        self, batch: BatchRequest, operations: list[str], timeout_s: float
    ) -> dict[str, Envelope | RemoteError]:
        """Send several operations in one Send (framing.build_batch) and receive until every
        one has its frame; `operations` names them in the batch's order (for their errors).

        Returns each key's envelope, or the error of that operation alone (its line did not
        run, or its frame was undecodable). Raises, for all of them, what `execute` raises."""
        named = dict(zip(batch.keys, operations, strict=True))
        return self._execute_lines(batch.stdin, batch.replay, named, timeout_s)

    def _execute_lines(
        self, stdin: bytes, replay: bytes, operations: dict[str, str], timeout_s: float
    ) -> dict[str, Envelope | RemoteError]:
        operation = next(iter(operations.values()))
        down = self._breaker.down(self._endpoint)
        if down is not None:
            self.broken = True
            raise self._host_down(operation, down, may_have_run=False)
        opened_at = None
        if self.shell_id is None or self.command_id is None:
            opened_at = time.monotonic()
            self.open(operation)
        shell_id, command_id = self.shell_id, self.command_id
        assert shell_id is not None and command_id is not None
        try:
            # Safe to repeat: the line is ignored by a PowerShell that already ran its key.
            sent_at = time.monotonic()
            self._call(
                operation,
                lambda p: p.send_command_input(shell_id, command_id, stdin),
                sends=True,
            )
            self.send_s = time.monotonic() - sent_at
            results = self._receive(operations, replay, timeout_s)
        except BaseException:
            self.broken = True
            raise
        self._last_used = time.monotonic()
        if opened_at is not None:
            self._time_first_line(results, opened_at)
        return results

    def _time_first_line(
        self, results: dict[str, Envelope | RemoteError], opened_at: float
    ) -> None:
        """`ready_s` from the first lines of a shell opened for them: they started when its
        PowerShell was up (their end, less their own run on the host and half a round trip for
        the reply). A shell opened ahead of use (a warm-up) is not timed: from the client, a
        line that waited for PowerShell looks the same as one that came late to a PowerShell
        long up, and that idle time is no part of what a shell costs."""
        envelopes = [r for r in results.values() if isinstance(r, Envelope)]
        ran = [e.host_s for e in envelopes if e.host_s is not None]
        if ran and len(ran) == len(envelopes):
            started = self._last_used - sum(ran) - self.send_s / 2
            self.ready_s = max(self.open_s or 0.0, started - opened_at)

    def _receive(
        self, operations: dict[str, str], replay: bytes, timeout_s: float
    ) -> dict[str, Envelope | RemoteError]:
        shell_id, command_id = self.shell_id, self.command_id
        assert shell_id is not None and command_id is not None
        operation = next(iter(operations.values()))
        deadline = time.monotonic() + timeout_s
        stdout = b""
        stderr = b""
        lost_output = False
        replayed_at = self.transport_retries
        results: dict[str, Envelope | RemoteError] = {}

        def receive(p: Protocol) -> tuple[bytes, bytes, int, bool]:
            # After a transport fault a Receive reply may have been lost with the frame in it:
            # before receiving again, ask the PowerShell to print it once more (that line runs
            # after the operation's own lines, so it never races them; duplicates are harmless).
            nonlocal replayed_at
            if self.transport_retries != replayed_at:
                p.send_command_input(shell_id, command_id, replay)
                replayed_at = self.transport_retries
            out, err, code, done = p.get_command_output_raw(shell_id, command_id)
            return out, err, code, done

        while True:
            if time.monotonic() > deadline:
                self.broken = True
                raise OutcomeUnknownError(
                    self.host.name,
                    operation,
                    f"no result within {timeout_s:.0f} s; the operation's outcome is unknown",
                )
            retries_before = self.transport_retries
            try:
                out, err, exit_code, done = self._call(operation, receive, sent=True)
            except WinRMOperationTimeoutError:
                lost_output = lost_output or self.transport_retries != retries_before
                continue  # nothing to say yet: keep receiving
            except ShellGoneError as gone:
                self.broken = True
                raise ShellGoneError(started=True, detail=gone.detail) from None
            except BaseException:
                self.broken = True
                raise
            if self.transport_retries != retries_before:
                lost_output = True  # a Receive reply may have been lost (and replayed)
            stdout += out
            if len(stderr) < _STDERR_KEEP:
                stderr += err
            text = stdout.decode("utf-8", errors="replace")
            for key, name in operations.items():
                if key not in results:
                    found = self._frame(text, key, name, stderr, lost_output)
                    if found is not None:
                        results[key] = found
            if len(results) == len(operations):
                return results
            if done:
                self.broken = True
                detail = clixml_to_text(stderr.decode("utf-8", errors="replace"))
                raise ShellGoneError(
                    started=True,
                    detail=self._scrub(f"PowerShell exited with code {exit_code}: {detail}"),
                )

    def _frame(
        self, stdout: str, key: str, operation: str, stderr: bytes, lost_output: bool
    ) -> Envelope | RemoteError | None:
        """Operation `key`'s result in `stdout` so far: its envelope, the error that stands
        for it (its line did not run; its frame is undecodable), or None (not there yet)."""
        try:
            return find_envelope(stdout, key)
        except FrameNotFoundError:
            self.broken = True
            if lost_output:
                return OutcomeUnknownError(
                    self.host.name,
                    operation,
                    "connection lost while the operation ran; its outcome is unknown",
                )
            detail = clixml_to_text(stderr.decode("utf-8", errors="replace")) or "no error text"
            return RemoteProtocolError(
                self.host.name,
                operation,
                self._scrub(f"the operation wrapper did not run: {detail}"),
            )
        except ValueError as exc:
            self.broken = True
            return RemoteProtocolError(
                self.host.name, operation, f"undecodable result frame: {exc}"
            )
