"""`GuestImageProvider` against an emulator of its own, through real WinRM, Copy-VMFile and
PowerShell Direct: an image on L0 copied into a running L1 built from an image, checked by
hash, adopted, re-read, copied again after drift, and removed on delete."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pulumi.dynamic import ConfigureRequest

from components.providers.base import ProviderError
from components.providers.guest_image import GuestImageProvider
from components.remote import OutcomeUnknownError
from tests.components.providers.conftest import GUEST_PASSWORD, GUEST_USER, ps_literal
from tests.components.providers.image_vms import image_vm_script
from tests.conftest import Emulator, _new_emulator

IMAGE = "C:\\Images\\WS2022-Datacenter.vhdx"
COPY = "C:\\Images\\WS2022-Datacenter.vhdx"
GSI = "Guest Service Interface"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    emu = _new_emulator(Path(tmp_path_factory.mktemp("guest-image")))
    yield emu
    emu.stop()


@pytest.fixture
def provider(provider_factory: Callable[[type[Any]], Any]) -> GuestImageProvider:
    made: GuestImageProvider = provider_factory(GuestImageProvider)
    return made


@pytest.fixture
def make_l1(host_ps: Callable[[str], str], unique: Callable[[str], str]) -> Callable[[], str]:
    """make_l1() -> name of a running L1 booted from the WS2022 image (plain PowerShell)."""

    def make() -> str:
        name = unique("L1")
        host_ps(image_vm_script(name, IMAGE, GUEST_PASSWORD))
        return name

    return make


def in_guest(vm: str, body: str) -> str:
    """Test-only PowerShell on the host that runs `body` inside `vm` (PowerShell Direct)."""
    return (
        f"$pw = ConvertTo-SecureString {ps_literal(GUEST_PASSWORD)} -AsPlainText -Force\n"
        "$cred = New-Object System.Management.Automation.PSCredential "
        f"({ps_literal(GUEST_USER)}, $pw)\n"
        f"Invoke-Command -VMName {ps_literal(vm)} -Credential $cred -ScriptBlock {{ {body} }}"
    )


def guest_hash(host_ps: Callable[[str], str], vm: str, path: str = COPY) -> str:
    """The file's SHA256 inside the guest, or 'missing'."""
    return host_ps(
        in_guest(
            vm,
            f"if (Test-Path -LiteralPath {ps_literal(path)} -PathType Leaf) {{ "
            f"(Get-FileHash -LiteralPath {ps_literal(path)} -Algorithm SHA256).Hash }} "
            "else { 'missing' }",
        )
    )


def host_hash(host_ps: Callable[[str], str], path: str = IMAGE) -> str:
    return host_ps(f"(Get-FileHash -LiteralPath {ps_literal(path)} -Algorithm SHA256).Hash")


def gsi_enabled(host_ps: Callable[[str], str], vm: str) -> bool:
    got = host_ps(
        f"\"$((Get-VMIntegrationService -VMName {ps_literal(vm)} -Name '{GSI}').Enabled)\""
    )
    return got == "True"


def inputs_for(provider: GuestImageProvider, vm: str, **extra: Any) -> dict[str, Any]:
    values = {
        "host": "l0",
        "vm_name": vm,
        "guest": {"parent": "l0", "vm_name": vm, "credential": "guest"},
        "source_path": IMAGE,
        "destination_path": COPY,
        **extra,
    }
    result = provider.check({}, values)
    assert result.failures == [], [(f.property, f.reason) for f in result.failures]
    return result.inputs


