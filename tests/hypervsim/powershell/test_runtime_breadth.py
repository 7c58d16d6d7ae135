"""Language and runtime pieces third-party scripts use (issue 14), with Windows' texts."""

from __future__ import annotations

from collections.abc import Callable

from hypervsim.powershell.session import RunResult
from hypervsim.world.model import World
from tests.hypervsim.powershell.conftest import errors, lines

Run = Callable[[str], RunResult]


def out(ps: Run, script: str) -> list[str]:
    result = ps(script)
    assert not errors(result), errors(result)
    return lines(result)


def fqids(result: RunResult) -> list[str]:
    return [r.error.fqid for r in result.records if r.kind == "error" and r.error is not None]


def test_method_call_as_a_command_argument(ps: Run) -> None:
    assert out(ps, "$s = 'xC:\\Windows'; Test-Path -Path $s.Substring(1)") == ["True"]
    assert out(ps, "$s = 'abcdef'; Write-Output $s.Substring(1, 3) 'next'") == ["bcd", "next"]


def test_for_with_omitted_clauses(ps: Run) -> None:
    assert out(ps, "for (;;) { 'once'; break }") == ["once"]
    assert out(ps, "for ($i = 0; ; $i++) { if ($i -ge 2) { break }; $i }") == ["0", "1"]
    assert out(ps, "$i = 5; for (; $i -lt 7;) { $i; $i++ }") == ["5", "6"]


def test_expand_string_sees_the_callers_variables(ps: Run) -> None:
    script = (
        "function f { $name = 'inner'; $ExecutionContext.InvokeCommand.ExpandString("
        "'a $name $(1+1) `t|') }; f"
    )
    assert out(ps, script) == ["a inner 2 \t|"]


def test_psversiontable_is_windows_powershell_5_1_desktop(ps: Run) -> None:
    assert out(ps, "$PSVersionTable.PSVersion") == [
        "",
        "Major  Minor  Build  Revision",
        "-----  -----  -----  --------",
        "5      1      20348  2849",
        "",
        "",
    ]
    assert out(
        ps,
        '$v = $PSVersionTable; $v.PSEdition; $v.PSVersion.Major; "$($v.PSVersion)";'
        " $v.PSVersion.GetType().FullName; $v.BuildVersion.ToString();"
        " $v.PSVersion -ge [version]'5.1'; $v.CLRVersion.Major",
    ) == [
        "Desktop",
        "5",
        "5.1.20348.2849",
        "System.Version",
        "10.0.20348.2849",
        "True",
        "4",
    ]


def test_psversiontable_follows_the_computers_build() -> None:
    from hypervsim.powershell.session import PowerShellSession

    world = World.create(profile="server2019-intel")
    session = PowerShellSession(world, world.root, sleep=lambda _s: None)
    with world.lock:
        result = session.run("$PSVersionTable.PSVersion.ToString()")
    assert lines(result) == ["5.1.17763.6893"]


def test_system_io_path(ps: Run) -> None:
    script = (
        "$p = [System.IO.Path]; $p::Combine('C:\\a', 'b', 'c.txt'); $p::Combine('C:\\a', 'D:\\x');"
        " $p::GetFileName('C:\\a\\b.txt'); $p::GetExtension('C:\\a\\b.tar.gz');"
        " $p::GetFileNameWithoutExtension('x\\y.ps1'); $p::GetDirectoryName('C:\\a\\b.txt');"
        " $p::GetDirectoryName('C:\\b.txt'); $p::GetTempPath(); $p::IsPathRooted('a\\b');"
        " $p::GetRandomFileName() -match '^[a-z0-9]{8}\\.[a-z0-9]{3}$'"
    )
    assert out(ps, script) == [
        "C:\\a\\b\\c.txt",
        "D:\\x",
        "b.txt",
        ".gz",
        "y",
        "C:\\a",
        "C:\\",
        "C:\\Users\\Administrator\\AppData\\Local\\Temp\\",
        "False",
        "True",
    ]


