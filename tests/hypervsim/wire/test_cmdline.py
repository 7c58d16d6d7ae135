"""Command-line interpretation (powershell.exe options, cmd.exe operators) and CLIXML text."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

import pytest

from hypervsim.wire.clixml import to_clixml
from hypervsim.wire.cmdline import (
    CommandLineError,
    PowerShellMode,
    expand_variables,
    parse_powershell_args,
    split_argv,
    split_cmd_line,
)


def encoded(script: str) -> str:
    return base64.b64encode(script.encode("utf-16-le")).decode()


@pytest.mark.parametrize(
    "args",
    [
        ["-EncodedCommand", encoded("Get-VM")],
        ["-enc", encoded("Get-VM")],
        ["-e", encoded("Get-VM")],
        [
            "-NoProfile",
            "-NonInteractive",
            "-ExecutionPolicy",
            "Bypass",
            "-encodedcommand",
            encoded("Get-VM"),
        ],
        ["-OutputFormat", "Text", "-InputFormat", "Text", "-EC", encoded("Get-VM")],
    ],
)
def test_encoded_command_variants(args: list[str]) -> None:
    inv = parse_powershell_args(args)
    assert (inv.mode, inv.script) == (PowerShellMode.ENCODED, "Get-VM")


@pytest.mark.parametrize(
    "args",
    [
        ["-Command", "-"],
        ["-c", "-"],
        ["-File", "-"],
        ["-"],
        [],
        ["-NoLogo", "-NoProfile", "-NonInteractive", "-Command", "-"],
    ],
)
def test_stdin_mode_variants(args: list[str]) -> None:
    assert parse_powershell_args(args).mode is PowerShellMode.STDIN


def test_command_text_and_positional_text() -> None:
    assert (
        parse_powershell_args(["-Command", "Write-Output", "'a b'"]).script == "Write-Output 'a b'"
    )
    assert (
        parse_powershell_args(["Write-Host", "hi;", "exit", "3"]).script == "Write-Host hi; exit 3"
    )


def test_missing_encoded_argument_is_an_error() -> None:
    with pytest.raises(CommandLineError):
        parse_powershell_args(["-EncodedCommand"])


def test_split_argv_windows_rules() -> None:
    assert split_argv(r'a "b c" d\"e "f""g"') == ["a", "b c", 'd"e', 'f"g']


def test_cmd_operators_and_redirections() -> None:
    steps = split_cmd_line("echo out && echo err>&2 || exit 1 & echo x 2>&1 >nul")
    assert [(s.joiner, s.text, s.stdout_to, s.stderr_to) for s in steps] == [
        ("", "echo out ", "stdout", "stderr"),
        ("&&", "echo err ", "stderr", "stderr"),
        ("||", "exit 1 ", "stdout", "stderr"),
        ("&", "echo x  ", "null", "stdout"),
    ]


def test_quoted_operators_stay_text() -> None:
    assert [s.text for s in split_cmd_line('echo "a && b"')] == ['echo "a && b"']


def test_variable_expansion() -> None:
    assert expand_variables("echo %Lab% %missing%", {"LAB": "x"}) == "echo x %missing%"


def test_clixml_as_powershell_writes_it() -> None:
    text = to_clixml([("error", "Boom <1>\r\n+ CategoryInfo : NotSpecified")])
    assert text.startswith('#< CLIXML\r\n<Objs Version="1.1.0.1"')
    root = ET.fromstring(text.split("\r\n", 1)[1])
    lines = [s.text for s in root]
    assert lines == ["Boom <1>_x000D__x000A_", "+ CategoryInfo : NotSpecified_x000D__x000A_"]
    assert all(s.get("S") == "Error" for s in root)
    assert to_clixml([]) == ""
