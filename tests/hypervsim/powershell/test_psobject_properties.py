"""`$obj.PSObject.Properties` as Windows' PSMemberInfoCollection (indexed by name, member
enumeration, wildcard Match, live Value) and `[Type]::NoSuchProperty` reading $null."""

from __future__ import annotations

from collections.abc import Callable

from hypervsim.powershell.session import RunResult

from .conftest import errors, lines

Run = Callable[[str], RunResult]
OBJ = "$o = [pscustomobject]@{Name='a'; Notes='n'; Size=3}\n"


def test_properties_indexed_by_name(ps: Run) -> None:
    r = ps(
        OBJ + "$o.PSObject.Properties['Name'].Value\n"
        "$o.PSObject.Properties['name'].MemberType\n"
        "$null -eq $o.PSObject.Properties['Nope']\n"
        "$o.PSObject.Properties.Item('Notes').Value\n"
        "$o.PSObject.Properties['Size'].TypeNameOfValue"
    )
    assert not errors(r)
    assert lines(r) == ["a", "NoteProperty", "True", "n", "System.Int32"]


def test_property_names_and_match(ps: Run) -> None:
    r = ps(
        OBJ + "$o.PSObject.Properties.Name -join ','\n"
        "($o.PSObject.Properties.Match('N*') | ForEach-Object Name) -join ','\n"
        "$o.PSObject.Properties.Match('nope').Count\n"
        "$o.PSObject.Properties.Count"
    )
    assert not errors(r)
    assert lines(r) == ["Name,Notes,Size", "Name,Notes", "0", "3"]


def test_property_value_writes_through(ps: Run) -> None:
    r = ps(OBJ + "$o.PSObject.Properties['Size'].Value = 9; $o.Size")
    assert not errors(r)
    assert lines(r) == ["9"]


def test_cmdlet_objects_report_properties(ps: Run) -> None:
    r = ps(
        "New-VM -Name p | Out-Null\n"
        "$vm = Get-VM -Name p\n"
        "$vm.PSObject.Properties['State'].Value.ToString()\n"
        "$vm.PSObject.Properties['State'].MemberType\n"
        "$null -eq $vm.PSObject.Properties['NoSuchThing']"
    )
    assert not errors(r)
    assert lines(r) == ["Off", "Property", "True"]


def test_missing_static_property_of_a_known_type_is_null(ps: Run) -> None:
    r = ps("$null -eq [string]::NoSuch; $null -eq [Math]::Nope; $null -eq [IO.Path]::Nope")
    assert not errors(r)
    assert lines(r) == ["True", "True", "True"]
    # a method the type lacks still fails, and an unknown type is still refused
    r = ps("[string]::Nope()")
    assert errors(r) == [
        "Method invocation failed because [System.String] does not contain a method named 'Nope'."
    ]
    r = ps("[No.Such.Type]::X")
    assert errors(r) == ["Unable to find type [No.Such.Type]."]
