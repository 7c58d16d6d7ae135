"""The provider framework end to end on the emulator, with a small VM provider written here.

It exercises what every real provider inherits: host resolution from the environment,
check/diff from property descriptions, full outputs, read for drift, tolerant delete, clean
errors, and the shared stop-and-restore prelude.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from components.providers.base import (
    HOST_PROP,
    STOP_POLICY_PROP,
    VM_POWER_PRELUDE,
    HostBoundProvider,
    Operation,
    ProviderError,
)
from components.providers.properties import Prop, PropertyDiff, PropertySet
from components.remote import POOL, RemotePowerShell

SCRIPTS = {
    "create": """param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json
$vm = New-VM -Name $in.name -MemoryStartupBytes 1GB -Generation 2
Set-VM -VM $vm -Notes $in.notes
Set-VMProcessor -VMName $in.name -Count $in.cpu_count
@{ vm_id = "$($vm.Id)" } | ConvertTo-Json -Compress
""",
    "read": """param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json
$vm = Get-VM -Name $in.name -ErrorAction SilentlyContinue
if ($null -eq $vm) { return (@{ exists = $false } | ConvertTo-Json -Compress) }
@{ exists = $true; notes = $vm.Notes; cpu_count = (Get-VMProcessor -VMName $in.name).Count;
   vm_id = "$($vm.Id)"; state = "$($vm.State)" } | ConvertTo-Json -Compress
""",
    "update": """param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json
Set-VM -Name $in.name -Notes $in.notes
$target = Get-VM | Where-Object { $_.Name -eq $in.name }
$power = Invoke-WhileVmOff -VM $target -Policy $in.stop_policy -Change {
    Set-VMProcessor -VM $target -Count $in.cpu_count
}
@{ warnings = $power.warnings; restarted = $power.restarted } | ConvertTo-Json -Compress
""",
    "delete": """param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json
