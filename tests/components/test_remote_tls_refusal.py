"""What a TLS verification failure tells the user to fix, per OpenSSL's reason (the expired
and not-yet-valid cases also run against the emulator in tests/reliability/test_auth.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.config import HostSettings
from components.remote import Scrubber
from components.remote.session import ShellSession


def refusal(detail: str, ca_bundle: Path | None = None) -> str:
    host = HostSettings(
        name="lab1",
        endpoint="https://lab1.example.test:5986/wsman",
        user="u",
        password="p-123",
        ca_bundle=ca_bundle,
    )
    return ShellSession(host, Scrubber(["p-123"]))._tls_refusal(detail)


@pytest.mark.parametrize(
    ("detail", "says", "points_to_ca"),
    [
        ("certificate verify failed: unable to get local issuer certificate", "not trusted", True),
        (
            "certificate verify failed: self-signed certificate in certificate chain",
            "not trusted",
            True,
        ),
        ("certificate verify failed: certificate has expired", "has expired", False),
        ("certificate verify failed: certificate is not yet valid", "not valid yet", False),
        (
            "certificate verify failed: Hostname mismatch, certificate is not valid for 'lab1'",
            "not issued for that host name",
            False,
        ),
    ],
)
def test_refusal_names_the_real_fix(detail: str, says: str, points_to_ca: bool) -> None:
    message = refusal(detail)
    assert says in message and "https://lab1.example.test:5986/wsman" in message
    assert ("hyperv-lab:hosts.lab1.ca_bundle" in message) is points_to_ca
    assert "p-123" not in message


def test_untrusted_with_a_ca_bundle_set_names_that_file_not_set_it(tmp_path: Path) -> None:
    """The user already set ca_bundle: telling them to set it would send them in circles."""
    other_ca = tmp_path / "other-ca.pem"
    other_ca.write_text("-----BEGIN CERTIFICATE-----\n")
    message = refusal("certificate verify failed: unable to get local issuer certificate", other_ca)
    assert f"is not signed by the CA in hyperv-lab:hosts.lab1.ca_bundle ({other_ca})" in message
    assert "not trusted: set" not in message
