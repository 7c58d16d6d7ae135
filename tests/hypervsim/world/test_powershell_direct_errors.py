"""Invoke-Command -VMName re-writes the guest's error records as its own non-terminating
errors: the invoking statement's $? is False (so powershell.exe -Command exits 1), at any
nesting depth; errors the guest silenced or caught do not count."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hypervsim.world.model import World

from .test_seed_procedure import build_lab, in_l1, in_l2


@pytest.mark.parametrize("wrap", [in_l1, in_l2], ids=["L1", "L2"])
def test_guest_errors_fail_the_invoking_statement(wrap: Callable[[str], str]) -> None:
    world = World.create()
    ps = build_lab(world)
    failed = ps.run(wrap("Write-Error 'inside'") + "; $?")
    assert failed.stdout.split() == ["False"]
    assert [r.kind for r in failed.records] == ["error"]
    last = ps.run(wrap("Write-Error 'inside'"))
    assert last.exit_code == 1

    silenced = ps.run(wrap("Write-Error 'quiet' -ErrorAction SilentlyContinue; 'ok'"))
    assert (silenced.stdout.split(), silenced.exit_code) == (["ok"], 0)
    caught = ps.run(wrap("try { throw 'x' } catch { 'caught' }"))
    assert (caught.stdout.split(), caught.exit_code) == (["caught"], 0)
