"""cmd.exe as WinRS runs it: redirections into the emulated file system, `%TEMP%` and the
other variables, exit codes, and `powershell -File` / `& "x.ps1"` running script files."""

from __future__ import annotations

import winrm

from hypervsim.wire.cmdline import FileTarget, split_cmd_line
from tests.conftest import Emulator


def _temp(emulator: Emulator) -> str:
    return f"C:\\Users\\{emulator.user}\\AppData\\Local\\Temp"


def _run(emulator: Emulator, line: str) -> tuple[int, str, str]:
    result = emulator.session("ntlm").run_cmd(line)
    return result.status_code, result.std_out.decode(), result.std_err.decode()


def test_redirections_are_parsed_outside_quotes_only() -> None:
    (step,) = split_cmd_line('echo a "b > c" >> "C:\\x y\\f.txt"')
    assert step.text == 'echo a "b > c" '
    assert (step.stdout_to, step.stdout_file) == ("file", FileTarget("C:\\x y\\f.txt", True))
    (step,) = split_cmd_line("echo value2>f.txt")  # a digit before > is the handle
    assert (step.text, step.stdout_to, step.stderr_to) == ("echo value", "stdout", "file")
    (step,) = split_cmd_line("echo a ^> b ^& c")
    assert (step.text, step.stdout_to) == ("echo a > b & c", "stdout")
    (step,) = split_cmd_line("cmd /c x >f.log 2>&1")
    assert step.stderr_file == step.stdout_file == FileTarget("f.log", False)


def test_variables_of_the_logged_on_user(emulator: Emulator) -> None:
    assert _run(emulator, "echo %TEMP%|%USERPROFILE%|%SystemRoot%|%ERRORLEVEL%|%NOPE%") == (
        0,
        f"{_temp(emulator)}|C:\\Users\\{emulator.user}|C:\\Windows|0|%NOPE%\r\n",
        "",
    )


def test_echo_appends_and_creates_files(emulator: Emulator) -> None:
    # Spaces before `&` and `>` are part of what echo prints, so none here.
    line = 'echo abc>> "%TEMP%\\up.txt"& echo de "f > g">>"%TEMP%\\up.txt"& type "%TEMP%\\up.txt"'
    assert _run(emulator, line) == (0, 'abc\r\nde "f > g"\r\n', "")
    assert _run(emulator, "echo new> %TEMP%\\up.txt& type %TEMP%\\up.txt") == (0, "new\r\n", "")
    # The space before `>` stays part of what echo prints, as on Windows.
    assert _run(emulator, "echo sp > %TEMP%\\sp.txt&type %TEMP%\\sp.txt") == (0, "sp \r\n", "")


def test_redirect_into_a_missing_folder_fails_before_running(emulator: Emulator) -> None:
    assert _run(emulator, "echo x > C:\\NoSuchDir\\f.txt") == (
        1,
        "",
        "The system cannot find the path specified.\r\n",
    )
    assert _run(emulator, "echo x > C:\\Windows") == (1, "", "Access is denied.\r\n")


def test_type_of_a_missing_file(emulator: Emulator) -> None:
    assert _run(emulator, "type C:\\missing.txt || echo failed") == (
        0,
        "failed\r\n",
        "The system cannot find the file specified.\r\n",
    )


def test_exit_codes_and_errorlevel_joiners(emulator: Emulator) -> None:
    assert _run(emulator, "cmd /c exit 5 || echo after") == (0, "after\r\n", "")
    assert _run(emulator, "cmd /c exit 5 && echo never")[0] == 5


def test_powershell_file_runs_a_script_from_the_file_system(emulator: Emulator) -> None:
    write = 'echo param($Name) "hi $Name $($args.Count)"; exit 4 > %TEMP%\\s.ps1'
    assert _run(emulator, write)[0] == 0
    line = "powershell -NoProfile -ExecutionPolicy Bypass -File %TEMP%\\s.ps1 -Name lab x"
    assert _run(emulator, line) == (4, "hi lab 1\r\n", "")
    assert _run(
        emulator, 'powershell -NoProfile -Command "& \\"%TEMP%\\s.ps1\\" a; $LASTEXITCODE"'
    ) == (
        0,
        "hi a 0\r\n4\r\n",
        "",
    )


def test_powershell_file_that_does_not_exist(emulator: Emulator) -> None:
    assert _run(emulator, "powershell -File C:\\nope.ps1") == (
        -196608,
        "",
        "The argument 'C:\\nope.ps1' to the -File parameter does not exist. Provide the path to"
        " an existing '.ps1' file as an argument to the -File parameter.\r\n",
    )


def test_powershell_sees_the_user_temp_folder(emulator: Emulator) -> None:
    session = winrm.Session(
        emulator.endpoint, auth=(emulator.user, emulator.password), transport="ntlm"
    )
    result = session.run_ps("$env:TEMP; Test-Path -PathType Container $env:TEMP")
    assert result.std_out.decode() == f"{_temp(emulator)}\r\nTrue\r\n"


def test_nested_cmd_output_follows_the_outer_redirection(emulator: Emulator) -> None:
    # Redirections may come first; then nothing follows the inner line's closing quote.
    line = '>%TEMP%\\nest.txt 2>&1 cmd /c "echo inner& echo err>&2"& type %TEMP%\\nest.txt'
    assert _run(emulator, line) == (0, "inner\r\nerr\r\n", "")
    # A task action's form: cmd /C powershell ... *> "file" (cmd sees `*` and `> "file"`).
    # PowerShell gets `... exit 0; *`: it exits before reaching the `*` statement.
    script = 'powershell -NoProfile -Command "\'from ps\'; exit 0;" *> "%TEMP%\\ps out.txt"'
    assert _run(emulator, f'cmd /C {script}& type "%TEMP%\\ps out.txt"') == (
        0,
        "from ps\r\n",
        "",
    )
