"""Self-signed CA and server certificate for `--https`, so clients verify TLS (ca.pem)."""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class CertificatePaths:
    ca_cert: Path  # ca.pem: what clients trust
    server_cert: Path  # server chain (leaf + CA)
    server_key: Path


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "hypervsim"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


Validity = tuple[datetime.datetime, datetime.datetime]


def ensure_certificates(
    cert_dir: Path, *, server_validity: Validity | None = None
) -> CertificatePaths:
    """Create the CA and a server cert for 127.0.0.1/localhost in `cert_dir`, or reuse them.

    `server_validity` (not before, not after) lets tests make a certificate that has expired
    or is not yet valid, the way a neglected host's WinRM listener presents one; the server
    reuses whatever it finds in `cert_dir`."""
    cert_dir.mkdir(parents=True, exist_ok=True)
    paths = CertificatePaths(
        cert_dir / "ca.pem", cert_dir / "server.pem", cert_dir / "server-key.pem"
    )
    if paths.ca_cert.exists() and paths.server_cert.exists() and paths.server_key.exists():
        return paths

    now = datetime.datetime.now(datetime.UTC)
    not_before, not_after = server_validity or (
        now - datetime.timedelta(minutes=5),
        now + datetime.timedelta(days=825),
    )
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("hypervsim test CA")
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    _write_private(
        paths.server_key,
        server_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )
    paths.server_cert.write_bytes(server_cert.public_bytes(pem) + ca_cert.public_bytes(pem))
    paths.ca_cert.write_bytes(ca_cert.public_bytes(pem))
    return paths


def server_certificate_der(paths: CertificatePaths) -> bytes:
    """DER of the leaf certificate (the first in the chain file)."""
    leaf = x509.load_pem_x509_certificates(paths.server_cert.read_bytes())[0]
    return leaf.public_bytes(serialization.Encoding.DER)


def server_context(paths: CertificatePaths) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(paths.server_cert), str(paths.server_key))
    return ctx
