"""NTLM as a workgroup Windows host answers it: its CHALLENGE names the emulated computer,
and a local account logs in as `user`, `.\\user` or `COMPUTER\\user` (never another domain)."""

from __future__ import annotations

import base64
import socket

import pytest
import requests
import winrm
from spnego._ntlm_raw.messages import AvId, Challenge, Negotiate, NegotiateFlags
from winrm.exceptions import InvalidCredentialsError

from tests.conftest import Emulator

COMPUTER = "HV-HOST01"  # the default host profile's computer name


def _challenge(emulator: Emulator) -> Challenge:
    flags = NegotiateFlags.unicode | NegotiateFlags.ntlm | NegotiateFlags.request_target
    negotiate = base64.b64encode(Negotiate(flags).pack()).decode()
    reply = requests.post(
        emulator.endpoint,
        headers={"Authorization": f"Negotiate {negotiate}", "Content-Length": "0"},
        timeout=10,
    )
    assert reply.status_code == 401
    scheme, _, token = reply.headers["WWW-Authenticate"].partition(" ")
    assert scheme == "Negotiate"
    return Challenge.unpack(base64.b64decode(token))


def test_challenge_names_the_emulated_computer(emulator: Emulator) -> None:
    challenge = _challenge(emulator)
    info = challenge.target_info
    assert info is not None
    assert challenge.target_name == COMPUTER
    assert info[AvId.nb_computer_name] == COMPUTER
    assert info[AvId.nb_domain_name] == COMPUTER  # a workgroup host is its own domain
    assert info[AvId.dns_computer_name] == COMPUTER
    assert info[AvId.dns_domain_name] == COMPUTER
    assert socket.gethostname().upper() != COMPUTER  # the Linux machine is not named


@pytest.mark.parametrize(
    "login", ["{user}", ".\\{user}", f"{COMPUTER}\\{{user}}", "hv-host01\\{user}"]
)
def test_local_account_forms_log_in(emulator: Emulator, login: str) -> None:
    user = login.format(user=emulator.user)
    session = winrm.Session(emulator.endpoint, auth=(user, emulator.password), transport="ntlm")
    result = session.run_cmd("echo", ["in"])
    assert (result.status_code, result.std_out) == (0, b"in\r\n")


def test_another_domain_is_refused(emulator: Emulator) -> None:
    before = emulator.counters()
    session = winrm.Session(
        emulator.endpoint, auth=(f"CONTOSO\\{emulator.user}", emulator.password), transport="ntlm"
    )
    with pytest.raises(InvalidCredentialsError):
        session.run_cmd("echo", ["never"])
    assert emulator.counters()["commands"] == before["commands"]
