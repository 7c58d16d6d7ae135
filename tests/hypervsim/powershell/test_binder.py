"""binder.py: names, prefixes, aliases, switches, positions, common parameters, Windows errors."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest

from hypervsim.powershell.api import CmdletSpec, Invocation, Param, ParamKind, cmdlet, lookup
from hypervsim.powershell.binder import NO_VALUE, BindingError, NamedArg, PositionalArg, bind
from hypervsim.powershell.session import RunResult
from tests.hypervsim.powershell.conftest import errors, lines

Run = Callable[[str], RunResult]


@cmdlet(
    "Set-TestThing",
    Param("Name", ParamKind.LIST, aliases=("ThingName",), position=0, mandatory=True),
    Param("ExposeVirtualizationExtensions"),
    Param("ExposeOther"),
    Param("Count", position=1),
    Param("Force", ParamKind.SWITCH),
    module="Hyper-V",
)
def _set_test_thing(inv: Invocation) -> Iterable[Any]:
    yield dict(inv.bound)
    yield dict(inv.common)


@cmdlet(
    "Get-TestPiped",
    Param("InputObject", ParamKind.LIST, from_pipeline=True),
    Param("Tag"),
    module="TestModule",
)
def _get_test_piped(inv: Invocation) -> Iterable[Any]:
    yield f"{inv.bound['InputObject']}|{inv.input}|{inv.bound.get('Tag')}"


@cmdlet("testapp", accepts_args=True, kind="Application", module="")
def _testapp(inv: Invocation) -> Iterable[Any]:
    yield "|".join(inv.args)


def spec() -> CmdletSpec:
    found = lookup("Set-TestThing")
    assert found is not None
    return found


def test_exact_alias_and_unique_prefix() -> None:
    result = bind(
        spec(), [NamedArg("thingname", "a"), NamedArg("ExposeV", True), NamedArg("f")], False
    )
    assert result.bound == {"Name": ["a"], "ExposeVirtualizationExtensions": True, "Force": True}


def test_ambiguous_prefix_lists_candidates() -> None:
    with pytest.raises(BindingError) as info:
        bind(spec(), [NamedArg("Name", "a"), NamedArg("Expose", 1)], False)
    assert info.value.record.message == (
        "Parameter cannot be processed because the parameter name 'Expose' is ambiguous. "
        "Possible matches include: -ExposeVirtualizationExtensions -ExposeOther."
    )


def test_unknown_parameter_has_windows_text_and_fqid() -> None:
    with pytest.raises(BindingError) as info:
        bind(spec(), [NamedArg("Bogus", "x")], False)
    record = info.value.record
    assert record.message == "A parameter cannot be found that matches parameter name 'Bogus'."
    assert record.fqid == "NamedParameterNotFound,Microsoft.HyperV.PowerShell.Commands.SetTestThing"
    assert record.exception_type.endswith("ParameterBindingException")


def test_positional_binding_and_switch_with_colon_false() -> None:
    result = bind(
        spec(),
        [PositionalArg("vm1"), PositionalArg(4), NamedArg("Force", False, colon=True)],
        False,
    )
    assert result.bound == {"Name": ["vm1"], "Count": 4, "Force": False}


def test_too_many_positionals() -> None:
    with pytest.raises(BindingError) as info:
        bind(spec(), [PositionalArg("a"), PositionalArg(1), PositionalArg("extra")], False)
    assert (
        info.value.record.message
        == "A positional parameter cannot be found that accepts argument 'extra'."
    )


def test_missing_mandatory_and_missing_argument() -> None:
    with pytest.raises(BindingError) as info:
        bind(spec(), [NamedArg("Force")], False)
    assert "missing mandatory parameters: Name." in info.value.record.message
    with pytest.raises(BindingError) as info2:
        bind(spec(), [NamedArg("Name", NO_VALUE)], False)
    assert info2.value.record.message.startswith("Missing an argument for parameter 'Name'.")


def test_common_parameters_go_to_common_and_actions_are_validated() -> None:
    result = bind(
        spec(),
        [
            PositionalArg("a"),
            NamedArg("ea", "silentlycontinue"),
            NamedArg("Confirm", False, colon=True),
        ],
        False,
    )
    assert result.common == {"ErrorAction": "SilentlyContinue", "Confirm": False}
    with pytest.raises(BindingError):
        bind(spec(), [PositionalArg("a"), NamedArg("ErrorAction", "Sometimes")], False)


def test_through_a_session_with_module_qualified_name_and_splat(ps: Run) -> None:
    result = ps("$p = @{ Name = 'x'; Force = $true }; Hyper-V\\Set-TestThing @p -Count:3")
    assert errors(result) == []
    assert "Force" in result.stdout and "Count" in result.stdout


def test_unknown_parameter_in_a_session_is_statement_terminating(ps: Run) -> None:
    result = ps("Set-TestThing -Name a -Nope 1; 'next'")
    assert errors(result) == ["A parameter cannot be found that matches parameter name 'Nope'."]
    assert lines(result) == ["next"]
    error = result.records[0].text
    assert error.startswith("Set-TestThing : A parameter cannot be found")
    assert "At line:1 char:23" in error


def test_pipeline_objects_bind_one_at_a_time(ps: Run) -> None:
    assert lines(ps("'a', 'b' | Get-TestPiped -Tag t")) == ["['a']|['a']|t", "['b']|['b']|t"]


def test_application_gets_raw_arguments(ps: Run) -> None:
    assert lines(ps('testapp interface ip add dnsserver "Ethernet" address=8.8.8.8 -n 1')) == [
        "interface|ip|add|dnsserver|Ethernet|address=8.8.8.8|-n|1"
    ]


def test_aliases_of_core_cmdlets(ps: Run) -> None:
    assert lines(ps("1,2,3 | ? { $_ -gt 1 } | % { $_ * 10 } | select -First 1")) == ["20"]


def test_unknown_command_has_exact_windows_text(ps: Run) -> None:
    result = ps("Get-Foo -Name x")
    record = result.records[0].error
    assert record is not None
    assert record.message == (
        "The term 'Get-Foo' is not recognized as the name of a cmdlet, function, script"
        " file, or operable program. "
        "Check the spelling of the name, or if a path was included, verify that the path"
        " is correct and try again."
    )
    assert record.category.value == "ObjectNotFound"
    assert record.fqid == "CommandNotFoundException"
    assert result.exit_code == 1


def test_every_invocation_is_recorded_in_the_world(ps: Run, session: object) -> None:
    ps("Write-Output x | Out-Null; Get-Foo")
    executed = session.world.executed  # type: ignore[attr-defined]
    assert executed[-2:] == ["Write-Output", "Out-Null"]


def test_functions_bind_with_the_same_rules_as_cmdlets(ps: Run) -> None:
    """One binder: prefixes, ambiguity, duplicates and missing arguments as for cmdlets."""
    define = (
        "function Set-Box { [CmdletBinding()] param([int]$Count, [string]$Comment,"
        " [string]$Color, [switch]$Force) }\n"
    )
    result = ps(define + "Set-Box -Co 1")
    assert errors(result) == [
        "Parameter cannot be processed because the parameter name 'Co' is ambiguous."
        " Possible matches include: -Count -Comment -Color."
    ]
    assert result.records[-1].error is not None
    assert result.records[-1].error.fqid == "AmbiguousParameter,Set-Box"
    result = ps(define + "Set-Box -Count 1 -Count 2")
    assert errors(result)[0].startswith(
        "Cannot bind parameter because parameter 'Count' is specified more than once."
    )
    result = ps(define + "Set-Box -Count")
    assert errors(result) == [
        "Missing an argument for parameter 'Count'. Specify a parameter of type"
        " 'System.Int32' and try again."
    ]
    result = ps(define + "Set-Box -Colour red")
    assert errors(result) == ["A parameter cannot be found that matches parameter name 'Colour'."]


def test_simple_function_passes_unknown_names_to_args(ps: Run) -> None:
    result = ps('function f { param($a) "$a|$args" }\nf 1 -Other 2')
    assert lines(result) == ["1|-Other 2"]
    result = ps(
        'function g { [CmdletBinding()] param($a) "$a|$ErrorActionPreference" }\n'
        "g 1 -ea SilentlyContinue"
    )
    assert lines(result) == ["1|SilentlyContinue"]


def test_advanced_function_checks_its_error_action_value(ps: Run) -> None:
    result = ps("function f { [CmdletBinding()] param() 'ran' }\nf -ErrorAction Bogus")
    assert errors(result)[0].startswith(
        "Cannot bind parameter 'ErrorAction'. Cannot convert value \"Bogus\" to type"
        ' "System.Management.Automation.ActionPreference".'
    )
    assert lines(ps("function g { [CmdletBinding()] param() 'ran' }\ng -ea stop")) == ["ran"]
