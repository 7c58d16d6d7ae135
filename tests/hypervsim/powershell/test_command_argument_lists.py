"""`Command Word(a, b)`: in command mode `(` ends a bareword, so the list is its own argument."""

from __future__ import annotations

from collections.abc import Callable

from hypervsim.powershell import ast as psast
from hypervsim.powershell.parser import parse
from hypervsim.powershell.session import RunResult
from tests.hypervsim.powershell.conftest import errors, lines

Run = Callable[[str], RunResult]


def _arguments(src: str) -> list[psast.Expr]:
    stmt = parse(src).block.end[0]
    assert isinstance(stmt, psast.Pipeline)
    cmd = stmt.stages[0]
    assert isinstance(cmd, psast.Command)
    return [e.value for e in cmd.elements if isinstance(e, psast.CommandArgument)]


def test_type_name_then_one_array_argument() -> None:
    type_name, array = _arguments("New-Object Some.Type($a, 'x')")
    assert isinstance(type_name, psast.Constant) and type_name.value == "Some.Type"
    assert isinstance(array, psast.ArrayLiteral) and len(array.items) == 2


def test_a_single_item_is_the_value_itself() -> None:
    _, value = _arguments("Write-Output a($b)")
    assert isinstance(value, psast.VariableRef) and value.name == "b"


def test_new_object_pscredential_with_parenthesised_arguments(ps: Run) -> None:
    result = ps(
        "$s = ConvertTo-SecureString -String 'pw' -AsPlainText -Force\n"
        "$in = @{ user = 'lab\\admin' }\n"
        "$c = New-Object System.Management.Automation.PSCredential($in.user, $s)\n"
        "$c.UserName\n"
        "$c -is [pscredential]"
    )
    assert errors(result) == []
    assert lines(result) == ["lab\\admin", "True"]


def test_the_list_binds_positionally_like_any_argument(ps: Run) -> None:
    assert lines(ps("Write-Output a(1, 2)")) == ["a", "1", "2"]


def test_empty_parentheses_are_a_parse_error_as_in_powershell(ps: Run) -> None:
    result = ps("Write-Output a()")
    assert errors(result) == ["An expression was expected after '('."]
    assert result.exit_code == 1