def test_copy_checked_by_hash_read_and_deleted(
    provider: GuestImageProvider, make_l1: Callable[[], str], host_ps: Callable[[str], str]
) -> None:
    vm = make_l1()
    source = host_hash(host_ps)
    assert not gsi_enabled(host_ps, vm)  # Hyper-V's default
    inputs = inputs_for(provider, vm)
    created = provider.create(inputs)
    assert created.outs == {
        **inputs,
        "sha256": source,
        "guest_sha256": source,
        "guest_service_turned_on": True,
    }
    assert guest_hash(host_ps, vm) == source
    assert not gsi_enabled(host_ps, vm)  # left as it was found
    assert provider.read(created.id, created.outs).outs == created.outs
    provider.delete(created.id, created.outs)
    assert guest_hash(host_ps, vm) == "missing"
    assert host_hash(host_ps) == source  # the image is never touched
    provider.delete(created.id, created.outs)  # already gone: success


def test_create_is_one_operation_with_both_hash_checks_inside(
    provider: GuestImageProvider,
    make_l1: Callable[[], str],
    host_ps: Callable[[str], str],
    emulator: Emulator,
) -> None:
    """The checks inside the guest (what is there before, what arrived) ride in the copy
    operation: one Send and one Receive on a warm shell, not three operations."""
    vm = make_l1()
    inputs = inputs_for(provider, vm)
    provider.read("warm", inputs)  # a warm shell on l0 (the VM's state: one operation)
    before = emulator.counters()["requests"]
    created = provider.create(inputs)
    assert emulator.counters()["requests"] - before == 2
    assert created.outs["guest_sha256"] == created.outs["sha256"] == host_hash(host_ps)
    again = provider.create({**inputs, "adopt_existing": False})  # identical: adopted
    assert again.outs["guest_service_turned_on"] is False
    provider.delete(created.id, created.outs)


def test_an_enabled_guest_service_interface_stays_enabled(
    provider: GuestImageProvider, make_l1: Callable[[], str], host_ps: Callable[[str], str]
) -> None:
    vm = make_l1()
    host_ps(f"Enable-VMIntegrationService -VMName {ps_literal(vm)} -Name '{GSI}'")
    created = provider.create(inputs_for(provider, vm))
    assert created.outs["guest_service_turned_on"] is False
    assert gsi_enabled(host_ps, vm)
    assert guest_hash(host_ps, vm) == host_hash(host_ps)


def test_an_identical_copy_is_adopted_without_copying(
    provider: GuestImageProvider, make_l1: Callable[[], str], host_ps: Callable[[str], str]
) -> None:
    vm = make_l1()
    first = provider.create(inputs_for(provider, vm))
    again = provider.create(inputs_for(provider, vm))  # e.g. after a lost state
    assert again.outs == {**first.outs, "guest_service_turned_on": False}
    assert again.id == first.id


def test_a_different_file_is_refused_unless_adopt_existing(
    provider: GuestImageProvider, make_l1: Callable[[], str], host_ps: Callable[[str], str]
) -> None:
    vm = make_l1()
    host_ps(
        in_guest(
            vm,
            "New-Item -ItemType Directory -Force -Path 'C:\\Images' | Out-Null; "
            f"Set-Content -LiteralPath {ps_literal(COPY)} -Value 'not an image' -Encoding UTF8",
        )
    )
    before = guest_hash(host_ps, vm)
    with pytest.raises(ProviderError) as info:
        provider.create(inputs_for(provider, vm))
    text = str(info.value)
    assert f"{COPY} in l0>{vm} already exists with other content (SHA256 {before}" in text
    assert "adopt_existing=True" in text and GUEST_PASSWORD not in text
    assert guest_hash(host_ps, vm) == before  # untouched
    assert not gsi_enabled(host_ps, vm)
    created = provider.create(inputs_for(provider, vm, adopt_existing=True))
    assert guest_hash(host_ps, vm) == host_hash(host_ps) == created.outs["sha256"]


