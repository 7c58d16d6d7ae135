"""Core cmdlets (cmdlets/core_*.py) as scripts use them."""

from __future__ import annotations

import json
from collections.abc import Callable

from hypervsim.powershell.cmdlets.core_json import convert_to_json
from hypervsim.powershell.session import RunResult
from tests.hypervsim.powershell.conftest import errors, lines

Run = Callable[[str], RunResult]


def test_convert_to_json_pretty_matches_windows_51_layout(ps: Run) -> None:
    result = ps("@{a=@(1,2); b=[ordered]@{c=1}} | ConvertTo-Json")
    assert result.stdout == (
        "{\r\n"
        '    "a":  [\r\n'
        "              1,\r\n"
        "              2\r\n"
        "          ],\r\n"
        '    "b":  {\r\n'
        '              "c":  1\r\n'
        "          }\r\n"
        "}\r\n"
    )


def test_convert_to_json_escaping_like_javascriptserializer(ps: Run) -> None:
    result = ps(
        '[pscustomobject]@{s = "<a href=\'x\'>&</a> Ü `"q`" \\ `n"} | ConvertTo-Json -Compress'
    )
    assert lines(result) == [
        '{"s":"\\u003ca href=\\u0027x\\u0027\\u003e\\u0026\\u003c/a\\u003e Ü \\"q\\" \\\\ \\n"}'
    ]


def test_convert_to_json_depth_truncates_to_strings() -> None:
    from hypervsim.powershell.values import Hashtable

    deep = Hashtable([("a", Hashtable([("b", Hashtable([("c", Hashtable([("d", 1)]))]))]))])
    assert (
        convert_to_json(deep, depth=2, compress=True)
        == '{"a":{"b":{"c":"System.Collections.Hashtable"}}}'
    )
    assert convert_to_json(deep, depth=5, compress=True) == '{"a":{"b":{"c":{"d":1}}}}'


def test_convert_to_json_enums_as_integers_and_arrays_of_pipeline_input(ps: Run) -> None:
    from hypervsim.powershell.api import PSEnum, PSObject

    class State(PSEnum):
        Running = 2
        Off = 3

    assert convert_to_json(PSObject({"State": State.Off}), compress=True) == '{"State":3}'
    assert lines(ps("1, 'two', $null, $true | ConvertTo-Json -Compress")) == ['[1,"two",null,true]']
    assert lines(ps("ConvertTo-Json @() -Compress")) == ["[]"]


def test_convert_from_json_builds_objects(ps: Run) -> None:
    script = """
$o = '{"name":"vm","n":2,"tags":["a","b"],"inner":{"x":true}}' | ConvertFrom-Json
$o.name; $o.n + 1; $o.tags.Count; $o.inner.x
($o | ConvertTo-Json -Compress -Depth 3)
"""
    result = ps(script)
    assert lines(result)[:4] == ["vm", "3", "2", "True"]
    assert json.loads(lines(result)[4]) == {
        "name": "vm",
        "n": 2,
        "tags": ["a", "b"],
        "inner": {"x": True},
    }


def test_convert_from_json_invalid_input_is_an_error(ps: Run) -> None:
    result = ps("try { 'nope' | ConvertFrom-Json } catch { $_.FullyQualifiedErrorId }")
    assert lines(result) == [
        "System.ArgumentException,Microsoft.PowerShell.Commands.ConvertFromJsonCommand"
    ]


def test_select_object_properties_calculated_first_last_expand_unique(ps: Run) -> None:
    script = """
$items = @([pscustomobject]@{N='a'; V=1}, [pscustomobject]@{N='b'; V=2},
           [pscustomobject]@{N='a'; V=3})
($items | Select-Object N, @{n='Double'; e={$_.V * 2}} | ConvertTo-Json -Compress)
($items | Select-Object -First 1).N
($items | Select-Object -Last 2 | ForEach-Object { $_.V }) -join ','
($items | Select-Object -ExpandProperty N -Unique) -join ','
"""
    result = ps(script)
    assert errors(result) == []
    assert json.loads(lines(result)[0]) == [
        {"N": "a", "Double": 2},
        {"N": "b", "Double": 4},
        {"N": "a", "Double": 6},
    ]
    assert lines(result)[1:] == ["a", "2,3", "a,b"]


def test_where_object_script_block_and_simplified_syntax(ps: Run) -> None:
    script = """
$items = @([pscustomobject]@{Name='a'; State='Running'}, [pscustomobject]@{Name='b'; State='Off'})
($items | Where-Object State -eq 'Running').Name
($items | Where-Object { $_.Name -like 'b*' }).Name
($items | ? Name -in 'a','b').Count
"""
    assert lines(ps(script)) == ["a", "b", "2"]


