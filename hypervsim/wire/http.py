"""HTTP/1.1 front end: keep-alive connections, auth, sealing, size limits, fault injection.

One handler instance serves one TCP connection (socketserver), so the NTLM context that
authenticates the connection lives on the handler.
"""

from __future__ import annotations

import base64
import json
import socket
import ssl
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from hypervsim.wire import encryption
from hypervsim.wire.auth import ConnectionAuth, check_basic
from hypervsim.wire.faults import RequestFate
from hypervsim.wire.wsman import CallInfo

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.wire.server import WinRmServer

SOAP_CONTENT_TYPE = "application/soap+xml;charset=UTF-8"


class WsmanHttpServer(ThreadingHTTPServer):
    """Thread per connection; knows the WinRmServer that owns it."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self, address: tuple[str, int], app: WinRmServer, tls: ssl.SSLContext | None
    ) -> None:
        self.app = app
        self.tls = tls
        super().__init__(address, WsmanRequestHandler)


class WsmanRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # header and body writes must not wait for delayed ACKs
    server_version = "Microsoft-HTTPAPI/2.0"
    sys_version = ""
    server: WsmanHttpServer

    def setup(self) -> None:
        if self.server.tls is not None:
            self.request.settimeout(30)
            self.request = self.server.tls.wrap_socket(self.request, server_side=True)
            self.request.settimeout(None)
        super().setup()
        self.conn_auth = ConnectionAuth(
            self.server.app.channel_bindings, self.server.app.machine_name
        )

    def handle(self) -> None:
        try:
            super().handle()
        except (TimeoutError, ConnectionError, ssl.SSLError, OSError):
            pass

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.app.config.verbose:
            super().log_message(f"port {self.client_address[1]} " + format, *args)

    # -- helpers ---------------------------------------------------------------------
    @property
    def _https(self) -> bool:
        return self.server.tls is not None

    def _basic_allowed(self) -> bool:
        return self._https or self.server.app.config.allow_unencrypted

    def _send(
        self,
        status: int,
        body: bytes = b"",
        content_type: str | None = None,
        headers: list[tuple[str, str]] | None = None,
        close: bool = False,
        cut: bool = False,
    ) -> None:
        """Answer; `cut`: announce the whole body but write only half of it, then drop the
        connection (a reply cut in transit)."""
        app = self.server.app
        if app.config.latency_ms > 0:
            time.sleep(app.config.latency_ms / 1000.0)  # modelled round trip, no lock held
        self.send_response(status)
        for name, value in headers or []:
            self.send_header(name, value)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if cut:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self._drop()
            return
        if body:
            self.wfile.write(body)
        app.counters.add("bytes_out", len(body))

    def _challenge(self, token: bytes | None = None, scheme: str = "Negotiate") -> None:
        headers: list[tuple[str, str]] = []
        if token is not None:
            headers.append(("WWW-Authenticate", f"{scheme} {base64.b64encode(token).decode()}"))
        else:
            headers.append(("WWW-Authenticate", "Negotiate"))
            if self._basic_allowed():
                headers.append(("WWW-Authenticate", 'Basic realm="WSMAN"'))
        self._send(401, headers=headers)

    def _discard(self, length: int, limit: int = 16 * 1024 * 1024) -> None:
        remaining = min(length, limit)
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 65536))
            if not chunk:
                break
            remaining -= len(chunk)

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # -- verbs -----------------------------------------------------------------------
    def do_GET(self) -> None:
        app = self.server.app
        if self.path.split("?", 1)[0] == "/hypervsim/counters":
            body = json.dumps(app.counters.snapshot(), sort_keys=True).encode()
            self._send(200, body, "application/json")
            return
        self._send(404)

    def do_POST(self) -> None:
        app = self.server.app
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self._send(400, close=True)
            return
        if length > app.max_body_bytes:
            self._discard(length)  # so the client sees the 413 rather than a broken pipe
            self._send(413, close=True)
            return
        body = self.rfile.read(length) if length else b""
        if self.path.split("?", 1)[0] == "/hypervsim/shell-clock":
            self._advance_shell_clock(body)
            return
        if self.path.split("?", 1)[0].lower() != "/wsman":
            self._send(404)
            return
        app.counters.add("requests")
        app.counters.add("bytes_in", length)
        decision = app.faults.next_request()
        if decision.reboot_before:
            app.reboot_host()
        if decision.fate is RequestFate.DROP:
            app.counters.add("faults")
            self._drop()
            return
        # A 500 on a logged-in keep-alive connection comes from the WinRM service after it
        # received (and unsealed) the message, so the connection's login and its sealing
        # sequence stay in step; a 500 in the middle of a handshake interrupts the handshake.
        fail_after_unseal = (
            decision.fate is RequestFate.HTTP500
            and self.conn_auth.authenticated
            and not self.headers.get("Authorization")
        )
        if decision.fate is RequestFate.HTTP500 and not fail_after_unseal:
            app.counters.add("faults")
            self._send(500)
            return

        scheme = (self.headers.get("Authorization") or "").strip().split(" ", 1)[0].lower()
        completes_login = scheme in ("negotiate", "ntlm") and not self.conn_auth.authenticated
        user = self._authenticate()
        if user is None:
            return
        if completes_login and body and app.faults.login_alone:
            self.conn_auth.reset()
            self._send(401, headers=[("WWW-Authenticate", "Negotiate")])
            return
        final_token = self._final_token
        extra = [("WWW-Authenticate", f"Negotiate {final_token}")] if final_token else []

        sealed = encryption.is_encrypted(self.headers.get("Content-Type"))
        if sealed:
            if not self.conn_auth.authenticated or self.conn_auth.context is None:
                self._challenge()
                return
            try:
                plain = encryption.unseal(self.conn_auth.context, body)  # type: ignore[arg-type]
            except encryption.EncryptionError:
                self.conn_auth.reset()
                self._challenge()
                return
        else:
            plain = body
            if plain and not self._https and not app.config.allow_unencrypted:
                # AllowUnencrypted=false: plain SOAP over HTTP is refused.
                self._send(401, headers=[("WWW-Authenticate", "Negotiate")])
                return
        if fail_after_unseal:
            app.counters.add("faults")
            self._send(500)
            return
        if not plain:
            self._send(200, headers=extra)  # the empty POST that sets up the security context
            return
        if len(plain) > app.max_envelope_bytes:
            self._send(413, close=True)
            return

        status, reply = app.handle_soap(plain, self._call_info(user))
        if decision.fate is RequestFate.DROP_REPLY:
            app.counters.add("faults")  # it ran; the reply is lost in transit
            self._drop()
            return
        cut = decision.fate is RequestFate.CUT_REPLY
        if cut:
            app.counters.add("faults")  # it ran; the reply is cut halfway
        if sealed:
            assert self.conn_auth.context is not None
            payload = encryption.seal(self.conn_auth.context, reply)  # type: ignore[arg-type]
            self._send(status, payload, encryption.CONTENT_TYPE, headers=extra, cut=cut)
        else:
            self._send(status, reply, SOAP_CONTENT_TYPE, headers=extra, cut=cut)

    def _advance_shell_clock(self, body: bytes) -> None:
        """Test control, beside the counters: `{"advance_s": 300}` lets that much idle time
        pass for every shell at once (they expire as if it had); answers what expired."""
        try:
            seconds = float(json.loads(body or b"{}")["advance_s"])
        except (ValueError, KeyError, TypeError):
            self._send(400)
            return
        expired = self.server.app.shells.advance_clock(seconds)
        self._send(200, json.dumps({"expired": expired}).encode(), "application/json")

    _final_token: str | None = None

    def _authenticate(self) -> str | None:
        """The authenticated user, or None after answering 401 (challenge or denial)."""
        app = self.server.app
        self._final_token = None
        header = self.headers.get("Authorization")
        if not header:
            if self.conn_auth.authenticated:
                return self.conn_auth.user
            self._challenge()
            return None
        scheme, _, value = header.strip().partition(" ")
        scheme_lower = scheme.lower()
        if scheme_lower == "basic":
            if not self._basic_allowed():
                app.counters.add("auth_failures")
                self._challenge()
                return None
            outcome = check_basic(value, app.credentials)
            if not outcome.ok:
                app.counters.add("auth_failures")
                self._challenge()
                return None
            app.counters.add("logins")
            return outcome.user
        if scheme_lower in ("negotiate", "ntlm"):
            outcome = self.conn_auth.step(value)
            if outcome.needs_more:
                assert outcome.token is not None
                self._challenge(outcome.token, scheme)
                return None
            if not outcome.ok:
                app.counters.add("auth_failures")
                self._send(401)
                return None
            app.counters.add("logins")
            if outcome.token:
                self._final_token = base64.b64encode(outcome.token).decode()
            return outcome.user
        self._challenge()
        return None

    def _call_info(self, user: str) -> CallInfo:
        scheme = "https" if self._https else "http"
        host = self.headers.get("Host") or f"127.0.0.1:{self.server.server_address[1]}"
        return CallInfo(
            user=user, client_ip=self.client_address[0], address=f"{scheme}://{host}/wsman"
        )
