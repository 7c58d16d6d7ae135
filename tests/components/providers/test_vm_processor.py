"""`VmProcessorProvider` against the running emulator through real WinRM."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from components.providers.base import ProviderError
from components.providers.vm_processor import VmProcessorProvider

from .conftest import ps_literal

NASTY = 'cpu \u2018q\u2019 "dq" $(Stop-Computer) `t \u540d\u524d [x]'


@pytest.fixture
def provider(provider_factory: Callable[[type[Any]], Any]) -> VmProcessorProvider:
    made: VmProcessorProvider = provider_factory(VmProcessorProvider)
    return made


def checked(provider: VmProcessorProvider, **values: Any) -> dict[str, Any]:
    result = provider.check({}, {"host": "l0", **values})
    assert result.failures == [], [(f.property, f.reason) for f in result.failures]
    return result.inputs


def processor(host_json: Callable[[str], Any], vm_id: str) -> dict[str, Any]:
    return dict(
        host_json(
            f"$vm = Get-VM -Id {ps_literal(vm_id)}\n$cpu = Get-VMProcessor -VM $vm\n"
            "@{ count = $cpu.Count; nested = [bool]$cpu.ExposeVirtualizationExtensions; "
            'state = "$($vm.State)" }'
        )
    )


def test_check_and_diff_declare_in_place_vs_replace(provider: VmProcessorProvider) -> None:
    bad = provider.check({}, {"host": "l0", "vm_name": "", "count": 0, "stop_policy": "x"})
    assert {f.property for f in bad.failures} == {"vm_name", "count", "stop_policy"}
    olds = {**checked(provider, vm_name="a"), "vm_id": "id"}
    assert provider.diff("id", olds, checked(provider, vm_name="a")).changes is False
    flag = provider.diff("id", olds, checked(provider, vm_name="a", count=4))
    assert flag.changes is True and flag.replaces == []
    assert provider.diff("id", olds, checked(provider, vm_name="b")).replaces == ["vm_name"]


def test_create_read_round_trip_drift_and_tolerant_delete(
    provider: VmProcessorProvider,
    new_vm: Callable[..., str],
    host_json: Callable[[str], Any],
) -> None:
    vm_id = new_vm(NASTY)
    inputs = checked(provider, vm_name=NASTY, count=4, expose_virtualization_extensions=True)
    created = provider.create(inputs)
    assert created.id == vm_id and created.outs == {**inputs, "vm_id": vm_id, "restarts": 0}
    assert processor(host_json, vm_id) == {"count": 4, "nested": True, "state": "Off"}
    read = provider.read(created.id, created.outs)
    assert read.outs == created.outs and read.inputs == inputs

    host_json(
        f"Set-VMProcessor -VM (Get-VM -Id {ps_literal(vm_id)}) "
        "-ExposeVirtualizationExtensions $false -Count 2\n$true"
    )
    drifted = provider.read(created.id, created.outs)
    assert drifted.outs["expose_virtualization_extensions"] is False
    assert drifted.outs["count"] == 2
    diff = provider.diff(created.id, drifted.outs, inputs)
    assert diff.changes is True and diff.replaces == []
    provider.update(created.id, drifted.outs, inputs)
    assert processor(host_json, vm_id)["nested"] is True

    provider.delete(created.id, created.outs)  # no-op: the settings stay with the VM
    assert processor(host_json, vm_id)["count"] == 4
    host_json(f"Remove-VM -VM (Get-VM -Id {ps_literal(vm_id)}) -Force\n$true")
    assert provider.read(created.id, created.outs).id == ""
    provider.delete(created.id, created.outs)


def test_create_on_a_missing_vm_fails_clearly(provider: VmProcessorProvider) -> None:
    with pytest.raises(ProviderError) as info:
        provider.create(checked(provider, vm_name="no such vm"))
    assert "Expected one VM named 'no such vm' on this host, found 0." in str(info.value)


def test_nesting_change_on_running_vm_follows_stop_policy(
    provider: VmProcessorProvider,
    new_vm: Callable[..., str],
    host_json: Callable[[str], Any],
    unique: Callable[[str], str],
) -> None:
    name = unique("cpu-policy")
    vm_id = new_vm(name)
    inputs = checked(provider, vm_name=name, count=2)
    created = provider.create(inputs)
    host_json(f"Start-VM -VM (Get-VM -Id {ps_literal(vm_id)})\n$true")
    # Already as declared: nothing is sent, so a running VM is fine.
    assert provider.update(created.id, created.outs, inputs).outs == created.outs

    nested = {**inputs, "expose_virtualization_extensions": True}
    with pytest.raises(ProviderError) as info:
        provider.update(created.id, created.outs, nested)
    text = str(info.value)
    assert text.startswith("l0: update VmProcessor failed: ")
    assert "current state" in text and "stop_policy='stop-and-restore'" in text
    assert "\n" not in text
    assert processor(host_json, vm_id) == {"count": 2, "nested": False, "state": "Running"}

    restored = provider.update(
        created.id, created.outs, {**nested, "stop_policy": "stop-and-restore"}
    )
    assert processor(host_json, vm_id) == {"count": 2, "nested": True, "state": "Running"}
    assert restored.outs["restarts"] == 1  # counted into NestedHost.boot

    # An Off VM is left Off by stop-and-restore.
    host_json(f"Stop-VM -VM (Get-VM -Id {ps_literal(vm_id)}) -TurnOff -Force\n$true")
    off = {**nested, "count": 3, "stop_policy": "stop-and-restore"}
    left_off = provider.update(created.id, restored.outs, off)
    assert processor(host_json, vm_id) == {"count": 3, "nested": True, "state": "Off"}
    assert left_off.outs["restarts"] == 1


def test_diff_tells_at_preview_what_a_change_on_a_running_vm_will_do(
    provider: VmProcessorProvider,
    new_vm: Callable[..., str],
    host_json: Callable[[str], Any],
    unique: Callable[[str], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    name = unique("cpu-preview")
    vm_id = new_vm(name)
    inputs = checked(provider, vm_name=name, count=2)
    created = provider.create(inputs)
    more = {**inputs, "count": 3}
    assert provider.diff(created.id, created.outs, more).changes  # Off: nothing to tell
    host_json(f"Start-VM -VM (Get-VM -Id {ps_literal(vm_id)})\n$true")
    with pytest.raises(ProviderError, match="changing count needs the VM Off and it is Running"):
        provider.diff(created.id, created.outs, more)
    restore = {**more, "stop_policy": "stop-and-restore"}
    with caplog.at_level(logging.WARNING):
        assert provider.diff(created.id, created.outs, restore).changes
    assert "will shut it down, apply the change and start it again" in caplog.text
    # The guest login is never a change by itself.
    named = {**inputs, "guest_credential": "someone"}
    assert provider.diff(created.id, created.outs, named).changes is False
    assert processor(host_json, vm_id) == {"count": 2, "nested": False, "state": "Running"}
