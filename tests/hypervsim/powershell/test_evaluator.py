"""evaluator.py: the language subset, run through a real session on the emulated host."""

from __future__ import annotations

from collections.abc import Callable

from hypervsim.powershell.session import RunResult
from tests.hypervsim.powershell.conftest import errors, lines

Run = Callable[[str], RunResult]


def out(ps: Run, script: str) -> list[str]:
    result = ps(script)
    assert not errors(result), errors(result)
    return lines(result)


def test_variables_arithmetic_and_string_concatenation(ps: Run) -> None:
    assert out(ps, "$a = 2; $b = 3; $a * $b + 1; 'x' + $a; 7 / 2; 6 / 3; 7 % 3") == [
        "7",
        "x2",
        "3.5",
        "2",
        "1",
    ]


def test_string_expansion_subexpressions_and_backticks(ps: Run) -> None:
    script = '$o = [pscustomobject]@{Name="vm1"}; "n=$($o.Name) t=`t| d=`$o q=""x"" $o.Name"'
    assert out(ps, script) == ['n=vm1 t=\t| d=$o q="x" @{Name=vm1}.Name']


def test_if_elseif_else(ps: Run) -> None:
    script = (
        "foreach ($i in 1,2,3) { if ($i -eq 1) { 'one' } elseif ($i -lt 3) { 'two' } else {"
        " 'many' } }"
    )
    assert out(ps, script) == ["one", "two", "many"]


def test_loops_with_break_and_continue(ps: Run) -> None:
    script = """
$r = @()
for ($i = 0; $i -lt 10; $i++) { if ($i -eq 2) { continue }; if ($i -eq 5) { break }; $r += $i }
$j = 0; while ($j -lt 3) { $j++ }
$k = 0; do { $k++ } until ($k -ge 4)
$m = 0; do { $m++ } while ($m -lt 2)
"$($r -join ',') $j $k $m"
"""
    assert out(ps, script) == ["0,1,3,4 3 4 2"]


def test_switch_basic_wildcard_and_default(ps: Run) -> None:
    script = """
switch ('b') { 'a' { 'A' } 'B' { 'B!' } default { 'D' } }
switch -Wildcard ('vm-01') { 'vm-*' { 'vm' }; default { 'other' } }
switch (5) { { $_ -gt 3 } { 'big' } default { 'small' } }
switch ('zzz') { 'a' { 1 } default { 'none' } }
"""
    assert out(ps, script) == ["B!", "vm", "big", "none"]


def test_functions_with_param_blocks_defaults_switches_and_return(ps: Run) -> None:
    script = """
function Add-Two {
    [CmdletBinding()]
    param([Parameter(Mandatory)][int]$A, [int]$B = 2, [switch]$Double)
    $sum = $A + $B
    if ($Double) { return $sum * 2 }
    $sum
}
Add-Two -A 1
Add-Two 1 5
Add-Two -A 1 -Double
Add-Two -a 3 -b:4
"""
    assert out(ps, script) == ["3", "6", "6", "7"]


def test_simple_function_args_and_pipeline_process_block(ps: Run) -> None:
    script = """
function f($x, $y) { "$x-$y-$($args.Count)" }
f 1 2 3
function Double { process { $_ * 2 } }
1,2,3 | Double
filter Inc { $_ + 1 }
5 | Inc
"""
    assert out(ps, script) == ["1-2-1", "2", "4", "6", "6"]


def test_scopes_child_scope_does_not_leak_but_global_does(ps: Run) -> None:
    script = """
$x = 'outer'
function f { $x = 'inner'; $global:g = 'set'; $x }
f
$x
$g
& { $x = 'block' }
$x
. { $x = 'dot' }
$x
"""
    assert out(ps, script) == ["inner", "outer", "set", "outer", "dot"]


def test_foreach_object_runs_in_caller_scope(ps: Run) -> None:
    assert out(ps, "$sum = 0; 1..4 | ForEach-Object { $sum += $_ }; $sum") == ["10"]


