"""WinRS shell limits as Windows enforces them: the idle timeout a client asks for in Create
(default: the host's two hours), MaxShellsPerUser and MaxConcurrentOperationsPerUser.

Idle shells are made to expire by asking for a short IdleTimeOut (the host honours it down
to one second), so nothing here sleeps long or measures time: tests wait until the server's
counters show the shell gone, then look at what a client gets.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator

import pytest
from winrm.exceptions import WSManFaultError
from winrm.protocol import Protocol

from hypervsim.wire.server import ServerConfig, WinRmServer
from hypervsim.world.model import World
from tests.conftest import Emulator, EmulatorFactory
from tests.hypervsim.wire.wsman_client import NS, envelope, fault_info, send, transport

INVALID_SELECTORS = 2150858843
MAX_SHELLS = 2150859173
MAX_OPERATIONS = 2150859174
SCHEMA_VALIDATION = 2150858817
CREATE = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create"
WAIT_LIMIT_S = 30.0


def protocol(emu: Emulator) -> Protocol:
    return Protocol(emu.endpoint, transport="ntlm", username=emu.user, password=emu.password)


def wait_until(condition: Callable[[], bool]) -> None:
    """Poll `condition` (a generous limit: this is no timing assertion)."""
    deadline = time.monotonic() + WAIT_LIMIT_S
    while not condition():
        assert time.monotonic() < deadline, "the condition never came true"
        time.sleep(0.1)


def create_shell(emu: Emulator, idle: str | None) -> tuple[int, ET.Element]:
    """Create a cmd shell with `rsp:IdleTimeOut` = `idle`; (HTTP status, reply root)."""
    idle_el = f"<rsp:IdleTimeOut>{idle}</rsp:IdleTimeOut>" if idle is not None else ""
    body = (
        "<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams>"
        f"<rsp:OutputStreams>stdout stderr</rsp:OutputStreams>{idle_el}</rsp:Shell>"
    )
    status, reply = send(transport(emu), envelope(CREATE, body))
    return status, ET.fromstring(reply)


def granted_idle(reply: ET.Element) -> str:
    value = reply.findtext(".//rsp:Shell/rsp:IdleTimeOut", namespaces=NS)
    assert value is not None
    return value


def test_a_shell_gets_the_hosts_two_hours_unless_the_client_asks_for_less(
    emulator: Emulator,
) -> None:
    p = protocol(emulator)
    for asked, granted in ((None, "PT7200.000S"), ("PT300S", "PT300.000S"), ("P1D", "PT7200.000S")):
        status, reply = create_shell(emulator, asked)
        assert status == 200
        assert granted_idle(reply) == granted, asked
        shell_id = reply.findtext(".//rsp:Shell/rsp:ShellId", namespaces=NS)
        assert shell_id
        p.close_shell(shell_id)


def test_an_idle_timeout_in_milliseconds_is_a_schema_validation_fault(emulator: Emulator) -> None:
    # What pywinrm sends for open_shell(idle_timeout=3600000): Windows wants an xs:duration.
    status, reply = create_shell(emulator, "3600000")
    assert status == 500
    assert fault_info(ET.tostring(reply)) == ("w:SchemaValidationError", str(SCHEMA_VALIDATION))
    text = reply.findtext(".//f:Message", namespaces=NS)
    assert text is not None and "does not match the corresponding XML schema" in text


def test_an_idle_shell_expires_and_its_id_is_then_unknown(
    emulator_factory: EmulatorFactory,
) -> None:
    emu = emulator_factory()
    p = protocol(emu)
    shell_id = p.open_shell(idle_timeout="PT1S")
    command_id = p.run_command(shell_id, "powershell", ["-NoProfile", "-Command", "-"])
    assert emu.counters()["shells_open"] == 1
    wait_until(lambda: emu.counters()["shells_open"] == 0)  # nobody used it: gone
    with pytest.raises(WSManFaultError) as info:
        p.send_command_input(shell_id, command_id, b"Write-Output 1\r\n")
    assert info.value.wsman_fault_code == INVALID_SELECTORS
    assert f"ShellId {shell_id} failed because the shell was not found" in info.value.response


def test_a_shell_in_use_does_not_expire_while_a_receive_waits(
    emulator_factory: EmulatorFactory,
) -> None:
    emu = emulator_factory()
    p = protocol(emu)
    shell_id = p.open_shell(idle_timeout="PT1S")
    try:
        # The script runs three times the idle timeout; the client waits in one Receive.
        command_id = p.run_command(
            shell_id, "powershell", ["-NoProfile", "-Command", "Start-Sleep -Seconds 3; 'done'"]
        )
        out, _err, code = p.get_command_output(shell_id, command_id)
        assert (out, code) == (b"done\r\n", 0)
        assert emu.counters()["shells_open"] == 1
    finally:
        p.close_shell(shell_id)


def test_expired_shells_no_longer_count_toward_max_shells_per_user(
    emulator_factory: EmulatorFactory,
) -> None:
    emu = emulator_factory()
    p = protocol(emu)
    for _ in range(30):
        p.open_shell(idle_timeout="PT1S")  # as a killed client leaves them
    with pytest.raises(WSManFaultError) as info:
        p.open_shell()
    assert info.value.wsman_fault_code == MAX_SHELLS
    assert "maximum number of 30 concurrent shells" in info.value.reason
    wait_until(lambda: emu.counters()["shells_open"] == 0)
    p.close_shell(p.open_shell())


@pytest.fixture
def small_quota_server() -> Iterator[WinRmServer]:
    """An in-process host whose MaxConcurrentOperationsPerUser is 3."""
    server = WinRmServer(
        World.create(),
        ServerConfig(user="lab-admin", password="Pw-quota-1", max_operations_per_user=3),
    )
    server.start()
    yield server
    server.stop()


def test_shells_and_their_commands_count_toward_max_concurrent_operations(
    small_quota_server: WinRmServer,
) -> None:
    p = Protocol(
        small_quota_server.url, transport="ntlm", username="lab-admin", password="Pw-quota-1"
    )
    shell_id = p.open_shell()  # one operation
    first = p.run_command(shell_id, "powershell", ["-NoProfile", "-Command", "-"])  # two
    p.open_shell()  # three
    with pytest.raises(WSManFaultError) as info:
        p.run_command(shell_id, "powershell", ["-NoProfile", "-Command", "-"])
    assert info.value.wsman_fault_code == MAX_OPERATIONS
    assert "maximum number of 3 concurrent operations, which has been exceeded" in (
        info.value.reason
    )
    with pytest.raises(WSManFaultError) as info:
        p.open_shell()
    assert info.value.wsman_fault_code == MAX_OPERATIONS
    p.cleanup_command(shell_id, first)  # a terminated command is no longer an operation
    p.run_command(shell_id, "powershell", ["-NoProfile", "-Command", "-"])


def test_without_an_idle_timeout_a_shell_lives_two_idle_hours(
    emulator_factory: EmulatorFactory,
) -> None:
    emu = emulator_factory()
    p = protocol(emu)
    shell_id = p.open_shell()
    assert emu.advance_shell_clock(7200 - 60) == 0  # the host's clock, not a wait
    p.close_shell(p.open_shell())  # another shell's use does not keep this one alive
    assert emu.advance_shell_clock(60) == 1
    with pytest.raises(WSManFaultError) as info:
        p.run_command(shell_id, "cmd", ["/c", "echo", "x"])
    assert info.value.wsman_fault_code == INVALID_SELECTORS
