"""Add-Member's ScriptProperty, ScriptMethod and AliasProperty (evaluated on each access with
$this the object), and members on hashtables; scalars are refused as not supported."""

from __future__ import annotations

from collections.abc import Callable

from hypervsim.powershell.session import RunResult

from .conftest import errors, lines

Run = Callable[[str], RunResult]
OBJ = "$o = [pscustomobject]@{Name='a'; Size=3}\n"
CLASS = "Microsoft.PowerShell.Commands.AddMemberCommand"


def _fqids(r: RunResult) -> list[str]:
    return [x.error.fqid for x in r.records if x.kind == "error" and x.error is not None]


def test_script_property_is_computed_on_each_access(ps: Run) -> None:
    r = ps(
        OBJ + "$o | Add-Member -MemberType ScriptProperty -Name Double -Value { $this.Size * 2 }\n"
        "$o.Double; $o.Size = 5; $o.Double\n"
        "$o | Add-Member ScriptProperty Half { $this.Size / 2 } { param($v) $this.Size = $v * 2 }\n"
        "$o.Half = 4; $o.Size\n"
        "$o.PSObject.Properties['Double'].MemberType"
    )
    assert not errors(r)
    assert lines(r) == ["6", "10", "8", "ScriptProperty"]


def test_script_property_without_setter_refuses_assignment(ps: Run) -> None:
    r = ps(OBJ + "$o | Add-Member ScriptProperty Double { 1 }; $o.Double = 2; 'next'; $o.Double")
    assert errors(r) == ['Set accessor for property "Double" is unavailable.']
    assert lines(r) == ["next", "1"]


def test_script_method_and_alias_property(ps: Run) -> None:
    r = ps(
        OBJ + "$o | Add-Member -MemberType ScriptMethod -Name Greet"
        ' -Value { param($who) "hi $who from $($this.Name)" }\n'
        "$o.Greet('bob')\n"
        "$o | Add-Member -MemberType AliasProperty -Name N -Value Name\n"
        "$o.N; $o.N = 'z'; $o.Name\n"
        "$o | Add-Member -MemberType AliasProperty -Name SizeText -Value Size -SecondValue string\n"
        "$o.SizeText.GetType().FullName\n"
        "($o.PSObject.Properties.Name) -join ','\n"
        "$o | ConvertTo-Json -Compress"
    )
    assert not errors(r)
    assert lines(r) == [
        "hi bob from a",
        "a",
        "z",
        "System.String",
        "Name,Size,N,SizeText",
        '{"Name":"z","Size":3,"N":"z","SizeText":"3"}',
    ]


def test_members_on_a_hashtable(ps: Run) -> None:
    r = ps(
        "$h = @{a = 1}\n"
        "$h | Add-Member -NotePropertyName b -NotePropertyValue 2\n"
        "$h.b; $h.Count\n"
        "$h | Add-Member -MemberType ScriptMethod -Name Sum -Value { $this.a + $this.b }\n"
        "$h.Sum()\n"
        "$h | Add-Member -NotePropertyName a -NotePropertyValue 5; 'next'"
    )
    assert lines(r) == ["2", "1", "3", "next"]
    assert _fqids(r) == [f"MemberAlreadyExists,{CLASS}"]


def test_refusals(ps: Run) -> None:
    r = ps(OBJ + "$o | Add-Member -MemberType ScriptMethod -Name Bad -Value 'notablock'")
    assert errors(r) == [
        'Cannot convert the "notablock" value of type "System.String" to type'
        ' "System.Management.Automation.ScriptBlock".'
    ]
    r = ps("'x' | Add-Member -NotePropertyName q -NotePropertyValue 1")
    assert _fqids(r) == [f"NotSupportedByEmulator,{CLASS}"]
    r = ps(OBJ + "$o | Add-Member -MemberType CodeProperty -Name C -Value 1")
    assert _fqids(r) == [f"NotSupportedByEmulator,{CLASS}"]
