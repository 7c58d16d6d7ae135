"""`VmPowerStateProvider` against the running emulator through real WinRM."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.providers.properties import UNKNOWN
from components.providers.vm_power_state import VmPowerStateProvider

from .conftest import ps_literal

NASTY = 'pwr \u2018q\u2019 "dq" $(Stop-Computer) `t \u00fc [x]*'


@pytest.fixture
def provider(provider_factory: Callable[[type[Any]], Any]) -> VmPowerStateProvider:
    made: VmPowerStateProvider = provider_factory(VmPowerStateProvider)
    return made


def checked(provider: VmPowerStateProvider, **values: Any) -> dict[str, Any]:
    result = provider.check({}, {"host": "l0", **values})
    assert result.failures == [], [(f.property, f.reason) for f in result.failures]
    return result.inputs


def state(host_json: Callable[[str], Any], vm_id: str) -> str:
    return str(host_json(f'"$((Get-VM -Id {ps_literal(vm_id)}).State)"'))


def test_check_refuses_unknown_states(provider: VmPowerStateProvider) -> None:
    bad = provider.check({}, {"host": "l0", "vm_name": "a", "state": "Paused"})
    assert [f.property for f in bad.failures] == ["state"]
    assert checked(provider, vm_name="a")["state"] == "Running"


def test_a_new_parent_boot_is_a_change_and_one_not_known_yet_is_not(
    provider: VmPowerStateProvider,
) -> None:
    olds = {**checked(provider, vm_name="a", parent_boot="0/0/1"), "vm_id": "x", "starts": 0}
    same = checked(provider, vm_name="a", parent_boot="0/0/1")
    assert provider.diff("x", olds, same).changes is False
    assert provider.diff("x", olds, checked(provider, vm_name="a", parent_boot="0/0/2")).changes
    preview = {**checked(provider, vm_name="a"), "parent_boot": UNKNOWN}
    assert provider.diff("x", olds, preview).changes is False


def test_start_read_drift_stop_and_noop_delete(
    provider: VmPowerStateProvider,
    new_vm: Callable[..., str],
    host_json: Callable[[str], Any],
) -> None:
    vm_id = new_vm(NASTY)
    inputs = checked(provider, vm_name=NASTY)
    created = provider.create(inputs)
    assert created.id == vm_id and created.outs == {**inputs, "vm_id": vm_id, "starts": 0}
    assert state(host_json, vm_id) == "Running"
    read = provider.read(created.id, created.outs)
    assert read.outs == created.outs and read.inputs == inputs

    host_json(f"Stop-VM -VM (Get-VM -Id {ps_literal(vm_id)}) -TurnOff -Force\n$true")
    drifted = provider.read(created.id, created.outs)
    assert drifted.outs["state"] == "Off"
    diff = provider.diff(created.id, drifted.outs, inputs)
    assert diff.changes is True and diff.replaces == []
    restarted = provider.update(created.id, drifted.outs, inputs)
    assert state(host_json, vm_id) == "Running"
    assert restarted.outs["starts"] == 1  # NestedHost.boot: its guests are started again
    assert provider.update(created.id, restarted.outs, inputs).outs["starts"] == 1

    off = {**inputs, "state": "Off"}
    updated = provider.update(created.id, created.outs, off)
    assert updated.outs["state"] == "Off" and state(host_json, vm_id) == "Off"
    provider.update(created.id, updated.outs, off)  # already Off: nothing to do
    assert state(host_json, vm_id) == "Off"

    provider.update(created.id, updated.outs, inputs)
    provider.delete(created.id, created.outs)  # no-op: the VM keeps running
    assert state(host_json, vm_id) == "Running"
    host_json(
        f"$vm = Get-VM -Id {ps_literal(vm_id)}\nStop-VM -VM $vm -TurnOff -Force\n"
        "Remove-VM -VM $vm -Force\n$true"
    )
    assert provider.read(created.id, created.outs).id == ""
    provider.delete(created.id, created.outs)