$vm = Get-VM -Name $in.name -ErrorAction SilentlyContinue
if ($null -ne $vm) { Remove-VM -Name $in.name -Force }
@{} | ConvertTo-Json -Compress
""",
}

TOY_VM = PropertySet(
    "ToyVm",
    [
        HOST_PROP,
        Prop("name", str, replaces=True),
        Prop("notes", str, default=""),
        Prop("cpu_count", int, default=1, needs_off=True),
        STOP_POLICY_PROP,
        Prop("vm_id", str, computed=True),
    ],
)


class ToyVm(HostBoundProvider):
    """Minimal provider: a VM with notes and a processor count (Off-only change)."""

    properties = TOY_VM
    scripts_dir: Path

    def script_path(self, name: str) -> Path:
        return self.scripts_dir / f"{name}.ps1"

    def create_object(self, op: Operation, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        made = op.run("create", inputs)
        return made["vm_id"], made

    def read_object(self, op: Operation, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        got = op.run("read", {"name": props["name"]})
        if not got["exists"]:
            return None
        return {k: got[k] for k in ("notes", "cpu_count", "vm_id")}

    def update_object(
        self,
        op: Operation,
        id_: str,
        olds: dict[str, Any],
        news: dict[str, Any],
        diff: PropertyDiff,
    ) -> dict[str, Any]:
        op.run("update", news, VM_POWER_PRELUDE)
        return {"vm_id": olds["vm_id"]}

    def delete_object(self, op: Operation, id_: str, props: dict[str, Any]) -> None:
        op.run("delete", {"name": props["name"]})


@pytest.fixture
def provider(emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ToyVm]:
    host = {"endpoint": emulator.endpoint, "user": emulator.user, "backoff_s": 0.01}
    monkeypatch.setenv("HYPERV_LAB_HOSTS", json.dumps({"l0": host}))
    monkeypatch.setenv("HYPERV_LAB_PASSWORD_L0", emulator.password)
    for name, text in SCRIPTS.items():
        (tmp_path / f"{name}.ps1").write_text(text, encoding="utf-8")
    toy = ToyVm()
    toy.scripts_dir = tmp_path
    yield toy
    POOL.close_all()


def _inputs(provider: ToyVm, **values: Any) -> dict[str, Any]:
    checked = provider.check({}, {"host": "l0", **values})
    assert checked.failures == []
    return checked.inputs


def test_create_read_round_trip_and_tolerant_delete(provider: ToyVm) -> None:
    name = "toy \u20181\u2019 $(x) \u201cq\u201d"
    inputs = _inputs(provider, name=name, notes="ünï `n $(boom)", cpu_count=2)
    created = provider.create(inputs)
    assert created.outs == {**inputs, "vm_id": created.id}
    read = provider.read(created.id, created.outs)
    assert read.outs == created.outs and read.inputs == inputs
    provider.delete(created.id, created.outs)
    provider.delete(created.id, created.outs)  # already gone: still success
    gone = provider.read(created.id, created.outs)
    assert gone.id == ""


def test_drift_made_out_of_band_is_seen_by_read(provider: ToyVm, emulator: Any) -> None:
    inputs = _inputs(provider, name="toy-drift", notes="as declared")
    created = provider.create(inputs)
    host = provider.lab().host("l0")
    RemotePowerShell(host).run(
        "param($InputJson) Set-VM -Name 'toy-drift' -Notes 'changed by hand'; '{}'", {}, "drift"
    )
    read = provider.read(created.id, created.outs)
    assert read.outs["notes"] == "changed by hand"
    diff = provider.diff(created.id, read.outs, inputs)
    assert diff.changes and diff.replaces == []
    provider.delete(created.id, created.outs)


def test_off_only_change_fails_with_windows_rule_or_stops_and_restores(provider: ToyVm) -> None:
    inputs = _inputs(provider, name="toy-power", cpu_count=1)
    created = provider.create(inputs)
    host = provider.lab().host("l0")
    RemotePowerShell(host).run("param($InputJson) Start-VM -Name 'toy-power'; '{}'", {}, "start")

    more = {**inputs, "cpu_count": 2}
    with pytest.raises(ProviderError) as info:
        provider.update(created.id, created.outs, more)
    text = str(info.value)
    assert text.startswith("l0: update ToyVm failed: ") and "\n" not in text
    assert provider.read(created.id, created.outs).outs["cpu_count"] == 1

    updated = provider.update(created.id, created.outs, {**more, "stop_policy": "stop-and-restore"})
    assert updated.outs["cpu_count"] == 2
    state = RemotePowerShell(host).run(
        "param($InputJson) @{ s = \"$((Get-VM -Name 'toy-power').State)\" } | ConvertTo-Json",
        {},
        "state",
    )
    assert state == {"s": "Running"}
    assert provider.read(created.id, updated.outs).outs["cpu_count"] == 2
    RemotePowerShell(host).run(
        "param($InputJson) Stop-VM -Name 'toy-power' -TurnOff -Force; '{}'", {}, "off"
    )
    provider.delete(created.id, updated.outs)


def test_powershell_error_is_one_clean_line_without_secret(provider: ToyVm, emulator: Any) -> None:
    inputs = _inputs(provider, name="toy-vanished")
    created = provider.create(inputs)
    provider.delete(created.id, created.outs)
    with pytest.raises(ProviderError) as info:
        provider.update(created.id, created.outs, {**inputs, "notes": "new"})
    text = str(info.value)
    assert text.startswith("l0: update ToyVm failed: ")
    assert "Hyper-V was unable to find a virtual machine with name" in text
    assert "\n" not in text and emulator.password not in text
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_stop_and_restore_acts_on_its_own_vm_not_on_a_wildcard_match(provider: ToyVm) -> None:
    """`[1]` in a VM name is a wildcard to `-Name`: the power helper must take the VM object,
    or it would stop and restart `toy-w1` instead of `toy-w[1]`."""
    host = provider.lab().host("l0")
    inputs = _inputs(provider, name="toy-w[1]", cpu_count=1)
    created = provider.create(inputs)
    RemotePowerShell(host).run(
        "param($InputJson) New-VM -Name 'toy-w1' | Start-VM; "
        "Get-VM | Where-Object { $_.Name -eq 'toy-w[1]' } | Start-VM; '{}'",
        {},
        "start",
    )
    updated = provider.update(
        created.id, created.outs, {**inputs, "cpu_count": 2, "stop_policy": "stop-and-restore"}
    )
    assert updated.outs["cpu_count"] == 2
    states = RemotePowerShell(host).run(
        'param($InputJson) $s = @{}; Get-VM | ForEach-Object { $s[$_.Name] = "$($_.State)" }; '
        "$s | ConvertTo-Json",
        {},
        "states",
    )
    assert states["toy-w1"] == "Running" and states["toy-w[1]"] == "Running"
    cpus = RemotePowerShell(host).run(
        "param($InputJson) @{ w1 = (Get-VMProcessor -VM (Get-VM | Where-Object { $_.Name -eq 'toy-w1' })).Count } "
        "| ConvertTo-Json",
        {},
        "cpus",
    )
    assert cpus == {"w1": 1}
    RemotePowerShell(host).run(
        "param($InputJson) Get-VM | Where-Object { $_.Name -like 'toy-w*' } | Stop-VM -TurnOff -Force; "
        "Get-VM | Where-Object { $_.Name -eq 'toy-w1' } | Remove-VM -Force; '{}'",
        {},
        "off",
    )
    provider.delete(created.id, updated.outs)
