"""Who may talk to the emulator: Basic and NTLM (via Negotiate/NTLM headers, pyspnego).

NTLM logins belong to the TCP connection (later requests on it carry no Authorization
header), so each connection owns one `ConnectionAuth`. Basic is checked on every request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import spnego
import spnego.exceptions
from spnego.channel_bindings import GssChannelBindings

_NTLM_SIGNATURE = b"NTLMSSP\x00"
_user_file_lock = threading.Lock()


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str

    def matches(self, user: str, password: str) -> bool:
        """Windows compares user names case-insensitively (and ignores a `HOST\\` prefix)."""
        bare = user.rsplit("\\", 1)[-1].split("@", 1)[0]
        return bare.lower() == self.user.lower() and hmac.compare_digest(
            password.encode(), self.password.encode()
        )


def write_ntlm_user_file(creds: Credentials, host_name: str) -> Path:
    """A private temp file of `DOMAIN:USER:PASSWORD` lines for pyspnego's NTLM acceptor.

    pyspnego reads the file named by env NTLM_USER_FILE when a server context is created.
    """
    fd, name = tempfile.mkstemp(prefix="hypervsim-ntlm-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f":{creds.user}:{creds.password}\n")
        fh.write(f"{host_name}:{creds.user}:{creds.password}\n")
        fh.write(f"{host_name.upper()}:{creds.user}:{creds.password}\n")
    os.chmod(name, 0o600)
    with _user_file_lock:
        os.environ["NTLM_USER_FILE"] = name
    return Path(name)


def tls_server_end_point(server_cert_der: bytes) -> GssChannelBindings:
    """RFC 5929 bindings for a certificate signed with SHA-256 (what tls.py issues)."""
    digest = hashlib.sha256(server_cert_der).digest()
    return GssChannelBindings(application_data=b"tls-server-end-point:" + digest)


class AuthOutcome:
    """Result of one Authorization header: done (with user), continue (token), or denied."""

    def __init__(self, ok: bool, user: str | None = None, token: bytes | None = None) -> None:
        self.ok = ok
        self.user = user
        self.token = token  # server token to send back in a 401 (NTLM challenge)

    @property
    def needs_more(self) -> bool:
        return not self.ok and self.token is not None


def check_basic(header_value: str, creds: Credentials) -> AuthOutcome:
    try:
        decoded = base64.b64decode(header_value.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return AuthOutcome(False)
    user, sep, password = decoded.partition(":")
    if sep and creds.matches(user, password):
        return AuthOutcome(True, user=user)
    return AuthOutcome(False)


class ConnectionAuth:
    """NTLM (raw, or wrapped in SPNEGO) security context of one TCP connection."""

    def __init__(self, channel_bindings: GssChannelBindings | None = None) -> None:
        # Over HTTPS: tls-server-end-point bindings of our certificate, so a login relayed
        # through another TLS endpoint fails (clients that send all-zero bindings pass).
        self.channel_bindings = channel_bindings
        self.context: spnego.ContextProxy | None = None
        self.user: str | None = None

    @property
    def authenticated(self) -> bool:
        return self.context is not None and self.user is not None

    def step(self, token_b64: str) -> AuthOutcome:
        """Feed one client token; a new negotiate message restarts the login."""
        try:
            token = base64.b64decode(token_b64.strip(), validate=True)
        except ValueError:
            self.reset()
            return AuthOutcome(False)
        if self.context is None or self.authenticated or self._is_initial_token(token):
            protocol = "ntlm" if token.startswith(_NTLM_SIGNATURE) else "negotiate"
            self.context = spnego.server(protocol=protocol, channel_bindings=self.channel_bindings)
            self.user = None
        try:
            out = self.context.step(token)
        except (spnego.exceptions.SpnegoError, ValueError):
            self.reset()
            return AuthOutcome(False)
        if self.context.complete:
            principal = self.context.client_principal or ""
            self.user = principal.rsplit("\\", 1)[-1]
            return AuthOutcome(True, user=self.user, token=out)
        return AuthOutcome(False, token=out or b"")

    def reset(self) -> None:
        self.context = None
        self.user = None

    @staticmethod
    def _is_initial_token(token: bytes) -> bool:
        """An NTLM NEGOTIATE message, or an SPNEGO NegTokenInit (ASN.1 application tag 0)."""
        ntlm_negotiate = token.startswith(_NTLM_SIGNATURE) and token[8:12] == b"\x01\x00\x00\x00"
        return ntlm_negotiate or token[:1] == b"\x60"