def test_system_io_file_reads_and_writes_the_emulated_files(ps: Run, world: World) -> None:
    script = (
        "$f = 'C:\\Users\\Administrator\\t.txt'; [System.IO.File]::Exists($f);"
        " [System.IO.File]::WriteAllText($f, 'hello'); [System.IO.File]::Exists($f);"
        " [System.IO.File]::AppendAllText($f, ' world'); [System.IO.File]::ReadAllText($f);"
        " Get-Content $f; [System.IO.File]::ReadAllBytes($f).Length;"
        " [System.IO.File]::Exists('C:\\Windows')"
    )
    assert out(ps, script) == ["False", "True", "hello world", "hello world", "11", "False"]
    assert world.root.fs_read("C:\\Users\\Administrator\\t.txt") == "hello world"
    script = (
        "[System.IO.File]::WriteAllBytes('C:\\b.bin', [byte[]](1, 2, 250));"
        " [System.IO.File]::ReadAllBytes('C:\\b.bin'); [System.IO.File]::Delete('C:\\b.bin');"
        " [System.IO.File]::Exists('C:\\b.bin'); [System.IO.File]::Delete('C:\\b.bin'); 'ok'"
    )
    assert out(ps, script) == ["1", "2", "250", "False", "ok"]


def test_system_io_file_errors_are_dotnet_exceptions(ps: Run) -> None:
    result = ps("[System.IO.File]::ReadAllText('C:\\nope.txt')")
    assert errors(result) == [
        'Exception calling "ReadAllText" with "1" argument(s): "Could not find file'
        " 'C:\\nope.txt'.\""
    ]
    result = ps("[System.IO.File]::WriteAllText('C:\\nodir\\x.txt', 'a')")
    assert errors(result) == [
        'Exception calling "WriteAllText" with "2" argument(s): "Could not find a part of the'
        " path 'C:\\nodir\\x.txt'.\""
    ]
    result = ps("[System.IO.File]::Frob(1)")
    assert errors(result) == [
        "Method invocation failed because [System.IO.File] does not contain a method named 'Frob'."
    ]


def test_stopwatch(ps: Run) -> None:
    script = (
        "$sw = [System.Diagnostics.Stopwatch]::StartNew(); $sw.IsRunning; $sw.Stop();"
        " $sw.IsRunning; $sw.Elapsed.GetType().FullName; $sw.ElapsedMilliseconds -ge 0;"
        " $sw.Elapsed.TotalSeconds -lt 60; $w = New-Object System.Diagnostics.Stopwatch;"
        " $w.IsRunning; $w.Start(); $w.IsRunning"
    )
    assert out(ps, script) == ["True", "False", "System.TimeSpan", "True", "True", "False", "True"]


def test_add_member_note_properties(ps: Run) -> None:
    script = (
        "$o = [pscustomobject]@{a = 1}; $o | Add-Member -NotePropertyName b -NotePropertyValue 2;"
        " Add-Member -InputObject $o -MemberType NoteProperty -Name c -Value 3;"
        " $o | Add-Member NoteProperty d 4; $r = $o | Add-Member -NotePropertyMembers @{e = 5}"
        " -PassThru; $r.e; ($o.psobject.Properties | ForEach-Object Name) -join ','"
    )
    assert out(ps, script) == ["5", "a,b,c,d,e"]
    silent = ps(
        "$o = [pscustomobject]@{a = 1}; $o | Add-Member -NotePropertyName x -NotePropertyValue 1"
    )
    assert silent.stdout == "" and not errors(silent)


def test_add_member_refuses_an_existing_member_unless_forced(ps: Run) -> None:
    script = (
        "$o = [pscustomobject]@{a = 1}; $o | Add-Member -NotePropertyName a -NotePropertyValue 2;"
        " 'next'; $o | Add-Member -NotePropertyName a -NotePropertyValue 9 -Force; $o.a"
    )
    result = ps(script)
    assert lines(result) == ["next", "9"]
    assert errors(result) == [
        'Cannot add a member with the name "a" because a member with that name already exists.'
        " To overwrite the member anyway, add the Force parameter to your command."
    ]
    assert fqids(result) == ["MemberAlreadyExists,Microsoft.PowerShell.Commands.AddMemberCommand"]


