"""`--fault` injection, as seen by a real client."""

from __future__ import annotations

import pytest
import requests
from winrm.exceptions import WinRMTransportError

from hypervsim.wire.faults import FaultInjector, FaultKind, FaultSpec, RequestFate
from tests.conftest import EmulatorFactory


def test_fault_spec_parsing() -> None:
    assert FaultSpec.parse("drop-after:3") == FaultSpec(FaultKind.DROP_AFTER, 3.0)
    assert FaultSpec.parse("http500:0.25").kind is FaultKind.HTTP500
    with pytest.raises(ValueError):
        FaultSpec.parse("explode:1")
    with pytest.raises(ValueError):
        FaultSpec.parse("http500:2")
    assert FaultSpec.parse("drop-reply:0.5") == FaultSpec(FaultKind.DROP_REPLY, 0.5)
    with pytest.raises(ValueError):
        FaultSpec.parse("drop-reply:1.5")


def test_http500_is_deterministic_under_seed() -> None:
    def fates(seed: int) -> list[RequestFate]:
        injector = FaultInjector([FaultSpec.parse("http500:0.5")], seed)
        return [injector.next_request().fate for _ in range(40)]

    assert fates(7) == fates(7)
    assert fates(7) != fates(8)
    assert RequestFate.HTTP500 in fates(7) and RequestFate.SERVE in fates(7)


def test_drop_after_closes_the_connection(emulator_factory: EmulatorFactory) -> None:
    emu = emulator_factory(faults=("drop-after:4",))
    session = emu.session("ntlm")
    # login (2) + empty setup POST... the 5th request and later are dropped
    with pytest.raises((requests.exceptions.ConnectionError, WinRMTransportError)):
        session.run_cmd("echo", ["x"])
    assert emu.counters()["faults"] >= 1


def test_http500_always(emulator_factory: EmulatorFactory) -> None:
    emu = emulator_factory(faults=("http500:1",))
    with pytest.raises(WinRMTransportError) as info:
        emu.session("ntlm").run_cmd("echo", ["x"])
    assert info.value.code == 500
    assert emu.counters()["commands"] == 0


def test_reboot_host_after_drops_open_shells(emulator_factory: EmulatorFactory) -> None:
    from winrm.exceptions import WSManFaultError
    from winrm.protocol import Protocol

    emu = emulator_factory(faults=("reboot-host-after:4",))
    p = Protocol(emu.endpoint, transport="ntlm", username=emu.user, password=emu.password)
    shell_id = p.open_shell()  # requests 1-4: 401, 401, auth+empty, Create
    with pytest.raises(WSManFaultError) as info:
        p.run_command(shell_id, "echo", ["x"])  # request 5: the host rebooted before it
    assert info.value.wsman_fault_code == 2150858843
    assert emu.counters()["shells_open"] == 0
    p.close_shell(p.open_shell())  # the host is back and serves new shells


def test_drop_reply_carries_out_the_request_but_loses_the_answer(
    emulator_factory: EmulatorFactory,
) -> None:
    from winrm.protocol import Protocol

    emu = emulator_factory(faults=("drop-reply:1",))
    p = Protocol(emu.endpoint, transport="ntlm", username=emu.user, password=emu.password)
    with pytest.raises(requests.exceptions.ConnectionError):
        p.open_shell()  # the login is answered; the Create runs but its reply never comes
    counters = emu.counters()
    assert counters["shells_opened"] == 1 and counters["faults"] == 1


def test_http500_on_a_logged_in_connection_keeps_its_login_and_sealing(
    emulator_factory: EmulatorFactory,
) -> None:
    from winrm.protocol import Protocol

    # seed 19: requests 1-4 (login, Create) are served, the 5th gets a 500, the 6th is served.
    emu = emulator_factory(faults=("http500:0.5",), seed=19)
    p = Protocol(emu.endpoint, transport="ntlm", username=emu.user, password=emu.password)
    shell_id = p.open_shell()
    with pytest.raises(WinRMTransportError) as info:
        p.run_command(shell_id, "echo", ["x"])
    assert info.value.code == 500
    # Same connection, no new login: the host stayed in step with the sealed sequence.
    command_id = p.run_command(shell_id, "echo", ["x"])
    assert command_id
    counters = emu.counters()
    assert (counters["logins"], counters["faults"], counters["commands"]) == (1, 1, 1)


def test_cut_reply_carries_out_the_request_and_cuts_its_answer_halfway(
    emulator_factory: EmulatorFactory,
) -> None:
    from winrm.protocol import Protocol

    assert FaultSpec.parse("cut-reply:0.5") == FaultSpec(FaultKind.CUT_REPLY, 0.5)
    emu = emulator_factory(faults=("cut-reply:1",))
    p = Protocol(emu.endpoint, transport="ntlm", username=emu.user, password=emu.password)
    # The headers announce the whole body; half of it arrives, then the connection closes.
    with pytest.raises(requests.exceptions.ChunkedEncodingError, match="IncompleteRead"):
        p.open_shell()
    counters = emu.counters()
    assert counters["shells_opened"] == 1 and counters["faults"] == 1