def test_try_catch_finally_with_exception_message(ps: Run) -> None:
    script = """
try { throw "boom" } catch { "caught: $($_.Exception.Message)" } finally { 'cleanup' }
try { Get-NoSuchThing } catch { $_.Exception.GetType().FullName }
try { Get-NoSuchThing }
catch [System.Management.Automation.CommandNotFoundException] { 'typed' }
catch { 'generic' }
try { [int]'abc' } catch [System.ArgumentException] { 'wrong' } catch { 'cast failed' }
"""
    assert out(ps, script) == [
        "caught: boom",
        "cleanup",
        "System.Management.Automation.CommandNotFoundException",
        "typed",
        "cast failed",
    ]


def test_bare_throw_in_a_catch_block_rethrows_the_error_being_handled(ps: Run) -> None:
    """about_Throw: "If the Throw keyword is used in a Catch block without an expression, it
    throws the current RuntimeException again"; elsewhere it throws ScriptHalted."""
    script = """
try { try { throw 'inner' } catch { throw } } catch { "outer: $($_.Exception.Message)" }
try { try { Get-VM -Name nope -ErrorAction Stop } catch { throw } } catch { $_.FullyQualifiedErrorId }
try { try { throw [System.IO.FileNotFoundException]::new('gone') }
      catch [System.IO.IOException] { throw } }
catch [System.IO.FileNotFoundException] { "typed: $($_.Exception.Message)" }
try { throw 'handled' } catch { 'handled' }
try { throw } catch { "bare: $($_.Exception.Message)" }
"""
    assert out(ps, script) == [
        "outer: inner",
        "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVM",
        "typed: gone",
        "handled",
        "bare: ScriptHalted",
    ]
    uncaught = ps("try { Get-VM -Name nope -ErrorAction Stop } catch { throw }; 'not here'")
    assert uncaught.stdout == ""
    assert errors(uncaught) == ['Hyper-V was unable to find a virtual machine with name "nope".']
    assert uncaught.exit_code == 1


def test_uncaught_throw_stops_the_script_with_exit_code_1(ps: Run) -> None:
    result = ps("'before'; throw 'bad'; 'after'")
    assert lines(result) == ["before"]
    assert errors(result) == ["bad"]
    assert result.exit_code == 1


def test_statement_terminating_error_continues_with_next_statement(ps: Run) -> None:
    result = ps("Get-NoSuchThing; 'after'")
    assert lines(result) == ["after"]
    assert len(errors(result)) == 1
    assert result.exit_code == 0


def test_error_action_stop_and_preference(ps: Run) -> None:
    script = """
try { Write-Error 'nt' -ErrorAction Stop; 'not here' } catch { "stop: $($_.Exception.Message)" }
Write-Error 'quiet' -ErrorAction SilentlyContinue
"q=$?"
$ErrorActionPreference = 'Stop'
try { Write-Error 'pref' ; 'not here' } catch { "pref: $_" }
"""
    result = ps(script)
    assert lines(result) == ["stop: nt", "q=False", "pref: pref"]
    assert errors(result) == []


def test_dollar_error_collects_errors_newest_first(ps: Run) -> None:
    result = ps(
        "Write-Error one -EA SilentlyContinue; Write-Error two -EA SilentlyContinue;"
        " $Error[0].Exception.Message; $Error.Count"
    )
    assert lines(result) == ["two", "2"]


def test_exit_code_and_exited_flag(ps: Run) -> None:
    result = ps("'x'; exit 7; 'never'")
    assert lines(result) == ["x"]
    assert (result.exit_code, result.exited) == (7, True)


def test_last_statement_failure_gives_exit_code_1(ps: Run) -> None:
    assert ps("Write-Error 'x' -ErrorAction SilentlyContinue").exit_code == 1
    assert ps("Write-Error 'x' -ErrorAction SilentlyContinue; 'ok'").exit_code == 0