def test_foreach_object_member_name_begin_end(ps: Run) -> None:
    script = """
@([pscustomobject]@{Name='x'}, [pscustomobject]@{Name='y'}) | ForEach-Object Name
'ab' | % ToUpper
1,2 | ForEach-Object -Begin { 'start' } -Process { $_ } -End { 'end' }
"""
    assert lines(ps(script)) == ["x", "y", "AB", "start", "1", "2", "end"]


def test_sort_measure_group(ps: Run) -> None:
    script = """
(3,1,2 | Sort-Object) -join ','
(3,1,2 | Sort-Object -Descending) -join ','
('b','A','c' | Sort-Object) -join ','
$m = 1,2,3,4 | Measure-Object -Sum -Average -Maximum
"$($m.Count) $($m.Sum) $($m.Average) $($m.Maximum)"
$g = 'a','b','a' | Group-Object
($g | ForEach-Object { "$($_.Name)=$($_.Count)" }) -join ' '
"""
    assert lines(ps(script)) == ["1,2,3", "3,2,1", "A,b,c", "4 10 2.5 4", "a=2 b=1"]


def test_write_streams(ps: Run) -> None:
    result = ps(
        "Write-Output 'o'; Write-Host 'h'; Write-Warning 'w'; Write-Verbose 'v';"
        " Write-Verbose 'v2' -Verbose; Write-Error 'e'"
    )
    assert lines(result) == ["o", "h"]
    kinds = [(r.kind, r.text if r.kind != "error" else r.error.message) for r in result.records]  # type: ignore[union-attr]
    assert kinds == [("warning", "w"), ("verbose", "v2"), ("error", "e")]


def test_start_sleep_uses_the_injected_sleep(ps: Run, slept: list[float]) -> None:
    ps("Start-Sleep -Seconds 2; Start-Sleep -Milliseconds 500; sleep 1")
    assert slept == [2.0, 0.5, 1.0]


def test_get_command_found_and_silently_missing(ps: Run) -> None:
    result = ps(
        "(Get-Command Write-Output).Name; Get-Command Nope-Nope -ErrorAction"
        " SilentlyContinue; 'end'"
    )
    assert lines(result) == ["Write-Output", "end"]
    assert errors(result) == []
    result2 = ps("Get-Command Nope-Nope")
    assert errors(result2)[0].startswith("The term 'Nope-Nope' is not recognized")


def test_credentials_and_secure_strings(ps: Run) -> None:
    script = """
$sec = ConvertTo-SecureString 'P@ss' -AsPlainText -Force
$cred = New-Object System.Management.Automation.PSCredential ('lab\\admin', $sec)
$cred.UserName
$cred.GetType().FullName
$sec
"""
    assert lines(ps(script)) == [
        "lab\\admin",
        "System.Management.Automation.PSCredential",
        "System.Security.SecureString",
    ]
    failed = ps("ConvertTo-SecureString 'x' -AsPlainText")
    assert "Force parameter" in errors(failed)[0]


def test_new_object_psobject_with_properties(ps: Run) -> None:
    assert lines(ps("$o = New-Object PSObject -Property @{A=1}; $o.A")) == ["1"]


def test_import_module_known_and_unknown(ps: Run) -> None:
    result = ps("Import-Module Hyper-V; Import-Module NetNat, ServerManager; Import-Module Nope")
    assert errors(result) == [
        (
            "The specified module 'Nope' was not loaded because no valid module file was found"
            " in any module directory."
        )
    ]
    assert lines(ps("(Get-Module -ListAvailable Hyper-V).Name")) == ["Hyper-V"]


def test_variables_paths_and_env(ps: Run) -> None:
    script = """
Set-Variable -Name zz -Value 5; Get-Variable zz -ValueOnly
Test-Path env:COMPUTERNAME; Test-Path env:NOPE_NOPE
(Get-Item env:USERNAME).Value
Join-Path 'C:\\labs' 'vm1'
"""
    assert lines(ps(script)) == ["5", "True", "False", "Administrator", "C:\\labs\\vm1"]


def test_out_string_and_get_date(ps: Run) -> None:
    result = ps("$s = 'a','b' | Out-String; $s.Length; (Get-Date -Format 'yyyy').Length")
    assert lines(result) == ["6", "4"]


def test_get_and_set_location(world: object) -> None:
    from hypervsim.powershell.session import PowerShellSession

    session = PowerShellSession(world, world.root, cwd="C:\\Windows")  # type: ignore[attr-defined]
    assert lines(session.run("(pwd).Path; Set-Location System32; (Get-Location).Path")) == [
        "C:\\Windows",
        "C:\\Windows\\System32",
    ]