def test_a_changed_copy_is_drift_that_an_update_copies_again(
    provider: GuestImageProvider, make_l1: Callable[[], str], host_ps: Callable[[str], str]
) -> None:
    vm = make_l1()
    inputs = inputs_for(provider, vm)
    created = provider.create(inputs)
    host_ps(
        in_guest(
            vm,
            f"Remove-Item -LiteralPath {ps_literal(COPY)} -Force; "
            f"Set-Content -LiteralPath {ps_literal(COPY)} -Value 'x' -Encoding UTF8",
        )
    )
    changed = guest_hash(host_ps, vm)
    read = provider.read(created.id, created.outs)
    assert read.outs == {**created.outs, "guest_sha256": changed}
    diff = provider.diff(created.id, read.outs, inputs)
    assert diff.changes is True and diff.replaces == []
    updated = provider.update(created.id, read.outs, inputs)
    assert updated.outs["guest_sha256"] == updated.outs["sha256"] == created.outs["sha256"]
    assert guest_hash(host_ps, vm) == created.outs["sha256"]
    assert provider.diff(created.id, updated.outs, inputs).changes is False


def test_a_missing_copy_reads_as_gone(
    provider: GuestImageProvider, make_l1: Callable[[], str], host_ps: Callable[[str], str]
) -> None:
    vm = make_l1()
    created = provider.create(inputs_for(provider, vm))
    host_ps(in_guest(vm, f"Remove-Item -LiteralPath {ps_literal(COPY)} -Force"))
    assert provider.read(created.id, created.outs).id == ""


def test_the_vm_gone_means_the_copy_is_gone(
    provider: GuestImageProvider, make_l1: Callable[[], str], host_ps: Callable[[str], str]
) -> None:
    vm = make_l1()
    created = provider.create(inputs_for(provider, vm))
    host_ps(
        f"Stop-VM -Name {ps_literal(vm)} -TurnOff -Force; Remove-VM -Name {ps_literal(vm)} -Force"
    )
    assert provider.read(created.id, created.outs).id == ""
    provider.delete(created.id, created.outs)
    assert host_hash(host_ps) == created.outs["sha256"]