def test_hashtables_ordered_and_pscustomobject(ps: Run) -> None:
    script = """
$h = @{ Name = 'a'; Count = 2 }
$h.name
$h['COUNT']
$h.Add('x', 1); $h.ContainsKey('X')
$h.Keys.Count
$o = [ordered]@{ z = 1; a = 2 }
($o.Keys) -join ','
$p = [pscustomobject]@{ B = 1; A = 2 }
$p.PSObject.Properties.Name -join ','
$p.B = 5; $p.B
"""
    assert out(ps, script) == ["a", "2", "True", "3", "z,a", "B,A", "5"]


def test_arrays_ranges_indexing_and_unrolling(ps: Run) -> None:
    script = """
$a = @(1, 2, 3)
$a.Count; $a[-1]; ($a[0..1]) -join ','
$b = ,@(1,2); $b.Count
$c = @(); $c += 'x'; $c.Count
$single = @(Get-Command Write-Output); $single.Count
$none = $null; @($none).Count
"""
    assert out(ps, script) == ["3", "3", "1,2", "1", "1", "1", "1"]


def test_comparison_operators_including_array_filtering_and_matches(ps: Run) -> None:
    script = """
1,2,3,2 -eq 2
'Abc' -eq 'aBC'; 'Abc' -ceq 'aBC'
'vEthernet (VmNAT)' -like 'vethernet*'
if ('10.0.0.5' -match '^(\\d+)\\.(?<second>\\d+)') { $Matches[1] + '/' + $Matches.second }
@('a','b') -contains 'B'; 'x' -in @('x','y'); 'q' -notin 'x','y'
'a-b-c' -replace '-', '+'
('a,b,,c' -split ',').Count
'5' -gt 10; 5 -gt '10'
$null -eq $null
"""
    assert out(ps, script) == [
        "2",
        "2",
        "True",
        "False",
        "True",
        "10/0",
        "True",
        "True",
        "True",
        "a+b+c",
        "4",
        "True",
        "False",
        "True",
    ]


def test_logical_and_type_operators(ps: Run) -> None:
    script = """
$true -and $false; $true -or $false; -not $true; !$false; $true -xor $true
5 -is [int]; 'x' -is [string]; '5' -as [int]; ('x' -as [int]) -eq $null
"""
    assert out(ps, script) == [
        "False",
        "True",
        "False",
        "True",
        "False",
        "True",
        "True",
        "5",
        "True",
    ]


def test_format_operator(ps: Run) -> None:
    assert out(ps, "'{0}-{1:D3}-{2:N1}|{3,5}|{{x}}' -f 'a', 7, 1234.5, 'r'") == [
        "a-007-1,234.5|    r|{x}"
    ]


def test_string_methods(ps: Run) -> None:
    script = """
'  Hi  '.Trim(); 'a,b;c'.Split(',;').Count; 'abc'.Contains('b'); 'ABC'.ToLower()
'abc'.Replace('b','X'); 'abc'.StartsWith('ab'); 'abc'.Length; 'abc'.Substring(1); 'x'.ToString()
"""
    assert out(ps, script) == ["Hi", "3", "True", "abc", "aXc", "True", "3", "bc", "x"]


def test_static_members_and_casts(ps: Run) -> None:
    script = """
$b = [Text.Encoding]::UTF8.GetBytes('hé')
[Convert]::ToBase64String($b)
[System.Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('aMOp'))
[System.Text.Encoding]::Unicode.GetBytes('A').Count
[Math]::Round(2.567, 2); [Math]::Max(3, 9)
[int]'42' + 1; [string]5 + 1; [bool]'x'; [array]'x' -is [array]
[ipaddress]'192.168.100.1'
[int]::MaxValue
"""
    assert out(ps, script) == [
        "aMOp",
        "hé",
        "2",
        "2.57",
        "9",
        "43",
        "51",
        "True",
        "True",
        "192.168.100.1",
        "2147483647",
    ]


