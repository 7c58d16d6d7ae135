"""Who may talk to the emulator: Basic and NTLM (via Negotiate/NTLM headers, pyspnego).

NTLM logins belong to the TCP connection (later requests on it carry no Authorization
header), so each connection owns one `ConnectionAuth`. Basic is checked on every request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import stat
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import spnego
import spnego.exceptions
from spnego._negotiate import NegotiateProxy  # pyspnego's SPNEGO acceptor
from spnego._ntlm import NTLMProxy  # pyspnego's NTLM acceptor (the CHALLENGE is built there)
from spnego._ntlm_raw.crypto import lmowfv1, ntowfv1  # pyspnego's own hash functions
from spnego._ntlm_raw.messages import AvId, Challenge, FileTime, NegotiateFlags, TargetInfo
from spnego._spnego import GSSMech
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


USER_FILE_PREFIX = "ntlm-"
USER_FILE_SUFFIX = ".txt"


def private_runtime_dir(base: Path | None = None) -> Path:
    """`<tmp>/hypervsim-<uid>`: a 0700 directory owned by us, for files holding secrets.

    Refuses a directory (or symlink) that someone else planted there.
    """
    root = (base or Path(tempfile.gettempdir())) / f"hypervsim-{os.getuid()}"
    try:
        os.mkdir(root, 0o700)
    except FileExistsError:
        pass
    info = os.lstat(root)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise PermissionError(f"{root} is not a directory owned by this user; refusing to use it")
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(root, 0o700)
    return root


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, belongs to someone else
    return True


def remove_stale_user_files(directory: Path) -> list[Path]:
    """Delete user files left by servers that died without cleaning up (SIGKILL, crash).

    Each file is named `ntlm-<pid>-<random>.txt`; a file whose PID no longer runs is stale.
    """
    removed: list[Path] = []
    for path in directory.glob(f"{USER_FILE_PREFIX}*{USER_FILE_SUFFIX}"):
        pid_text = path.name[len(USER_FILE_PREFIX) :].split("-", 1)[0]
        if not pid_text.isdigit() or _pid_alive(int(pid_text)):
            continue
        try:
            path.unlink()
            removed.append(path)
        except OSError:
            pass
    return removed


LEGACY_PATTERN = "hypervsim-ntlm-*.txt"  # plaintext files of earlier versions, in the temp dir
LEGACY_MAX_AGE_SECONDS = 24 * 3600


def remove_legacy_user_files(temp_dir: Path | None = None, now: float | None = None) -> list[Path]:
    """Delete our own plaintext user files written by earlier versions straight into the temp
    dir. They carry no PID, so only ones older than a day go (a server that old is gone)."""
    folder = temp_dir or Path(tempfile.gettempdir())
    limit = (time.time() if now is None else now) - LEGACY_MAX_AGE_SECONDS
    removed: list[Path] = []
    for path in folder.glob(LEGACY_PATTERN):
        try:
            info = os.lstat(path)
            if stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid() and info.st_mtime < limit:
                path.unlink()
                removed.append(path)
        except OSError:
            pass
    return removed


def _smbpasswd_line(account: str, password: str) -> str:
    """`USER:UID:LM_HASH:NT_HASH:FLAGS:LCT` (a format pyspnego's acceptor reads), so the file
    carries the hashes NTLM verifies against, never the plaintext password."""
    lm = base64.b16encode(lmowfv1(password)).decode()
    nt = base64.b16encode(ntowfv1(password)).decode()
    return f"{account}:0:{lm}:{nt}:[U]:LCT-00000000\n"


def write_ntlm_user_file(creds: Credentials, host_name: str, directory: Path | None = None) -> Path:
    """The credential file pyspnego's NTLM acceptor reads (env NTLM_USER_FILE, per context).

    It lives in a private 0700 directory, is created 0600 (O_EXCL), holds hashes rather than
    the password, is deleted by `WinRmServer.stop()`, and files of dead servers are removed
    here on every start.
    """
    folder = directory or private_runtime_dir()
    remove_stale_user_files(folder)
    if directory is None:
        remove_legacy_user_files()
    path = folder / f"{USER_FILE_PREFIX}{os.getpid()}-{secrets.token_hex(6)}{USER_FILE_SUFFIX}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        # A local account: the bare name, `.\\user` and `COMPUTER\\user` (NetBIOS name) log in;
        # any other domain is refused, as a workgroup Windows host refuses it.
        fh.write(_smbpasswd_line(creds.user, creds.password))
        fh.write(_smbpasswd_line(f".\\{creds.user}", creds.password))
        fh.write(_smbpasswd_line(f"{netbios_name(host_name)}\\{creds.user}", creds.password))
    with _user_file_lock:
        os.environ["NTLM_USER_FILE"] = str(path)
    return path


def netbios_name(computer_name: str) -> str:
    """The NetBIOS form of a computer name: upper case, at most 15 characters."""
    return computer_name.upper()[:15]


class EmulatedHostNtlm(NTLMProxy):
    """pyspnego's NTLM acceptor whose CHALLENGE names the emulated computer, not this machine.

    A workgroup Windows host puts its own name in TargetName and in every name AV pair
    (NetBIOS and DNS, computer and domain). Clients echo these: go-ntlmssp sends the
    TargetName as the domain of a `COMPUTER\\user` login, so it must be the emulated name.
    """

    def __init__(self, computer_name: str, channel_bindings: GssChannelBindings | None) -> None:
        super().__init__(usage="accept", protocol="ntlm", channel_bindings=channel_bindings)
        self.computer_name = computer_name

    def _step_accept_negotiate(self, token: bytes) -> bytes:
        super()._step_accept_negotiate(token)
        built: Challenge = self._temp_challenge  # type: ignore[assignment]
        netbios = netbios_name(self.computer_name)
        info = TargetInfo()
        info[AvId.nb_domain_name] = netbios
        info[AvId.nb_computer_name] = netbios
        info[AvId.dns_domain_name] = self.computer_name
        info[AvId.dns_computer_name] = self.computer_name
        info[AvId.timestamp] = FileTime.now()
        challenge = Challenge(
            built.flags,
            built.server_challenge,
            target_name=netbios,
            target_info=info,
            version=built.version if built.flags & NegotiateFlags.version else None,
        )
        self._temp_challenge = challenge  # the MIC check packs this same message
        return challenge.pack()


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

    def __init__(
        self, channel_bindings: GssChannelBindings | None = None, computer_name: str = "HV-HOST01"
    ) -> None:
        # Over HTTPS: tls-server-end-point bindings of our certificate, so a login relayed
        # through another TLS endpoint fails (clients that send all-zero bindings pass).
        self.channel_bindings = channel_bindings
        self.computer_name = computer_name
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
            ntlm = EmulatedHostNtlm(self.computer_name, self.channel_bindings)
            if token.startswith(_NTLM_SIGNATURE):  # raw NTLM (pywinrm, go-ntlmssp, curl)
                self.context = ntlm
            else:  # SPNEGO-wrapped NTLM (.NET, Windows clients): the same acceptor inside
                ntlm._is_wrapped = True
                self.context = NegotiateProxy(
                    usage="accept",
                    channel_bindings=self.channel_bindings,
                    _negotiate_contexts={GSSMech.ntlm: ntlm},
                )
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
