# ruff: noqa: RUF001, RUF003  (typographic quotes and dashes are the subject here)
"""normalize.py: typographic dashes/quotes become syntax only where PowerShell treats them so."""

from __future__ import annotations

from hypervsim.powershell.normalize import normalize


def test_plain_ascii_is_returned_unchanged() -> None:
    text = "Get-VM -Name 'x' | Select-Object Name"
    assert normalize(text) is text


def test_en_dash_parameters_and_curly_double_quotes() -> None:
    src = "New-NetNat –Name LocalNAT –InternalIPInterfaceAddressPrefix “192.168.100.0/24”"
    assert (
        normalize(src)
        == 'New-NetNat -Name LocalNAT -InternalIPInterfaceAddressPrefix "192.168.100.0/24"'
    )


def test_em_dash_and_horizontal_bar_operators() -> None:
    assert normalize("if ($a —eq 1 ―and $b) {}") == "if ($a -eq 1 -and $b) {}"


def test_length_is_preserved_char_for_char() -> None:
    src = "Set-VMProcessor –VMName “Ü” –ExposeVirtualizationExtensions $true"
    assert len(normalize(src)) == len(src)


def test_dash_inside_string_literals_is_kept() -> None:
    assert normalize("Write-Output 'a–b' “c–d”") == "Write-Output 'a–b' \"c–d\""


def test_dash_inside_a_bareword_is_kept() -> None:
    assert normalize("Write-Output Lab–1") == "Write-Output Lab–1"


def test_curly_single_quotes_delimit_and_doubled_pairs_become_ascii_escapes() -> None:
    # ’’ inside a single-quoted string is an escaped quote; the parser keeps the second char.
    assert normalize("‘It’’s’") == "'It''s'"


def test_single_curly_quote_inside_double_quoted_string_is_content() -> None:
    assert normalize('"It’s"') == '"It’s"'


def test_code_inside_subexpression_of_a_string_is_normalised() -> None:
    assert normalize('"$(Get-VM –Name “x”)–y"') == '"$(Get-VM -Name "x")–y"'


def test_here_string_markers_are_normalised_but_content_is_not() -> None:
    src = "@“\nsay “hi” – ok\n”@"
    assert normalize(src) == '@"\nsay “hi” – ok\n"@'


def test_comments_are_left_alone() -> None:
    assert normalize("# it’s –fine\n1") == "# it’s –fine\n1"