def test_splatting_hashtable_and_array(ps: Run) -> None:
    script = """
function Show { param($Name, $Count) "$Name/$Count" }
$p = @{ Name = 'vm'; Count = 3 }
Show @p
$arr = 'a', 'b'
Show @arr
"""
    assert out(ps, script) == ["vm/3", "a/b"]


def test_env_variables_and_psversiontable(ps: Run, session: object) -> None:
    script = (
        "$env:COMPUTERNAME; $env:LAB = 'x'; $env:lab;"
        " $PSVersionTable.PSVersion.ToString().StartsWith('5.1')"
    )
    name = session.computer.name  # type: ignore[attr-defined]
    assert out(ps, script) == [name, "x", "True"]


def test_redirection_and_discarding_output(ps: Run) -> None:
    script = """
$null = 'gone'
[void]'gone too'
'gone three' | Out-Null
Write-Error 'hidden' 2>$null
$r = Write-Error 'merged' 2>&1; $r.Exception.Message
Write-Output 'all' *> $null
"""
    result = ps(script)
    assert lines(result) == ["merged"]
    assert errors(result) == []


def test_global_scope_persists_across_runs(ps: Run) -> None:
    ps("$kept = 41; function Get-Kept { $kept + 1 }")
    assert lines(ps("Get-Kept")) == ["42"]


def test_using_scope_and_remote_invocation_through_the_api(ps: Run, session: object) -> None:
    from hypervsim.powershell.values import ScriptBlockValue

    ev = session.evaluator  # type: ignore[attr-defined]
    ps(
        "$outer = 'from-caller'; $sb = { \"$using:outer on $env:COMPUTERNAME $($hidden)\""
        " }; $hidden = 'caller-only'"
    )

    class Other:
        name = "GUEST-01"
        world = session.world  # type: ignore[attr-defined]

    block = ev.get_var("sb")
    assert isinstance(block, ScriptBlockValue)
    result = ev.invoke_block(block, computer=Other())
    assert result == ["from-caller on GUEST-01 "]


def test_increment_statement_outputs_nothing(ps: Run) -> None:
    assert out(ps, "$i = 1; $i++; ++$i; $i; ($i++)") == ["3", "3"]


def test_multiple_assignment_and_compound_operators(ps: Run) -> None:
    assert out(ps, "$a, $b = 1, 2, 3; $a; $b -join ','; $n = 10; $n -= 3; $n *= 2; $n") == [
        "1",
        "2,3",
        "14",
    ]


def test_lastexitcode_defaults_to_null_and_question_mark(ps: Run) -> None:
    assert out(ps, "$LASTEXITCODE -eq $null; Write-Output x | Out-Null; $?") == ["True", "True"]


def test_null_has_count_and_length_zero() -> None:
    """`if ((Get-VM -Name x*).Count -eq 0)` must take the 'none' branch, as on Windows."""
    from hypervsim.powershell.session import PowerShellSession
    from hypervsim.world.model import World

    world = World.create()
    session = PowerShellSession(world, world.root)
    result = session.run(
        "$none = Get-VM -Name 'absent*'; $none.Count; $null.Length; ($null.Count -eq 0);"
        " $null.Name -eq $null"
    )
    assert result.stdout.split() == ["0", "0", "True", "True"]


def test_script_blocks_created_from_the_same_text_run_independently(ps: Run) -> None:
    """Script blocks are remembered by text (as PowerShell caches compiled blocks), so each
    creation must still get its own scopes, arguments and functions."""
    text = 'param($n) function Get-Twice { $n * 2 }; $local = $n + 1; "$local/$(Get-Twice)"'
    script = (
        f"$t = '{text}'\n"
        "$a = [scriptblock]::Create($t); $b = [scriptblock]::Create($t)\n"
        "& $a 1; & $b 10; & $a 100\n"
        "try { [scriptblock]::Create('if (') } catch { 'parse error' }\n"
        "try { [scriptblock]::Create('if (') } catch { 'parse error again' }"
    )
    assert lines(ps(script)) == ["2/2", "11/20", "101/200", "parse error", "parse error again"]
