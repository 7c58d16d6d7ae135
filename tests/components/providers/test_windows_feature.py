"""`WindowsFeatureProvider` against an emulator of its own, through real WinRM and PowerShell
Direct: Hyper-V inside Windows Server L1 guests, restart and wait (client Windows:
test_windows_feature_client.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pulumi.dynamic import ConfigureRequest

from components.providers.base import ProviderError
from components.providers.windows_feature import WindowsFeatureProvider
from components.remote import PowerShellError
from components.remote.errors import GUEST_NOT_ANSWERING_ID
from tests.components.providers.conftest import GUEST_PASSWORD
from tests.components.providers.image_vms import image_vm_script
from tests.conftest import Emulator, _new_emulator

IMAGE = "C:\\Images\\WS2022-Datacenter.vhdx"  # the emulated host's generalized image


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    emu = _new_emulator(Path(tmp_path_factory.mktemp("feature")))
    yield emu
    emu.stop()


@pytest.fixture
def provider(provider_factory: Callable[[type[Any]], Any]) -> WindowsFeatureProvider:
    made: WindowsFeatureProvider = provider_factory(WindowsFeatureProvider)
    return made


@pytest.fixture
def make_l1(host_ps: Callable[[str], str], unique: Callable[[str], str]) -> Callable[..., str]:
    """make_l1(expose=True, image=WS2022) -> name of a running L1 VM booted from `image` with
    an answer file setting the test credential's password (plain PowerShell)."""

    def make(expose: bool = True, image: str = IMAGE) -> str:
        name = unique("L1")
        host_ps(image_vm_script(name, image, GUEST_PASSWORD, expose=expose))
        return name

    return make


def guest(vm: str) -> dict[str, str]:
    return {"parent": "l0", "vm_name": vm, "credential": "guest"}


def checked(provider: WindowsFeatureProvider, **values: Any) -> dict[str, Any]:
    result = provider.check({}, values)
    assert result.failures == [], [(f.property, f.reason) for f in result.failures]
    return result.inputs


def test_hyperv_installed_in_a_server_guest_with_restart(
    provider: WindowsFeatureProvider, make_l1: Callable[..., str], host_ps: Callable[[str], str]
) -> None:
    vm = make_l1()
    inputs = checked(provider, host=guest(vm))
    assert inputs["name"] == "Hyper-V" and inputs["restart"] is True
    created = provider.create(inputs)
    assert created.outs == {**inputs, "installed": True, "restart_needed": False}
    assert provider.read(created.id, created.outs).outs == created.outs
    assert host_ps(f'"$((Get-VM -Name {vm}).State)"') == "Running"
    again = provider.create(inputs)  # idempotent: already installed, no restart
    assert again.outs == created.outs


def test_install_restart_and_the_read_after_it_are_one_operation(
    provider: WindowsFeatureProvider, make_l1: Callable[..., str], emulator: Emulator
) -> None:
    """The restart and the read that confirms the feature is Installed ride in the install
    operation (the wrapper waits for the guest on the host): one Send + one Receive."""
    vm = make_l1()
    inputs = checked(provider, host=guest(vm))
    provider.read("warm", {**inputs, "installed": False, "restart_needed": False})
    before = emulator.counters()
    created = provider.create(inputs)
    after = emulator.counters()
    assert created.outs["installed"] is True and created.outs["restart_needed"] is False
    assert after["requests"] - before["requests"] == 2
    assert after["powershell_starts"] == before["powershell_starts"]


class _DroppedAfterInstall(WindowsFeatureProvider):
    """The install (and restart, if `restart_ran`) happens on the guest, but PowerShell
    Direct reports the session broken instead of the install's answer."""

    restart_ran = True

    def _run(self, op: Any, script: str, props: Any, **extra: Any) -> dict[str, Any]:
        if script != "install":
            return super()._run(op, script, props, **extra)
        super()._run(op, script, props, **{**extra, "restart": self.restart_ran})
        raise PowerShellError(
            op.ref.label(), op.label, "The background process reported an error", "", ""
        )