def test_a_stopped_vm_keeps_the_recorded_copy(
    provider: GuestImageProvider,
    make_l1: Callable[[], str],
    host_ps: Callable[[str], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    vm = make_l1()
    created = provider.create(inputs_for(provider, vm))
    host_ps(f"Stop-VM -Name {ps_literal(vm)} -TurnOff -Force")
    assert provider.read(created.id, created.outs).outs == created.outs
    provider.delete(created.id, created.outs)
    assert "its guest keeps" in caplog.text


FAULTS = Path(__file__).with_name("guest_image_faults")


class _DamagedInTransit(GuestImageProvider):
    """Copy-VMFile delivers other bytes than the image's (a copy damaged on the way): the
    provider's own hash check must catch it."""

    def _copy(self, op: Any, props: Any, existing: Any, overwrite: bool, *rest: Any) -> Any:
        guest = rest[0] if rest else None
        return super()._copy(
            op, props, existing, overwrite, guest, FAULTS / "damaged_in_transit.ps1"
        )


def test_a_copy_that_arrives_damaged_is_removed_and_reported(
    stack_config: Any, make_l1: Callable[[], str], host_ps: Callable[[str], str]
) -> None:
    provider = _DamagedInTransit()
    provider.configure(ConfigureRequest(stack_config))  # type: ignore[arg-type]
    vm = make_l1()
    with pytest.raises(ProviderError) as info:
        provider.create(inputs_for(provider, vm))
    text = str(info.value)
    assert "arrived with SHA256" in text and "the damaged copy was removed" in text
    assert guest_hash(host_ps, vm) == "missing"
    assert not gsi_enabled(host_ps, vm)


def test_a_missing_image_fails_and_leaves_nothing(
    provider: GuestImageProvider, make_l1: Callable[[], str], host_ps: Callable[[str], str]
) -> None:
    vm = make_l1()
    with pytest.raises(ProviderError, match="does not exist on this Hyper-V host"):
        provider.create(inputs_for(provider, vm, source_path="C:\\Images\\nope.vhdx"))
    assert guest_hash(host_ps, vm) == "missing"
    assert not gsi_enabled(host_ps, vm)


def test_check_refuses_a_route_into_another_vm_and_relative_paths(
    provider: GuestImageProvider,
) -> None:
    values = {
        "host": "l0",
        "vm_name": "L1-a",
        "guest": {"parent": "l0", "vm_name": "L1-b", "credential": "guest"},
        "source_path": IMAGE,
        "destination_path": "Images\\x.vhdx",
    }
    failures = {f.property for f in provider.check({}, values).failures}
    assert failures == {"destination_path"}
    values["destination_path"] = COPY
    reasons = [(f.property, f.reason) for f in provider.check({}, values).failures]
    assert reasons == [("guest", "the route l0>L1-b does not lead into VM 'L1-a' on l0")]
    values["guest"] = {"parent": "l0", "vm_name": "L1-a", "credential": "nobody"}
    reasons = [(f.property, f.reason) for f in provider.check({}, values).failures]
    assert reasons and reasons[0][0] == "guest" and "unknown credential 'nobody'" in reasons[0][1]


def test_source_and_destination_replace_guest_does_not(provider: GuestImageProvider) -> None:
    olds = {
        **inputs_for(provider, "L1-a"),
        "sha256": "AB",
        "guest_sha256": "AB",
        "guest_service_turned_on": True,
    }
    news = inputs_for(provider, "L1-a", destination_path="D:\\Images\\x.vhdx")
    assert provider.diff("x", olds, news).replaces == ["destination_path"]
    news = {**inputs_for(provider, "L1-a"), "adopt_existing": True}
    diff = provider.diff("x", olds, news)
    assert diff.changes is True and diff.replaces == []


def test_a_failed_copy_leaves_the_guest_service_interface_as_it_was(
    provider: GuestImageProvider, make_l1: Callable[[], str], host_ps: Callable[[str], str]
) -> None:
    vm = make_l1()
    with pytest.raises(ProviderError) as info:
        provider.create(inputs_for(provider, vm, destination_path="Z:\\Images\\x.vhdx"))
    assert str(info.value).startswith("l0: create GuestImage failed: ")
    assert not gsi_enabled(host_ps, vm)


class _InterruptedCopy(GuestImageProvider):
    """The real copy reaches the guest, then Copy-VMFile reports a failure (e.g. the
    connection to the guest dropped near the end)."""

    def _copy(self, op: Any, props: Any, existing: Any, overwrite: bool, *rest: Any) -> Any:
        guest = rest[0] if rest else None
        return super()._copy(op, props, existing, overwrite, guest, FAULTS / "interrupted_copy.ps1")


def test_an_interrupted_copy_is_rolled_back(
    stack_config: Any, make_l1: Callable[[], str], host_ps: Callable[[str], str]
) -> None:
    provider = _InterruptedCopy()
    provider.configure(ConfigureRequest(stack_config))  # type: ignore[arg-type]
    vm = make_l1()
    with pytest.raises(ProviderError) as info:
        provider.create(inputs_for(provider, vm))
    assert "Failed to copy the file. (the damaged copy was removed)" in str(info.value)
    assert guest_hash(host_ps, vm) == "missing"


class _LostReply(GuestImageProvider):
    """The first copy happens but its reply is lost (the outcome is unknown)."""

    lost = 1

    def _copy(self, op: Any, props: Any, existing: Any, overwrite: bool, *rest: Any) -> Any:
        got = super()._copy(op, props, existing, overwrite, *rest)
        if self.lost:
            self.lost -= 1
            raise OutcomeUnknownError(op.ref.label(), op.label, "the reply was lost")
        return got


def test_a_copy_whose_reply_was_lost_is_recognised_by_its_hash(
    stack_config: Any, make_l1: Callable[[], str], host_ps: Callable[[str], str]
) -> None:
    provider = _LostReply()
    provider.configure(ConfigureRequest(stack_config))  # type: ignore[arg-type]
    vm = make_l1()
    created = provider.create(inputs_for(provider, vm))
    source = host_hash(host_ps)
    assert created.outs["sha256"] == created.outs["guest_sha256"] == source
    assert provider.lost == 0 and guest_hash(host_ps, vm) == source
