# ruff: noqa: RUF001  (typographic quotes and dashes are the subject here)
"""parser.py: tree-sitter tree -> our AST, string rebuilding, grammar work-arounds, errors."""

from __future__ import annotations

import pytest

from hypervsim.powershell import ast as psast
from hypervsim.powershell.api import ErrorCategory
from hypervsim.powershell.parser import ParseFailure, parse


def first(src: str) -> psast.Statement:
    return parse(src).block.end[0]


def command(src: str) -> psast.Command:
    stmt = first(src)
    assert isinstance(stmt, psast.Pipeline)
    cmd = stmt.stages[0]
    assert isinstance(cmd, psast.Command)
    return cmd


def test_microsoft_doc_line_with_en_dash_and_curly_quotes() -> None:
    cmd = command("New-NetNat –Name LocalNAT –InternalIPInterfaceAddressPrefix “192.168.100.0/24”")
    assert cmd.name == "New-NetNat"
    params = [e for e in cmd.elements if isinstance(e, psast.CommandParameter)]
    args = [e for e in cmd.elements if isinstance(e, psast.CommandArgument)]
    assert [p.name for p in params] == ["Name", "InternalIPInterfaceAddressPrefix"]
    assert [a.value.value for a in args] == ["LocalNAT", "192.168.100.0/24"]  # type: ignore[attr-defined]


def test_colon_parameter_value_binds_to_the_parameter() -> None:
    cmd = command("Remove-NetNat -Confirm:$false -Name x")
    param = cmd.elements[0]
    assert isinstance(param, psast.CommandParameter) and param.name == "Confirm"
    assert isinstance(param.value, psast.VariableRef) and param.value.name == "false"


def test_module_qualified_name_and_splat() -> None:
    cmd = command("Hyper-V\\Get-VM @p")
    assert cmd.name == "Hyper-V\\Get-VM"
    arg = cmd.elements[0]
    assert isinstance(arg, psast.CommandArgument) and arg.splat


def test_positions_are_one_based_lines_and_columns() -> None:
    script = parse("$a = 1\n  Get-VM")
    stmt = script.block.end[1]
    assert (stmt.line, stmt.col) == (2, 3)


def test_columns_count_characters_not_bytes() -> None:
    script = parse("'ÄÖÜ'; Get-X")
    stmt = script.block.end[1]
    assert stmt.col == 8


def test_single_quoted_string_with_curly_escape_keeps_second_char() -> None:
    stmt = first("‘It’’s’")
    expr = stmt.stages[0].expr  # type: ignore[attr-defined]
    assert expr == psast.Constant("It’s", line=1, col=1)


def test_double_quoted_string_parts_and_escapes() -> None:
    expr = first('"a`tb $x $($y) ""q"" `$z"').stages[0].expr  # type: ignore[attr-defined]
    assert isinstance(expr, psast.ExpandableString)
    assert expr.parts[0] == "a\tb "
    assert isinstance(expr.parts[1], psast.VariableRef)
    assert isinstance(expr.parts[3], psast.SubExpr)
    assert expr.parts[4] == ' "q" $z'


def test_here_strings_both_kinds() -> None:
    verbatim = first("@'\nline $x\n'@").stages[0].expr  # type: ignore[attr-defined]
    assert verbatim.value == "line $x"
    expandable = first('@"\nhi $x "q"\n"@').stages[0].expr  # type: ignore[attr-defined]
    assert expandable.parts[0] == "hi " and expandable.parts[2] == ' "q"'


def test_range_in_command_position_is_an_expression() -> None:
    stmt = first("1..3 | ForEach-Object { $_ }")
    assert isinstance(stmt, psast.Pipeline)
    head = stmt.stages[0]
    assert (
        isinstance(head, psast.ExprStage)
        and isinstance(head.expr, psast.BinaryOp)
        and head.expr.op == ".."
    )
    assert head.col == 1


def test_param_block_defaults_and_switch_split_correctly() -> None:
    script = parse("param([Parameter(Mandatory)][string]$a, [int]$b = 2, [switch]$s)\n$a")
    names = [(p.name, p.type_name, p.mandatory) for p in script.block.params]
    assert names == [("a", "string", True), ("b", "int", False), ("s", "switch", False)]
    assert script.block.params[1].default == psast.Constant(2, line=1, col=51)


def test_one_line_switch_without_semicolons() -> None:
    stmt = first("switch ($x) { 'a' { 1 } default { 2 } }")
    assert isinstance(stmt, psast.SwitchStatement)
    assert [c.condition for c in stmt.clauses][1] is None


def test_numbers_with_multipliers_and_hex() -> None:
    values = [s.stages[0].expr.value for s in parse("1kb; 0x1F; 1.5; 2gb").block.end]  # type: ignore[attr-defined]
    assert values == [1024, 31, 1.5, 2 * 1024**3]


def test_parse_error_reports_line_and_column() -> None:
    with pytest.raises(ParseFailure) as info:
        parse("$a = 1\nif ($a {")
    record = info.value.record
    assert record.category == ErrorCategory.ParserError
    assert record.line == 2
    assert record.column is not None
    assert record.exception_type.endswith("ParseException")


def test_unterminated_string_is_a_parse_error() -> None:
    with pytest.raises(ParseFailure) as info:
        parse("Write-Output 'abc")
    assert "terminator" in info.value.record.message


def test_function_with_named_blocks() -> None:
    stmt = first("function f { begin { 1 } process { $_ } end { 2 } }")
    assert isinstance(stmt, psast.FunctionDefinition)
    assert stmt.block.process is not None and stmt.block.begin and stmt.block.end
