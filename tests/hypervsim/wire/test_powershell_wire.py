"""PowerShell over the wire: run_ps, CLIXML errors, long-lived `powershell -Command -`,
and persistence across SIGKILL. These run the real interpreter and the real world."""

from __future__ import annotations

from winrm.protocol import Protocol

from hypervsim.world.model import World
from tests.conftest import Emulator, EmulatorFactory


def protocol(emu: Emulator) -> Protocol:
    return Protocol(emu.endpoint, transport="ntlm", username=emu.user, password=emu.password)


def test_run_ps_write_output(emulator: Emulator) -> None:
    before = emulator.counters()["powershell_starts"]
    result = emulator.session("ntlm").run_ps("Write-Output hi")
    assert (result.status_code, result.std_out, result.std_err) == (0, b"hi\r\n", b"")
    assert emulator.counters()["powershell_starts"] == before + 1


def test_run_ps_error_is_clixml_that_pywinrm_decodes(emulator: Emulator) -> None:
    result = emulator.session("ntlm").run_ps("Write-Error 'the lab is on fire'")
    assert result.status_code == 1
    assert b"the lab is on fire" in result.std_err
    assert b"#< CLIXML" not in result.std_err  # pywinrm understood our CLIXML


def test_run_ps_raw_stderr_is_clixml(emulator: Emulator) -> None:
    p = protocol(emulator)
    shell_id = p.open_shell()
    try:
        import base64

        script = base64.b64encode("Write-Error 'raw'".encode("utf-16-le")).decode()
        command_id = p.run_command(shell_id, f"powershell -encodedcommand {script}")
        _, err, rc = p.get_command_output(shell_id, command_id)
    finally:
        p.close_shell(shell_id)
    assert rc == 1
    assert err.startswith(b'#< CLIXML\r\n<Objs Version="1.1.0.1"')
    assert b'<S S="Error">' in err and b"_x000D__x000A_" in err


def test_long_lived_powershell_runs_each_stdin_line_as_it_arrives(
    emulator_factory: EmulatorFactory,
) -> None:
    emu = emulator_factory()
    p = protocol(emu)
    shell_id = p.open_shell(codepage=65001)
    try:
        command_id = p.run_command(
            shell_id, "powershell", ["-NoLogo", "-NoProfile", "-NonInteractive", "-Command", "-"]
        )
        outputs = []
        for n in ("one", "two", "three"):
            p.send_command_input(shell_id, command_id, f"$v = '{n}'; Write-Output $v\r\n".encode())
            out, _err, _rc, done = p._raw_get_command_output(shell_id, command_id)
            assert not done  # still running: the process waits for more stdin
            outputs.append(out)
        assert outputs == [b"one\r\n", b"two\r\n", b"three\r\n"]
        p.send_command_input(shell_id, command_id, b"Write-Output $v\r\n", end=True)
        out, _err, rc = p.get_command_output(shell_id, command_id)
        assert (out, rc) == (b"three\r\n", 0)  # same session: globals survive across lines
    finally:
        p.close_shell(shell_id)
    counters = emu.counters()
    assert counters["powershell_starts"] == 1
    assert counters["commands"] == 1
    assert counters["lines_run"] == 4


def test_sigkill_and_restart_keeps_completed_commands(emulator_factory: EmulatorFactory) -> None:
    emu = emulator_factory()
    result = emu.session("ntlm").run_ps("New-VMSwitch -Name LabNat -SwitchType Internal | Out-Null")
    assert result.status_code == 0, result.std_err
    emu.kill()
    saved = World.load(emu.state_path)
    assert "LabNat" in [s.name for s in saved.root.switches]
    emu.start()
    again = emu.session("ntlm").run_ps("(Get-VMSwitch -Name LabNat).Name")
    assert again.std_out.strip() == b"LabNat"
