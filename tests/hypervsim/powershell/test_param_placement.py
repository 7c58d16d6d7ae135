"""`param(...)` is only a param block as a script's first statement, as in PowerShell."""

from __future__ import annotations

from collections.abc import Callable

from hypervsim.powershell.session import RunResult
from tests.hypervsim.powershell.conftest import errors, lines

Run = Callable[[str], RunResult]


def test_param_after_another_statement_is_an_unknown_command(ps: Run) -> None:
    result = ps("function f { 1 }\nparam($x)\n'after'")
    assert errors(result) == [
        "The term 'param' is not recognized as the name of a cmdlet, function, script file, "
        "or operable program. Check the spelling of the name, or if a path was included, "
        "verify that the path is correct and try again."
    ]
    (record,) = [r for r in result.records if r.kind == "error"]
    assert record.error is not None and record.error.fqid == "CommandNotFoundException"
    assert lines(result) == ["after"]


def test_param_first_then_definitions_binds_the_argument(ps: Run) -> None:
    script = "param($x)\nfunction f { 2 * $x }\nf"
    assert lines(ps(f"& ([scriptblock]::Create('{script}')) 21")) == ["42"]
