"""Language and runtime pieces IaC clients' upload scripts use (the Terraform Hyper-V
provider's among them): a method call as a command argument, $ExecutionContext's
ExpandString, [System.IO.Path] and [System.IO.File] streams on the emulated file system."""

from __future__ import annotations

from hypervsim.powershell.session import PowerShellSession
from hypervsim.world.model import World


def _session() -> PowerShellSession:
    world = World.create()
    session = PowerShellSession(world, world.root)
    session.log_on("Administrator")
    return session


def _out(session: PowerShellSession, script: str) -> str:
    result = session.run(script)
    assert [r.text for r in result.records if r.kind == "error"] == []
    return result.stdout


def test_method_call_as_a_command_argument() -> None:
    session = _session()
    assert _out(session, '$s = "xC:\\Windows"; Test-Path -Path $s.Substring(1)') == "True\r\n"
    # With a space the parentheses are a second argument, as in PowerShell.
    assert _out(session, "$t = 'ab'; Write-Output $t.Length ('c')") == "2\r\nc\r\n"


def test_expand_string_expands_variables_and_subexpressions() -> None:
    script = "$n = 3; $ExecutionContext.InvokeCommand.ExpandString('$env:TEMP\\x$($n + 1)')"
    expected = "C:\\Users\\Administrator\\AppData\\Local\\Temp\\x4\r\n"
    assert _out(_session(), script) == expected


def test_path_full_and_directory_names() -> None:
    script = (
        "[System.IO.Path]::GetFullPath('C:\\a/b\\..\\c.txt');"
        "[System.IO.Path]::GetDirectoryName('C:\\a\\c.txt');"
        "[System.IO.Path]::GetDirectoryName('C:\\x');"
        "[System.IO.Path]::GetFullPath('rel.txt')"
    )
    assert _out(_session(), script) == (
        "C:\\a\\c.txt\r\nC:\\a\r\nC:\\\r\nC:\\Users\\Administrator\\Documents\\rel.txt\r\n"
    )


def test_stream_reader_and_file_stream_round_trip() -> None:
    session = _session()
    script = """
Set-Content -Path C:\\b64.txt -Value @('aGVsbG8g ', 'd29ybGQ=')
$reader = [System.IO.File]::OpenText('C:\\b64.txt')
$writer = [System.IO.File]::OpenWrite('C:\\out.bin')
for (;;) {
    $line = $reader.ReadLine()
    if ($line -eq $null) { break }
    $bytes = [System.Convert]::FromBase64String($line)
    $writer.Write($bytes, 0, $bytes.Length)
}
$writer.Close(); $reader.Close()
Get-Content C:\\out.bin
"""
    assert _out(session, script) == "hello world\r\n"


def test_open_text_of_a_missing_file_throws_as_dotnet_does() -> None:
    result = _session().run("[System.IO.File]::OpenText('C:\\nope.txt')")
    assert result.records[0].text.startswith(
        'Exception calling "OpenText" with "1" argument(s): "Could not find file \'C:\\nope.txt\'."'
    )


def test_type_names_without_the_system_prefix() -> None:
    script = "[IO.Path]::GetFileName('C:\\a\\b.txt'); [IO.File]::Exists('C:\\nope')"
    assert _out(_session(), script) == "b.txt\r\nFalse\r\n"


def test_file_and_directory_exists_tell_files_from_folders() -> None:
    script = (
        "[IO.File]::WriteAllText('C:\\f.txt', 'x')\n"
        "[IO.Directory]::Exists('C:\\Windows'); [IO.Directory]::Exists('C:\\f.txt')\n"
        "[IO.File]::Exists('C:\\f.txt'); [IO.File]::Exists('C:\\Windows')\n"
        "[IO.Directory]::Exists(''); [IO.File]::Exists($null)"
    )
    assert _out(_session(), script).split("\r\n")[:-1] == [
        "True",
        "False",
        "True",
        "False",
        "False",
        "False",
    ]
