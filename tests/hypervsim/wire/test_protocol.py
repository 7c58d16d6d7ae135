"""WS-Management behaviour: faults, quotas, size limits, code pages, streaming, concurrency."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET

import pytest
from winrm.exceptions import WSManFaultError
from winrm.protocol import Protocol

from tests.conftest import Emulator, EmulatorFactory
from tests.hypervsim.wire.wsman_client import NS, envelope, fault_info, send, transport

RECEIVE = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive"
DELETE = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete"


def protocol(emu: Emulator) -> Protocol:
    return Protocol(emu.endpoint, transport="ntlm", username=emu.user, password=emu.password)


def test_unknown_shell_id_is_invalid_selectors(emulator: Emulator) -> None:
    p = protocol(emulator)
    with pytest.raises(WSManFaultError) as info:
        p.run_command("7B5C3A1E-0000-4000-8000-000000000000", "cmd", ["/c", "echo", "x"])
    assert info.value.code == 500
    assert info.value.wsman_fault_code == 2150858843
    assert (
        info.value.wsmanfault_code == 2150858843 if hasattr(info.value, "wsmanfault_code") else True
    )


def test_unknown_command_id_on_receive(emulator: Emulator) -> None:
    p = protocol(emulator)
    shell_id = p.open_shell()
    try:
        with pytest.raises(WSManFaultError) as info:
            p.get_command_output(shell_id, "11111111-2222-4333-8444-555555555555")
        assert info.value.wsman_fault_code == 2150858843
    finally:
        p.close_shell(shell_id)


def test_delete_unknown_shell_fault_is_sealed_and_parsed(emulator: Emulator) -> None:
    t = transport(emulator)
    status, reply = send(t, envelope(DELETE, "", shell_id="00000000-0000-4000-8000-000000000000"))
    assert status == 500
    assert fault_info(reply) == ("w:InvalidSelectors", "2150858843")


def test_31st_shell_is_max_shells_fault(emulator_factory: EmulatorFactory) -> None:
    emu = emulator_factory()
    p = protocol(emu)
    shells = [p.open_shell() for _ in range(30)]
    assert emu.counters()["shells_open"] == 30
    with pytest.raises(WSManFaultError) as info:
        p.open_shell()
    assert info.value.wsman_fault_code == 2150859173
    for shell_id in shells:
        p.close_shell(shell_id)
    assert emu.counters()["shells_open"] == 0
    p.close_shell(p.open_shell())  # quota freed


def test_oversize_envelope_is_413(emulator: Emulator) -> None:
    t = transport(emulator)
    padding = "x" * (501 * 1024)
    status, _ = send(t, envelope(RECEIVE, f"<rsp:Receive>{padding}</rsp:Receive>"))
    assert status == 413


def test_malformed_xml_is_soap_fault(emulator: Emulator) -> None:
    t = transport(emulator)
    status, reply = send(
        t, b"<s:Envelope xmlns:s='http://www.w3.org/2003/05/soap-envelope'><s:Header>"
    )
    assert status == 500
    root = ET.fromstring(reply)
    assert root.find(".//s:Fault", NS) is not None
    assert fault_info(reply)[0] == "w:InternalError"


def test_receive_without_command_id_is_invalid_parameter(emulator: Emulator) -> None:
    p = protocol(emulator)
    shell_id = p.open_shell()
    try:
        body = "<rsp:Receive><rsp:DesiredStream>stdout stderr</rsp:DesiredStream></rsp:Receive>"
        status, reply = send(transport(emulator), envelope(RECEIVE, body, shell_id=shell_id))
        assert status == 500
        assert fault_info(reply) == ("w:InvalidParameter", "87")
    finally:
        p.close_shell(shell_id)


@pytest.mark.parametrize(
    ("codepage", "expected"),
    [(437, "h\u00e9llo ?\r\n".encode("cp437")), (65001, "h\u00e9llo \u2713\r\n".encode())],
)
def test_output_is_encoded_in_the_shell_code_page(
    emulator: Emulator, codepage: int, expected: bytes
) -> None:
    p = protocol(emulator)
    shell_id = p.open_shell(codepage=codepage)
    try:
        command_id = p.run_command(shell_id, "echo h\u00e9llo \u2713")
        out, err, rc = p.get_command_output(shell_id, command_id)
        p.cleanup_command(shell_id, command_id)
    finally:
        p.close_shell(shell_id)
    assert (out, err, rc) == (expected, b"", 0)


def test_cmd_environment_and_errorlevel(emulator: Emulator) -> None:
    p = protocol(emulator)
    shell_id = p.open_shell(env_vars={"LAB_NAME": "nested"})
    try:
        command_id = p.run_command(shell_id, "echo %LAB_NAME% & nosuchtool || exit /b 7")
        out, err, rc = p.get_command_output(shell_id, command_id)
    finally:
        p.close_shell(shell_id)
    assert out == b"nested \r\n"
    assert b"'nosuchtool' is not recognized" in err
    assert rc == 7


def test_receive_times_out_with_wsman_fault_then_completes(emulator: Emulator) -> None:
    """A command with nothing to say yet answers Receive with w:TimedOut after OperationTimeout."""
    p = protocol(emulator)
    shell_id = p.open_shell()
    try:
        command_id = p.run_command(shell_id, "powershell", ["-Command", "-"])
        receive = (
            f'<rsp:Receive><rsp:DesiredStream CommandId="{command_id}">'
            "stdout stderr</rsp:DesiredStream></rsp:Receive>"
        )
        status, reply = send(
            transport(emulator), envelope(RECEIVE, receive, shell_id=shell_id, timeout="PT0.2S")
        )
        assert status == 500
        assert fault_info(reply) == ("w:TimedOut", "2150858793")
        p.send_command_input(shell_id, command_id, b"", end=True)
        out, _err, rc = p.get_command_output(shell_id, command_id)
        assert (out, rc) == (b"", 0)
    finally:
        p.close_shell(shell_id)


def test_concurrent_sessions(emulator: Emulator) -> None:
    errors: list[BaseException] = []
    outputs: dict[int, bytes] = {}

    def worker(n: int) -> None:
        try:
            session = emulator.session("ntlm")
            for i in range(3):
                r = session.run_cmd(f"echo worker{n}-{i}")
                assert r.status_code == 0
                outputs[n * 10 + i] = r.std_out
        except BaseException as exc:  # collected and re-raised in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert outputs == {
        n * 10 + i: f"worker{n}-{i}\r\n".encode() for n in range(6) for i in range(3)
    }
    assert emulator.counters()["shells_open"] == 0


def test_counters_endpoint_counts_work(emulator_factory: EmulatorFactory) -> None:
    emu = emulator_factory()
    emu.session("ntlm").run_cmd("echo", ["one"])
    counters = emu.counters()
    assert counters["logins"] == 1
    assert counters["shells_opened"] == 1
    assert counters["commands"] == 1
    assert counters["shells_open"] == 0
    assert counters["requests"] >= 6
    assert counters["bytes_in"] > 0 and counters["bytes_out"] > 0


def test_large_output_is_split_across_receives(emulator: Emulator) -> None:
    p = protocol(emulator)
    shell_id = p.open_shell()
    receives_before = emulator.counters()["receives"]
    try:
        line = "y" * 1000
        command_id = p.run_command(shell_id, " & ".join([f"echo {line}"] * 300))
        out, _, rc = p.get_command_output(shell_id, command_id)
    finally:
        p.close_shell(shell_id)
    assert rc == 0
    assert out.count(line.encode()) == 300
    # ~300 KB of output cannot fit one reply within MaxEnvelopeSize (150 KB of base64 text)
    assert emulator.counters()["receives"] - receives_before >= 3
