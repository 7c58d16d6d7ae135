"""`VmNetworkAdapterProvider` against the running emulator through real WinRM."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.providers.base import ProviderError
from components.providers.vm_network_adapter import VmNetworkAdapterProvider

from .conftest import ps_literal

NASTY = 'nic \u2018q\u2019 "dq" $(Stop-Computer) `t \u540d [x]*'


@pytest.fixture
def provider(provider_factory: Callable[[type[Any]], Any]) -> VmNetworkAdapterProvider:
    made: VmNetworkAdapterProvider = provider_factory(VmNetworkAdapterProvider)
    return made


def checked(provider: VmNetworkAdapterProvider, **values: Any) -> dict[str, Any]:
    result = provider.check({}, {"host": "l0", **values})
    assert result.failures == [], [(f.property, f.reason) for f in result.failures]
    return result.inputs


def adapter(host_json: Callable[[str], Any], vm_id: str) -> dict[str, Any]:
    return dict(
        host_json(
            f"$a = @(Get-VMNetworkAdapter -VM (Get-VM -Id {ps_literal(vm_id)}))[0]\n"
            '@{ switch = $a.SwitchName; spoofing = "$($a.MacAddressSpoofing)"; '
            'mac = "$($a.MacAddress)" }'
        )
    )


def test_check_and_diff_declare_in_place_vs_replace(provider: VmNetworkAdapterProvider) -> None:
    bad = provider.check({}, {"host": "l0", "vm_name": "", "mac_address_spoofing": "maybe"})
    assert {f.property for f in bad.failures} == {"vm_name", "mac_address_spoofing"}
    base = checked(provider, vm_name="a", switch_name="External")
    olds = {**base, "vm_id": "v", "mac_address": "00155D000001"}
    assert provider.diff("i", olds, base).changes is False
    spoof = provider.diff("i", olds, {**base, "mac_address_spoofing": True, "switch_name": None})
    assert spoof.changes is True and spoof.replaces == []
    renamed = provider.diff("i", olds, {**base, "adapter_name": "Second"})
    assert renamed.replaces == ["adapter_name"]


def test_connect_spoof_read_drift_and_disconnect_on_delete(
    provider: VmNetworkAdapterProvider,
    new_vm: Callable[..., str],
    host_json: Callable[[str], Any],
) -> None:
    vm_id = new_vm(NASTY)
    inputs = checked(provider, vm_name=NASTY, switch_name="External", mac_address_spoofing=True)
    created = provider.create(inputs)
    on_host = adapter(host_json, vm_id)
    assert on_host["switch"] == "External" and on_host["spoofing"] == "On"
    assert created.outs == {**inputs, "vm_id": vm_id, "mac_address": on_host["mac"]}
    read = provider.read(created.id, created.outs)
    assert read.outs == created.outs and read.inputs == inputs

    host_json(
        f"Get-VMNetworkAdapter -VM (Get-VM -Id {ps_literal(vm_id)}) | "
        "Set-VMNetworkAdapter -MacAddressSpoofing Off\n$true"
    )
    drifted = provider.read(created.id, created.outs)
    assert drifted.outs["mac_address_spoofing"] is False
    diff = provider.diff(created.id, drifted.outs, inputs)
    assert diff.changes is True and diff.replaces == []
    provider.update(created.id, drifted.outs, inputs)
    assert adapter(host_json, vm_id)["spoofing"] == "On"

    unplugged = {**inputs, "switch_name": None}
    updated = provider.update(created.id, created.outs, unplugged)
    assert updated.outs["switch_name"] is None and adapter(host_json, vm_id)["switch"] is None
    provider.update(created.id, updated.outs, inputs)

    provider.delete(created.id, created.outs)
    assert adapter(host_json, vm_id)["switch"] is None
    provider.delete(created.id, created.outs)  # already disconnected: success
    host_json(f"Remove-VM -VM (Get-VM -Id {ps_literal(vm_id)}) -Force\n$true")
    assert provider.read(created.id, created.outs).id == ""
    provider.delete(created.id, created.outs)  # VM gone: success


def test_failed_connect_changes_nothing(
    provider: VmNetworkAdapterProvider,
    new_vm: Callable[..., str],
    host_json: Callable[[str], Any],
    unique: Callable[[str], str],
) -> None:
    name = unique("nic-partial")
    vm_id = new_vm(name)
    before = adapter(host_json, vm_id)
    inputs = checked(provider, vm_name=name, switch_name="no such switch")
    with pytest.raises(ProviderError) as info:
        provider.create({**inputs, "mac_address_spoofing": True})
    assert "no such switch" in str(info.value)
    assert adapter(host_json, vm_id) == before
    created = provider.create(checked(provider, vm_name=name, switch_name="External"))
    assert adapter(host_json, vm_id)["switch"] == "External"
    provider.delete(created.id, created.outs)


def test_missing_adapter_is_a_clear_error(
    provider: VmNetworkAdapterProvider, new_vm: Callable[..., str], unique: Callable[[str], str]
) -> None:
    name = unique("nic-missing")
    new_vm(name)
    with pytest.raises(ProviderError) as info:
        provider.create(checked(provider, vm_name=name, adapter_name="Second"))
    assert f"Expected one network adapter named 'Second' on VM '{name}', found 0." in str(
        info.value
    )
