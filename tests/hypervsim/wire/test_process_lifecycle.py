"""WinRS process lifecycle: the modelled PowerShell start cost (`--ps-start-ms`), Signal
terminate of a running long-lived `powershell -Command -`, and the `slow-receive` fault.

Nothing here measures wall time: costs and delays are checked through the server's counters
and through the order in which things are observed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from winrm.exceptions import WSManFaultError
from winrm.protocol import Protocol

from hypervsim.wire.faults import FaultInjector, FaultSpec
from hypervsim.wire.processes import Sleeper, default_session_factory
from hypervsim.wire.server import ServerConfig, WinRmServer
from hypervsim.world.model import Computer, World
from tests.conftest import Emulator, EmulatorFactory

INVALID_SELECTORS = 2150858843
STDIN_POWERSHELL = ("powershell", ["-NoLogo", "-NoProfile", "-NonInteractive", "-Command", "-"])


def protocol(emu: Emulator) -> Protocol:
    return Protocol(emu.endpoint, transport="ntlm", username=emu.user, password=emu.password)


def send_line(p: Protocol, shell_id: str, command_id: str, line: str) -> bytes:
    """Send one stdin line and return the output it produced (the process keeps running)."""
    p.send_command_input(shell_id, command_id, (line + "\r\n").encode())
    out, _err, _rc, done = p._raw_get_command_output(shell_id, command_id)
    assert not done
    return bytes(out)


# --- --ps-start-ms -------------------------------------------------------------------------


def test_start_cost_is_paid_per_process_not_per_stdin_line(
    emulator_factory: EmulatorFactory,
) -> None:
    emu = emulator_factory(ps_start_ms=40)
    p = protocol(emu)
    shell_id = p.open_shell()
    try:
        command_id = p.run_command(shell_id, *STDIN_POWERSHELL)
        for n in range(5):
            assert send_line(p, shell_id, command_id, f"Write-Output {n}") == f"{n}\r\n".encode()
        p.send_command_input(shell_id, command_id, b"", end=True)
        p.get_command_output(shell_id, command_id)
    finally:
        p.close_shell(shell_id)
    after_long_lived = emu.counters()
    assert after_long_lived["lines_run"] == 5
    assert after_long_lived["powershell_starts"] == 1
    assert after_long_lived["powershell_start_ms"] == 40  # one start, however many lines

    session = emu.session("ntlm")
    for _ in range(3):  # -EncodedCommand: a new powershell.exe each time
        assert session.run_ps("Write-Output x").status_code == 0
    assert session.run_cmd("powershell -NoProfile -Command Write-Output nested").std_out == (
        b"nested\r\n"
    )  # powershell started by cmd.exe pays it too
    assert session.run_cmd("echo", ["no powershell here"]).status_code == 0
    counters = emu.counters()
    assert counters["powershell_starts"] == 1 + 3 + 1
    assert counters["powershell_start_ms"] == 40 * (1 + 3 + 1)


@dataclass
class RecordingFactory:
    """Session factory that notes, for every line run, how much start cost had been paid."""

    counters: Any = None
    seen: list[tuple[str, int, int]] = field(default_factory=list)

    def __call__(self, world: World, computer: Computer, sleep: Sleeper) -> Any:
        real = default_session_factory(world, computer, sleep)
        outer = self

        class Recording:
            def run(self, script: str) -> Any:
                outer.seen.append(
                    (
                        script,
                        outer.counters["powershell_starts"],
                        outer.counters["powershell_start_ms"],
                    )
                )
                return real.run(script)

        return Recording()


@pytest.fixture
def recording_server() -> Iterator[tuple[WinRmServer, RecordingFactory]]:
    factory = RecordingFactory()
    server = WinRmServer(
        World.create(),
        ServerConfig(user="lab-admin", password="Pw-recording-1", ps_start_ms=25),
        session_factory=factory,
    )
    factory.counters = server.counters
    server.start()
    yield server, factory
    server.stop()


def test_start_cost_is_paid_before_the_first_line_runs(
    recording_server: tuple[WinRmServer, RecordingFactory],
) -> None:
    server, factory = recording_server
    p = Protocol(server.url, transport="ntlm", username="lab-admin", password="Pw-recording-1")
    shell_id = p.open_shell()
    try:
        command_id = p.run_command(shell_id, *STDIN_POWERSHELL)
        for line in ("$a = 1; $a", "$a + 1", "Write-Output done"):
            send_line(p, shell_id, command_id, line)
        p.send_command_input(shell_id, command_id, b"", end=True)
        p.get_command_output(shell_id, command_id)
        second = p.run_command(shell_id, "powershell", ["-Command", "Write-Output again"])
        p.get_command_output(shell_id, second)
    finally:
        p.close_shell(shell_id)
    # Every line of the first process saw exactly one start paid, already before line one;
    # the second process had paid its own start before its only line.
    assert factory.seen == [
        ("$a = 1; $a", 1, 25),
        ("$a + 1", 1, 25),
        ("Write-Output done", 1, 25),
        ("Write-Output again", 2, 50),
    ]


# --- Signal terminate --------------------------------------------------------------------


def test_signal_terminate_ends_an_idle_long_lived_powershell(
    emulator_factory: EmulatorFactory,
) -> None:
    emu = emulator_factory()
    p = protocol(emu)
    shell_id = p.open_shell()
    try:
        command_id = p.run_command(shell_id, *STDIN_POWERSHELL)
        assert send_line(p, shell_id, command_id, "Write-Output alive") == b"alive\r\n"
        assert emu.counters()["processes_running"] == 1
        p.cleanup_command(shell_id, command_id)  # rsp:Signal .../signal/terminate
        assert emu.counters()["processes_running"] == 0  # answered only once it is gone
        with pytest.raises(WSManFaultError) as info:
            p.send_command_input(shell_id, command_id, b"Write-Output zombie\r\n")
        assert info.value.wsman_fault_code == INVALID_SELECTORS
        with pytest.raises(WSManFaultError) as info:
            p.get_command_output(shell_id, command_id)
        assert info.value.wsman_fault_code == INVALID_SELECTORS
        # the shell itself lives on
        again = p.run_command(shell_id, "echo", ["still here"])
        assert p.get_command_output(shell_id, again) == (b"still here\r\n", b"", 0)
    finally:
        p.close_shell(shell_id)


def test_signal_terminate_interrupts_a_sleeping_line_and_nothing_after_it_runs(
    emulator_factory: EmulatorFactory,
) -> None:
    emu = emulator_factory()
    p = protocol(emu)
    shell_id = p.open_shell()
    try:
        command_id = p.run_command(shell_id, *STDIN_POWERSHELL)
        assert (
            send_line(
                p,
                shell_id,
                command_id,
                "New-VMSwitch -Name Before -SwitchType Private | Out-Null; 'ok'",
            )
            == b"ok\r\n"
        )
        p.send_command_input(
            shell_id,
            command_id,
            b"Start-Sleep -Seconds 600; New-VMSwitch -Name After -SwitchType Private\r\n"
            b"New-VMSwitch -Name Later -SwitchType Private\r\n",
        )
        p.cleanup_command(shell_id, command_id)
        assert emu.counters()["processes_running"] == 0  # the 600 s sleep did not hold it
    finally:
        p.close_shell(shell_id)
    names = emu.session("ntlm").run_ps("(Get-VMSwitch).Name -join ','").std_out.strip()
    assert names == b"External,Before"
    assert World.load(emu.state_path).root.switch_by_name("After") is None


def test_deleting_the_shell_terminates_its_processes(emulator_factory: EmulatorFactory) -> None:
    emu = emulator_factory()
    p = protocol(emu)
    shell_id = p.open_shell()
    command_id = p.run_command(shell_id, *STDIN_POWERSHELL)
    send_line(p, shell_id, command_id, "Write-Output up")
    p.close_shell(shell_id)
    with pytest.raises(WSManFaultError) as info:
        p.send_command_input(shell_id, command_id, b"Write-Output gone\r\n")
    assert info.value.wsman_fault_code == INVALID_SELECTORS
    assert emu.counters()["shells_open"] == 0


# --- slow-receive ------------------------------------------------------------------------


def test_slow_receive_delays_every_receive_reply_and_changes_nothing_else(
    emulator_factory: EmulatorFactory,
) -> None:
    emu = emulator_factory(faults=("slow-receive:30",))
    session = emu.session("ntlm")
    result = session.run_ps('1..3 | ForEach-Object { "line $PSItem" }')
    assert (result.status_code, result.std_out) == (0, b"line 1\r\nline 2\r\nline 3\r\n")
    assert session.run_cmd("echo", ["plain"]).std_out == b"plain\r\n"
    counters = emu.counters()
    assert counters["receives"] >= 2
    assert counters["slow_receives"] == counters["receives"]  # each Receive, nothing else
    assert counters["slow_receive_ms"] == 30 * counters["receives"]
    assert counters["faults"] == 0  # slow is not broken


def test_without_the_fault_receives_are_not_slowed(emulator: Emulator) -> None:
    emulator.session("ntlm").run_cmd("echo", ["x"])
    counters = emulator.counters()
    assert counters["receives"] >= 1 and counters["slow_receives"] == 0


def test_slow_receive_specs_add_up() -> None:
    injector = FaultInjector(
        [FaultSpec.parse("slow-receive:20"), FaultSpec.parse("slow-receive:5")], 0
    )
    assert injector.slow_receive_seconds == pytest.approx(0.025)
