"""The emulator as real WinRM clients see it: pywinrm and pypsrp over every supported transport."""

from __future__ import annotations

import pytest
import requests
import winrm
from pypsrp.shell import Process, WinRS
from pypsrp.wsman import WSMan
from winrm.exceptions import InvalidCredentialsError

from tests.conftest import Emulator, EmulatorFactory


def test_ntlm_over_http_with_message_encryption(emulator: Emulator) -> None:
    session = emulator.session("ntlm")
    assert session.protocol.transport.message_encryption == "auto"
    result = session.run_cmd("cmd", ["/c", "echo", "x"])
    assert result.status_code == 0
    assert result.std_out == b"x\r\n"
    assert session.protocol.transport.encryption is not None  # bodies really were sealed


def test_ntlm_over_https_verifying_ca_pem(https_emulator: Emulator) -> None:
    assert https_emulator.ca_path is not None and https_emulator.ca_path.exists()
    session = https_emulator.session("ntlm")
    result = session.run_cmd("echo tls && exit /b 3")
    assert (result.status_code, result.std_out) == (3, b"tls \r\n")


def test_https_without_trusting_ca_fails(https_emulator: Emulator) -> None:
    session = winrm.Session(
        https_emulator.endpoint,
        auth=(https_emulator.user, https_emulator.password),
        transport="ntlm",
        server_cert_validation="validate",
        ca_trust_path=requests.certs.where(),
    )
    with pytest.raises(requests.exceptions.SSLError):
        session.run_cmd("echo", ["never"])


def test_basic_over_https(https_emulator: Emulator) -> None:
    result = https_emulator.session("basic").run_cmd("cmd", ["/c", "echo", "basic"])
    assert result.std_out == b"basic\r\n"


def test_basic_over_http_is_refused(emulator: Emulator) -> None:
    before = emulator.counters()
    with pytest.raises(InvalidCredentialsError):
        emulator.session("basic").run_cmd("echo", ["x"])
    after = emulator.counters()
    assert after["commands"] == before["commands"]
    assert after["shells_opened"] == before["shells_opened"]


def test_basic_over_http_with_allow_unencrypted(emulator_factory: EmulatorFactory) -> None:
    emu = emulator_factory(allow_unencrypted=True)
    assert emu.session("basic").run_cmd("echo", ["plain"]).std_out == b"plain\r\n"


@pytest.mark.parametrize("transport", ["ntlm", "basic"])
def test_wrong_password_is_401_and_runs_nothing(https_emulator: Emulator, transport: str) -> None:
    before = https_emulator.counters()
    session = winrm.Session(
        https_emulator.endpoint,
        auth=(https_emulator.user, https_emulator.password + "x"),
        transport=transport,
        server_cert_validation="validate",
        ca_trust_path=str(https_emulator.ca_path),
    )
    with pytest.raises(InvalidCredentialsError):
        session.run_cmd("echo", ["should-not-run"])
    after = https_emulator.counters()
    assert after["commands"] == before["commands"]
    assert after["shells_opened"] == before["shells_opened"]
    assert after["auth_failures"] > before["auth_failures"]


def test_wrong_password_over_http_ntlm(emulator: Emulator) -> None:
    session = winrm.Session(emulator.endpoint, auth=(emulator.user, "nope"), transport="ntlm")
    with pytest.raises(InvalidCredentialsError):
        session.run_cmd("echo", ["x"])


def test_unauthenticated_request_gets_negotiate_challenge(emulator: Emulator) -> None:
    reply = requests.post(emulator.endpoint, data=b"<x/>", timeout=10)
    assert reply.status_code == 401
    assert "Negotiate" in reply.headers["WWW-Authenticate"]
    assert "Basic" not in reply.headers["WWW-Authenticate"]  # not over plain HTTP


def test_pypsrp_winrs_cmd_shell(emulator: Emulator) -> None:
    wsman = WSMan(
        "127.0.0.1",
        port=emulator.port,
        username=emulator.user,
        password=emulator.password,
        ssl=False,
        auth="ntlm",
        encryption="always",
    )
    with wsman, WinRS(wsman) as shell:
        proc = Process(shell, "cmd.exe", ["/c", "echo", "from-pypsrp"])
        proc.invoke()
        assert proc.rc == 0
        assert proc.stdout == b"from-pypsrp\r\n"


def test_pypsrp_over_https_with_ca(https_emulator: Emulator) -> None:
    wsman = WSMan(
        "127.0.0.1",
        port=https_emulator.port,
        username=https_emulator.user,
        password=https_emulator.password,
        ssl=True,
        auth="ntlm",
        cert_validation=str(https_emulator.ca_path),  # type: ignore[arg-type]  # a CA path is accepted
    )
    with wsman, WinRS(wsman) as shell:
        proc = Process(shell, "cmd.exe", ["/c", "echo out && echo err>&2 && exit 5"])
        proc.invoke()
        assert (proc.rc, proc.stdout, proc.stderr) == (5, b"out \r\n", b"err \r\n")
