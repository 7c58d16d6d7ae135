"""ca_bundle set to a CA that did not sign the host's certificate, against the emulator's real
TLS listener: the error names that file as the wrong CA instead of asking to set ca_bundle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from components.remote import HostAuthError, RemotePowerShell
from hypervsim.wire.tls import ensure_certificates
from tests.components.test_remote_emulator import ECHO, settings_for


def test_a_ca_bundle_of_another_ca_is_named_as_not_signing_the_host(
    https_emulator: Any, tmp_path: Path
) -> None:
    other_ca = ensure_certificates(tmp_path / "other").ca_cert  # a valid CA, just not this one
    client = RemotePowerShell(settings_for(https_emulator, ca_bundle=other_ca))
    with pytest.raises(HostAuthError) as info:
        client.run(ECHO, {"name": "x", "count": 1}, "echo")
    message = str(info.value)
    assert message == (
        f"[l0] echo: TLS certificate of {https_emulator.endpoint} is not signed by the CA in "
        f"hyperv-lab:hosts.l0.ca_bundle ({other_ca}): point it at the CA bundle that signed "
        "the host's WinRM HTTPS certificate"
    )
    assert https_emulator.password not in message

    # The right CA works (so the refusal above was about the CA and nothing else).
    right = RemotePowerShell(settings_for(https_emulator))
    assert right.run(ECHO, {"name": "x", "count": 1}, "echo") == {"name": "x", "count": 1}
