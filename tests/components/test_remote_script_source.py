# ruff: noqa: RUF001  (typographic quotes are PowerShell quotes and the subject here)
"""Prelude functions go after the script's param block, so the result is valid PowerShell."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.remote import load_script
from components.remote.script_source import ScriptSourceError, param_block_end, with_preludes
from hypervsim.powershell.session import PowerShellSession
from hypervsim.world.model import World

PRELUDE = "function Get-Double { param($x) 2 * $x }"


def _run(script: str) -> tuple[str, list[str]]:
    """Run the composed script as the client's wrapper does: a script block with one argument."""
    world = World.create()
    session = PowerShellSession(world, world.root)
    source = script.replace("'", "''")
    with world.lock:
        result = session.run(f"& ([scriptblock]::Create('{source}')) '{{\"n\":21}}'")
    errors = [r.text for r in result.records if r.kind == "error"]
    return result.stdout.strip(), errors


@pytest.mark.parametrize(
    ("script", "block"),
    [
        ("param([string]$InputJson)\nbody", "param([string]$InputJson)"),
        ("PARAM ($InputJson) body", "PARAM ($InputJson)"),
        ("# leading comment (\n<# block ) #>\nparam($a)\nbody", "param($a)"),
        (
            "[CmdletBinding()]\nparam(\n  [string]$InputJson\n)\nbody",
            "param(\n  [string]$InputJson\n)",
        ),
        ("param($a = ')', $b = \"x)`\"$(')')\")\nbody", "param($a = ')', $b = \"x)`\"$(')')\")"),
        ("param($a = ‘it’’s )’, $b = “)”) body", "param($a = ‘it’’s )’, $b = “)”)"),
        ("param(\n  # a comment with )\n  $a\n)\nbody", "param(\n  # a comment with )\n  $a\n)"),
    ],
)
def test_param_block_end_skips_strings_comments_and_attributes(script: str, block: str) -> None:
    end = param_block_end(script)
    assert script[:end].endswith(block)
    assert script[end:].strip() == "body"


@pytest.mark.parametrize("script", ["Get-VM", "$parameters = 1", "[string]::Empty", ""])
def test_no_param_block_means_position_zero(script: str) -> None:
    assert param_block_end(script) == 0


def test_unclosed_param_block_is_reported() -> None:
    with pytest.raises(ScriptSourceError):
        param_block_end("param($a = 'x'")


def test_preludes_follow_the_param_block_and_the_result_runs() -> None:
    script = "param([string]$InputJson)\n$in = $InputJson | ConvertFrom-Json\nGet-Double $in.n"
    composed = with_preludes(script, [PRELUDE])
    assert composed.startswith("param([string]$InputJson)\nfunction Get-Double")
    assert _run(composed) == ("42", [])


def test_preludes_in_front_of_param_fail_as_in_powershell() -> None:
    script = "param([string]$InputJson)\n'x'"
    _, errors = _run(PRELUDE + "\n" + script)
    assert any("The term 'param' is not recognized" in e for e in errors)


def test_load_script_reads_files_and_strips_the_bom(tmp_path: Path) -> None:
    main = tmp_path / "op.ps1"
    main.write_text("\ufeffparam($InputJson)\nGet-Double 4", encoding="utf-8")
    prelude = tmp_path / "prelude.ps1"
    prelude.write_text(PRELUDE, encoding="utf-8-sig")
    text = load_script(main, prelude)
    assert text == f"param($InputJson)\n{PRELUDE}\n\nGet-Double 4"
    assert load_script(main) == "param($InputJson)\nGet-Double 4"
