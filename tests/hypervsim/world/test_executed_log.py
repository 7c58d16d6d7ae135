"""`World.executed`: the record of every command name the interpreter ran (injection tests
read it from the state file). Only the newest EXECUTED_KEEP names are kept, with a running
total, so the state rewritten after every command stays small however long the server runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hypervsim.powershell.session import PowerShellSession
from hypervsim.world import model
from hypervsim.world.model import EXECUTED_KEEP, World
from tests.conftest import EmulatorFactory


def test_the_newest_names_are_kept_with_a_total(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model, "EXECUTED_KEEP", 5)
    world = World.create()
    for n in range(12):
        world.record_execution("HV-HOST01", f"Cmd-{n}")
    assert world.executed == [f"Cmd-{n}" for n in range(7, 12)]
    assert world.executed_total == 12


def test_the_default_cap_bounds_the_state_file(tmp_path: Path) -> None:
    world = World.create()
    for n in range(EXECUTED_KEEP + 250):
        world.record_execution("HV-HOST01", f"Cmd-{n}")
    path = tmp_path / "w.json"
    world.save(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data["executed"], list) and len(data["executed"]) == EXECUTED_KEEP
    assert data["executed"][-1] == f"Cmd-{EXECUTED_KEEP + 249}"
    assert data["executed_total"] == EXECUTED_KEEP + 250
    again = World.load(path)
    assert (again.executed, again.executed_total) == (world.executed, world.executed_total)


def test_old_state_files_without_a_total_load(tmp_path: Path) -> None:
    data = World.create().to_json()
    data.pop("executed_total")
    data["executed"] = ["Get-VM", "New-VM"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    loaded = World.load(path)
    assert (loaded.executed, loaded.executed_total) == (["Get-VM", "New-VM"], 2)


def test_executed_since_a_mark(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model, "EXECUTED_KEEP", 4)
    world = World.create()
    ps = PowerShellSession(world, world.root)
    ps.run("Get-VM | Out-Null")
    mark = world.executed_total
    ps.run("Get-VMSwitch | Out-Null; hostname")
    assert world.executed_since(mark) == ["Get-VMSwitch", "Out-Null", "hostname"]
    assert world.executed_since(world.executed_total) == []
    ps.run("Get-VM; Get-VM; Get-VM")
    with pytest.raises(ValueError, match="no longer all kept"):
        world.executed_since(mark)  # rotated past the mark: say so, never miss silently


def test_served_world_caps_its_persisted_record(emulator_factory: EmulatorFactory) -> None:
    emu = emulator_factory(executed_keep=3)
    result = emu.session("ntlm").run_ps("Get-VM | Out-Null; Get-VMSwitch | Out-Null; hostname")
    assert result.status_code == 0
    data = json.loads(emu.state_path.read_text(encoding="utf-8"))
    assert data["executed"] == ["Get-VMSwitch", "Out-Null", "hostname"]
    assert data["executed_total"] == 5
