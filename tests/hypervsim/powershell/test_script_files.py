"""Script files of the emulated file system run by path (`& "C:\\x.ps1"`, `powershell -File`)."""

from __future__ import annotations

from hypervsim.powershell.session import PowerShellSession
from hypervsim.world.model import World


def _session() -> PowerShellSession:
    world = World.create()
    session = PowerShellSession(world, world.root)
    setup = "New-Item -ItemType Directory C:\\s | Out-Null; Set-Content C:\\s\\x.ps1 $args[0]"
    body = 'param($n) "got $n"; exit 7'
    assert session.run(f"& {{ {setup} }} '{body}'").exit_code == 0
    return session


def test_call_operator_runs_the_file_and_exit_sets_lastexitcode() -> None:
    session = _session()
    result = session.run('& "C:\\s\\x.ps1" 5; "after $LASTEXITCODE"')
    assert (result.stdout, result.exit_code) == ("got 5\r\nafter 7\r\n", 0)


def test_a_bare_script_name_is_not_run_from_the_file_system() -> None:
    session = _session()
    session.run("Set-Location C:\\s")
    result = session.run("x.ps1")
    assert result.exit_code == 1
    assert "The term 'x.ps1' is not recognized" in result.records[0].text


def test_missing_script_path_is_command_not_found() -> None:
    result = _session().run("& 'C:\\s\\nope.ps1'")
    assert "CommandNotFoundException" in result.records[0].text


def test_run_file_exit_code_is_the_scripts_exit() -> None:
    session = _session()
    result = session.run_file("C:\\s\\x.ps1", ["-n", "9"])
    assert result is not None
    assert (result.stdout, result.exit_code) == ("got 9\r\n", 7)
    assert session.run_file("C:\\s\\none.ps1", []) is None


def test_output_of_a_function_before_exit_is_kept() -> None:
    result = _session().run("function f { 'in f'; exit 3 }; 'a'; f; 'never'")
    assert (result.stdout, result.exit_code) == ("a\r\nin f\r\n", 3)
