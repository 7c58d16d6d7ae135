"""NTLM as a workgroup Windows host answers it: its CHALLENGE names the emulated computer,
and a local account logs in as `user`, `.\\user` or `COMPUTER\\user` (never another domain)."""

from __future__ import annotations

import base64
import socket

import pytest
import requests
import spnego
import winrm
from pypsrp.shell import Process, WinRS
from pypsrp.wsman import WSMan
from spnego._ntlm_raw.messages import AvId, Challenge, Negotiate, NegotiateFlags
from spnego._spnego import NegTokenResp, unpack_token
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


def _spnego_challenge(emulator: Emulator, user: str) -> Challenge:
    """First leg of an SPNEGO (Negotiate-wrapped NTLM) login, as .NET and Windows send it."""
    client = spnego.client(user, emulator.password, hostname="127.0.0.1", protocol="negotiate")
    init = base64.b64encode(client.step() or b"").decode()
    reply = requests.post(
        emulator.endpoint,
        headers={"Authorization": f"Negotiate {init}", "Content-Length": "0"},
        timeout=10,
    )
    assert reply.status_code == 401
    token = base64.b64decode(reply.headers["WWW-Authenticate"].partition(" ")[2])
    response = unpack_token(token)
    assert isinstance(response, NegTokenResp) and response.response_token is not None
    return Challenge.unpack(response.response_token)


def test_spnego_wrapped_challenge_names_the_emulated_computer(emulator: Emulator) -> None:
    challenge = _spnego_challenge(emulator, emulator.user)
    assert challenge.target_name == COMPUTER
    assert challenge.target_info is not None
    assert challenge.target_info[AvId.dns_computer_name] == COMPUTER


@pytest.mark.parametrize("login", ["{user}", f"{COMPUTER}\\{{user}}"])
def test_spnego_login_runs_a_command(emulator: Emulator, login: str) -> None:
    wsman = WSMan(
        "127.0.0.1",
        port=emulator.port,
        username=login.format(user=emulator.user),
        password=emulator.password,
        ssl=False,
        auth="negotiate",
        encryption="always",
    )
    with wsman, WinRS(wsman) as shell:
        proc = Process(shell, "cmd.exe", ["/c", "echo", "spnego"])
        proc.invoke()
        assert (proc.rc, proc.stdout) == (0, b"spnego\r\n")