def test_hyperv_enum_types_by_name(ps: Run) -> None:
    script = (
        "[Microsoft.HyperV.PowerShell.VMState]::Running; [int][Microsoft.HyperV.PowerShell.VMState]::Off;"
        " 'saved' -as [Microsoft.HyperV.PowerShell.VMState]; [Microsoft.HyperV.PowerShell.VMSwitchType]1;"
        " [Microsoft.HyperV.PowerShell.VMState]::Running -eq 'running';"
        " $null -eq ('Nope' -as [Microsoft.HyperV.PowerShell.VMState])"
    )
    assert out(ps, script) == ["Running", "3", "Saved", "Internal", "True", "True"]
    result = ps("[Microsoft.HyperV.PowerShell.VMState]'Nope'")
    assert errors(result)[0].startswith(
        'Cannot convert value "Nope" to type "Microsoft.HyperV.PowerShell.VMState". Error:'
        ' "Unable to match the identifier name Nope to a valid enumerator name.'
    )


def test_enum_parameter_given_as_an_integer(ps: Run) -> None:
    script = (
        "New-VMSwitch -Name s1 -SwitchType 1 | Out-Null; $s = Get-VMSwitch s1; $s.SwitchType;"
        " $s.SwitchType.GetType().FullName; (Get-VMSwitch -SwitchType Internal).Name"
    )
    assert out(ps, script) == ["Internal", "Microsoft.HyperV.PowerShell.VMSwitchType", "s1"]
    result = ps("New-VMSwitch -Name s2 -SwitchType 5")
    assert errors(result) == [
        "Cannot bind parameter 'SwitchType'. Cannot convert value \"5\" to type"
        ' "Microsoft.HyperV.PowerShell.VMSwitchType" due to enumeration values that are not'
        " valid. Specify one of the following enumeration values and try again. The possible"
        ' enumeration values are "Private,Internal,External".'
    ]
    assert fqids(result) == [
        "CannotConvertArgumentNoMessage,Microsoft.HyperV.PowerShell.Commands.NewVMSwitch"
    ]
    assert out(ps, "@(Get-VMSwitch -Name s2 -ErrorAction SilentlyContinue).Count") == ["0"]


def test_psversiontable_prints_as_on_windows(ps: Run) -> None:
    assert out(ps, "$PSVersionTable")[:6] == [
        "",
        "Name                           Value",
        "----                           -----",
        "PSVersion                      5.1.20348.2849",
        "PSEdition                      Desktop",
        "PSCompatibleVersions           {1.0, 2.0, 3.0, 4.0...}",
    ]


def test_get_member_filters_note_properties(ps: Run) -> None:
    script = (
        "$o = [pscustomobject]@{b = 1; a = 'x'}; $o | Add-Member -NotePropertyName c -NotePropertyValue 2;"
        " ($o | Get-Member -MemberType NoteProperty | Select-Object -ExpandProperty Name) -join ',';"
        " ($o | Get-Member -Name To* | ForEach-Object Name) -join ','"
    )
    assert out(ps, script) == ["a,b,c", "ToString"]


def test_on_off_parameters_take_names_or_integers(ps: Run) -> None:
    script = (
        "New-VM -Name vm1 -Generation 2 -NoVHD | Out-Null;"
        " Set-VMNetworkAdapter -VMName vm1 -MacAddressSpoofing 0;"
        " (Get-VMNetworkAdapter -VMName vm1).MacAddressSpoofing;"
        " Set-VMNetworkAdapter -VMName vm1 -MacAddressSpoofing off;"
        " (Get-VMNetworkAdapter -VMName vm1).MacAddressSpoofing"
    )
    assert out(ps, script) == ["On", "Off"]
    result = ps("Set-VMNetworkAdapter -VMName vm1 -MacAddressSpoofing Maybe")
    assert errors(result)[0].startswith(
        "Cannot bind parameter 'MacAddressSpoofing'. Cannot convert value \"Maybe\" to type"
        ' "Microsoft.HyperV.PowerShell.OnOffState".'
    )
