"""`WindowsFeatureProvider` in a Windows 11 L1 (client: no Install-WindowsFeature) on an
emulated Windows 11 host of its own: Hyper-V through Enable-WindowsOptionalFeature, the
restart, the bounded wait, and reads of the optional feature's state."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from components.providers.base import ProviderError
from components.providers.windows_feature import WindowsFeatureProvider
from tests.components.providers.conftest import GUEST_PASSWORD, GUEST_USER, ps_literal
from tests.components.providers.image_vms import image_vm_script
from tests.conftest import Emulator, _new_emulator

WIN11_IMAGE = "C:\\Images\\Win11-Enterprise.vhdx"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    emu = _new_emulator(Path(tmp_path_factory.mktemp("feature-client")), host_profile="win11-amd")
    yield emu
    emu.stop()


@pytest.fixture
def provider(provider_factory: Callable[[type[Any]], Any]) -> WindowsFeatureProvider:
    made: WindowsFeatureProvider = provider_factory(WindowsFeatureProvider)
    return made


@pytest.fixture
def make_l1(host_ps: Callable[[str], str], unique: Callable[[str], str]) -> Callable[..., str]:
    """make_l1(expose=True) -> a running Windows 11 L1 built from the host's image."""

    def make(expose: bool = True) -> str:
        name = unique("W11")
        host_ps(image_vm_script(name, WIN11_IMAGE, GUEST_PASSWORD, expose=expose))
        return name

    return make


def in_guest(host_ps: Callable[[str], str], vm: str, body: str) -> str:
    return host_ps(
        f"$pw = ConvertTo-SecureString {ps_literal(GUEST_PASSWORD)} -AsPlainText -Force\n"
        "$cred = New-Object System.Management.Automation.PSCredential "
        f"({ps_literal(GUEST_USER)}, $pw)\n"
        f"Invoke-Command -VMName {ps_literal(vm)} -Credential $cred -ScriptBlock {{ {body} }}"
    )


def hyperv_state(host_ps: Callable[[str], str], vm: str) -> str:
    return in_guest(
        host_ps,
        vm,
        '"$((Get-WindowsOptionalFeature -Online -FeatureName Microsoft-Hyper-V).State)"',
    )


def guest(vm: str) -> dict[str, str]:
    return {"parent": "l0", "vm_name": vm, "credential": "guest"}


def checked(provider: WindowsFeatureProvider, **values: Any) -> dict[str, Any]:
    result = provider.check({}, values)
    assert result.failures == [], [(f.property, f.reason) for f in result.failures]
    return result.inputs


def test_the_guest_is_client_windows_without_install_windowsfeature(
    make_l1: Callable[..., str], host_ps: Callable[[str], str]
) -> None:
    """What the provider tells the editions apart by, as this L1 shows it."""
    vm = make_l1()
    got = in_guest(
        host_ps, vm, '"$($null -eq (Get-Command Install-WindowsFeature -ErrorAction Ignore))"'
    )
    assert got == "True"
    assert hyperv_state(host_ps, vm) == "Disabled"


def test_hyperv_enabled_as_an_optional_feature_with_restart(
    provider: WindowsFeatureProvider, make_l1: Callable[..., str], host_ps: Callable[[str], str]
) -> None:
    vm = make_l1()
    inputs = checked(provider, host=guest(vm))
    created = provider.create(inputs)
    assert created.outs == {**inputs, "installed": True, "restart_needed": False}
    assert hyperv_state(host_ps, vm) == "Enabled"
    assert provider.read(created.id, created.outs).outs == created.outs
    assert provider.create(inputs).outs == created.outs  # already enabled: nothing to do


def test_without_restart_the_feature_reads_pending_until_an_update_restarts(
    provider: WindowsFeatureProvider, make_l1: Callable[..., str], host_ps: Callable[[str], str]
) -> None:
    vm = make_l1()
    inputs = checked(provider, host=guest(vm), restart=False)
    created = provider.create(inputs)
    assert created.outs["installed"] is False and created.outs["restart_needed"] is True
    assert hyperv_state(host_ps, vm) == "EnablePending"
    assert provider.read(created.id, created.outs).outs == created.outs
    updated = provider.update(created.id, created.outs, {**inputs, "restart": True})
    assert updated.outs["installed"] is True and updated.outs["restart_needed"] is False
    assert hyperv_state(host_ps, vm) == "Enabled"


def test_without_virtualization_extensions_windows_refuses(
    provider: WindowsFeatureProvider, make_l1: Callable[..., str], host_ps: Callable[[str], str]
) -> None:
    vm = make_l1(expose=False)
    with pytest.raises(ProviderError) as info:
        provider.create(checked(provider, host=guest(vm)))
    text = str(info.value)
    assert text.startswith(f"l0.{vm}: create WindowsFeature failed: ")
    assert GUEST_PASSWORD not in text
    assert hyperv_state(host_ps, vm) == "Disabled"


def test_an_unknown_optional_feature_fails_at_once(
    provider: WindowsFeatureProvider, make_l1: Callable[..., str]
) -> None:
    with pytest.raises(ProviderError, match="Not-A-Feature"):
        provider.create(checked(provider, host=guest(make_l1()), name="Not-A-Feature"))