@pytest.mark.parametrize("restart_ran", [True, False])
def test_a_session_dropped_by_the_restart_is_settled_by_reading_the_guest(
    stack_config: Any, make_l1: Callable[..., str], restart_ran: bool
) -> None:
    """Whether the guest went down before or after answering, the next read decides: installed
    (done) or still pending (restart it, then wait)."""
    provider = _DroppedAfterInstall()
    provider.restart_ran = restart_ran
    provider.configure(ConfigureRequest(stack_config))  # type: ignore[arg-type]
    vm = make_l1()
    created = provider.create(checked(provider, host=guest(vm)))
    assert created.outs["installed"] is True and created.outs["restart_needed"] is False


class _SlowReboot(_DroppedAfterInstall):
    """As above, and the first read after it finds the guest not answering yet."""

    reads_refused = 1

    def _run(self, op: Any, script: str, props: Any, **extra: Any) -> dict[str, Any]:
        if script == "get" and self.reads_refused:
            self.reads_refused -= 1
            raise PowerShellError(
                op.ref.label(),
                op.label,
                "The guest did not answer PowerShell Direct within 180 s",
                "ResourceUnavailable",
                GUEST_NOT_ANSWERING_ID + ",Microsoft.PowerShell.Commands.WriteErrorException",
            )
        return super()._run(op, script, props, **extra)


def test_a_reboot_slower_than_the_guest_wait_is_waited_for(
    stack_config: Any, make_l1: Callable[..., str]
) -> None:
    provider = _SlowReboot()
    provider.poll_interval_s = 0.01
    provider.configure(ConfigureRequest(stack_config))  # type: ignore[arg-type]
    created = provider.create(checked(provider, host=guest(make_l1())))
    assert created.outs["installed"] is True and provider.reads_refused == 0


def test_an_unknown_feature_in_a_guest_fails_at_once(
    provider: WindowsFeatureProvider, make_l1: Callable[..., str]
) -> None:
    with pytest.raises(ProviderError, match="Not-A-Feature"):
        provider.create(checked(provider, host=guest(make_l1()), name="Not-A-Feature"))


def test_without_restart_the_install_is_pending_until_an_update_restarts(
    provider: WindowsFeatureProvider, make_l1: Callable[..., str]
) -> None:
    vm = make_l1()
    inputs = checked(provider, host=guest(vm), restart=False)
    created = provider.create(inputs)
    assert created.outs["installed"] is False and created.outs["restart_needed"] is True
    assert provider.read(created.id, created.outs).outs == created.outs
    news = {**inputs, "restart": True}
    diff = provider.diff(created.id, created.outs, news)
    assert diff.changes is True and diff.replaces == []
    updated = provider.update(created.id, created.outs, news)
    assert updated.outs["installed"] is True and updated.outs["restart_needed"] is False


def test_without_virtualization_extensions_windows_refuses(
    provider: WindowsFeatureProvider, make_l1: Callable[..., str]
) -> None:
    vm = make_l1(expose=False)
    with pytest.raises(ProviderError) as info:
        provider.create(checked(provider, host=guest(vm)))
    text = str(info.value)
    assert text.startswith(f"l0.{vm}: create WindowsFeature failed: ")
    assert "Hyper-V cannot be installed" in text


def test_a_configured_host_is_never_restarted(
    provider: WindowsFeatureProvider, host_ps: Callable[[str], str]
) -> None:
    created = provider.create(checked(provider, host="l0", name="Containers"))
    assert created.outs["installed"] is False and created.outs["restart_needed"] is True
    assert host_ps('"$((Get-WindowsFeature -Name Containers).InstallState)"') == "InstallPending"


def test_delete_leaves_the_feature_and_needs_no_host() -> None:
    WindowsFeatureProvider().delete("gone/Hyper-V", {"host": "no-such-host", "name": "Hyper-V"})


def test_name_replaces_and_unknown_feature_fails(
    provider: WindowsFeatureProvider, make_l1: Callable[..., str]
) -> None:
    olds = {**checked(provider, host="l0"), "installed": True, "restart_needed": False}
    assert provider.diff("x", olds, checked(provider, host="l0", name="Containers")).replaces == [
        "name"
    ]
    with pytest.raises(ProviderError, match="feature name is not valid: 'Not-A-Feature'"):
        provider.create(checked(provider, host="l0", name="Not-A-Feature"))
