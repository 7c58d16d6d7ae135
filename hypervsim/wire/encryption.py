"""WinRM message encryption over HTTP (MS-WSMV 2.2.9.1.1, HTTP-SPNEGO-session-encrypted).

A sealed body is two MIME-like parts separated by `--Encrypted Boundary`: the first names the
original content type and its length, the second is `<uint32 LE signature length>
<signature><sealed bytes>`. Requests and replies (faults too) use the same framing.
"""

from __future__ import annotations

import re
import struct
from typing import Protocol

BOUNDARY = b"--Encrypted Boundary"
PROTOCOL = "application/HTTP-SPNEGO-session-encrypted"
CONTENT_TYPE = f'multipart/encrypted;protocol="{PROTOCOL}";boundary="Encrypted Boundary"'
_LENGTH = re.compile(rb"Length=(\d+)")
_OCTET_HEADER = b"\tContent-Type: application/octet-stream\r\n"


class EncryptionError(Exception):
    """The sealed body is malformed or its signature does not verify."""


class WinRmWrapping(Protocol):
    """The part of a pyspnego context used for sealing (`wrap_winrm` / `unwrap_winrm`)."""

    def wrap_winrm(self, data: bytes) -> object: ...
    def unwrap_winrm(self, header: bytes, data: bytes) -> bytes: ...


def is_encrypted(content_type: str | None) -> bool:
    return bool(content_type) and "multipart/encrypted" in (content_type or "").lower()


def unseal(context: WinRmWrapping, body: bytes) -> bytes:
    """Plain SOAP bytes of a sealed request body."""
    parts = [p for p in body.split(BOUNDARY + b"\r\n") if p]
    if len(parts) < 2:
        raise EncryptionError("sealed body has no encrypted part")
    header, payload = parts[0], parts[1]
    length_match = _LENGTH.search(header)
    if not length_match:
        raise EncryptionError("sealed body has no OriginalContent length")
    if payload.endswith(BOUNDARY + b"--\r\n"):
        payload = payload[: -len(BOUNDARY + b"--\r\n")]
    if not payload.startswith(_OCTET_HEADER):
        raise EncryptionError("sealed body's second part is not application/octet-stream")
    payload = payload[len(_OCTET_HEADER) :]
    if len(payload) < 4:
        raise EncryptionError("sealed payload is truncated")
    (sig_len,) = struct.unpack("<I", payload[:4])
    signature = payload[4 : 4 + sig_len]
    sealed = payload[4 + sig_len :]
    try:
        plain = context.unwrap_winrm(signature, sealed)
    except Exception as exc:  # pyspnego raises several types for bad seals
        raise EncryptionError(f"cannot unseal request: {exc}") from exc
    if len(plain) != int(length_match.group(1)):
        raise EncryptionError("unsealed length does not match OriginalContent length")
    return plain


def seal(context: WinRmWrapping, plain: bytes) -> bytes:
    """Sealed reply body for plain SOAP bytes (send with CONTENT_TYPE)."""
    wrapped = context.wrap_winrm(plain)
    header: bytes = wrapped.header  # type: ignore[attr-defined]
    data: bytes = wrapped.data  # type: ignore[attr-defined]
    return (
        BOUNDARY
        + b"\r\n\tContent-Type: "
        + PROTOCOL.encode()
        + b"\r\n\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length="
        + str(len(plain)).encode()
        + b"\r\n"
        + BOUNDARY
        + b"\r\n"
        + _OCTET_HEADER
        + struct.pack("<I", len(header))
        + header
        + data
        + BOUNDARY
        + b"--\r\n"
    )
