"""`VmProvider` with a base image, against the emulator: the disk made from the image, the
answer file written into it before the first boot, the guest logging in with exactly the
credential's password, rollback of a failed create, and an image that is never touched."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from components.answer_file import encode_password
from components.providers.base import PREVIEW_INPUT, ProviderError
from components.providers.vm import VmProvider, vhd_file_name
from tests.components.providers.conftest import GUEST_PASSWORD, GUEST_USER, ps_literal

IMAGE = "C:\\Images\\WS2022-Datacenter.vhdx"


@pytest.fixture
def vm_provider(provider_factory: Callable[[type[Any]], Any]) -> VmProvider:
    provider: VmProvider = provider_factory(VmProvider)
    return provider


def image_inputs(provider: VmProvider, name: str, **values: Any) -> dict[str, Any]:
    news = {
        "host": "l0",
        "name": name,
        "memory_startup_mb": 1024,
        "image": "ws2022",
        "image_path": IMAGE,
        "credential": "guest",
        **values,
    }
    result = provider.check({}, {**news, PREVIEW_INPUT: False})
    assert result.failures == [], [(f.property, f.reason) for f in result.failures]
    return result.inputs


def image_hash(host_json: Callable[[str], Any]) -> str:
    return str(host_json(f"(Get-FileHash -LiteralPath {ps_literal(IMAGE)} -Algorithm SHA256).Hash"))


def answer_file_in(host_json: Callable[[str], Any], disk: str) -> str | None:
    """The answer file inside `disk`, read offline the way an admin would."""
    text = host_json(
        f"$d = Mount-VHD -Path {ps_literal(disk)} -Passthru\n"
        "try {\n"
        "  $letter = ($d | Get-Disk | Get-Partition | Where-Object DriveLetter |"
        " Select-Object -First 1).DriveLetter\n"
        '  $file = "$($letter):\\Windows\\Panther\\unattend.xml"\n'
        "  if (Test-Path -LiteralPath $file) { Get-Content -LiteralPath $file -Raw } else { $null }\n"
        f"}} finally {{ Dismount-VHD -Path {ps_literal(disk)} }}"
    )
    return None if text is None else str(text)


def guest_login(host_json: Callable[[str], Any], vm_name: str, password: str) -> Any:
    """Log in to the guest by PowerShell Direct with `password`; its computer name, or the
    error text."""
    encoded = base64.b64encode(password.encode("utf-8")).decode()
    return host_json(
        f"$pw = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('{encoded}'))\n"
        "$cred = New-Object System.Management.Automation.PSCredential("
        f"{ps_literal(GUEST_USER)}, (ConvertTo-SecureString $pw -AsPlainText -Force))\n"
        "try { Invoke-Command -VMName "
        f"{ps_literal(vm_name)} -Credential $cred -ScriptBlock {{ $env:COMPUTERNAME }} "
        "-ErrorAction Stop } catch { 'error: ' + $_.Exception.Message }"
    )


def test_vm_boots_the_image_with_the_credentials_password_and_delete_spares_the_image(
    vm_provider: VmProvider, host_json: Callable[[str], Any], unique: Callable[[str], str]
) -> None:
    before = image_hash(host_json)
    name = unique("img-vm")
    inputs = image_inputs(vm_provider, name, time_zone="W. Europe Standard Time")
    created = vm_provider.create(inputs)
    try:
        outs = created.outs
        assert (outs["image"], outs["image_path"], outs["disk"]) == (
            "ws2022",
            IMAGE,
            "differencing",
        )
        disk = outs["vhd_path"]
        assert disk.endswith("\\" + vhd_file_name(name))
        vhd = host_json(f"Get-VHD -Path {ps_literal(disk)} | Select-Object ParentPath, VhdType")
        assert vhd["ParentPath"] == IMAGE
        answer = answer_file_in(host_json, disk)
        assert answer is not None and "<PlainText>false</PlainText>" in answer
        assert encode_password(GUEST_PASSWORD) in answer and GUEST_PASSWORD not in answer
        assert f"<ComputerName>{name[:15]}</ComputerName>" in answer
        assert GUEST_PASSWORD not in repr(outs)
        host_json(f"Start-VM -Name {ps_literal(name)}")
        assert guest_login(host_json, name, GUEST_PASSWORD) == name[:15]
        refused = str(guest_login(host_json, name, GUEST_PASSWORD + "x"))
        assert refused == "error: The credential is invalid."
        read = vm_provider.read(created.id, outs)
        assert vm_provider.diff(created.id, read.outs, inputs).changes is False
    finally:
        vm_provider.delete(created.id, created.outs)
    gone = f"Test-Path -LiteralPath {ps_literal(created.outs['vhd_path'])}"
    assert host_json(gone) is False
    assert image_hash(host_json) == before


def test_copy_mode_makes_an_independent_disk(
    vm_provider: VmProvider, host_json: Callable[[str], Any], unique: Callable[[str], str]
) -> None:
    name = unique("img-copy")
    created = vm_provider.create(image_inputs(vm_provider, name, disk="copy"))
    try:
        disk = created.outs["vhd_path"]
        vhd = host_json(f"Get-VHD -Path {ps_literal(disk)} | Select-Object ParentPath")
        assert not vhd["ParentPath"]
        assert answer_file_in(host_json, disk) is not None
    finally:
        vm_provider.delete(created.id, created.outs)
    assert host_json(f"Test-Path -LiteralPath {ps_literal(IMAGE)}") is True


def test_failed_create_removes_the_disk_it_made_and_leaves_nothing_mounted(
    vm_provider: VmProvider, host_json: Callable[[str], Any], unique: Callable[[str], str]
) -> None:
    name = unique("img-fail")
    inputs = image_inputs(vm_provider, name)
    # A configuration version no host supports: New-VM fails after the disk was made.
    with pytest.raises(ProviderError) as failed:
        vm_provider.create({**inputs, "version": "99.0"})
    assert GUEST_PASSWORD not in str(failed.value)
    assert encode_password(GUEST_PASSWORD) not in str(failed.value)
    disk = ps_literal(vm_provider_disk(host_json, name))
    assert host_json(f"Test-Path -LiteralPath {disk}") is False
    assert (
        int(host_json(f"@(Get-VM | Where-Object {{ $_.Name -eq {ps_literal(name)} }}).Count")) == 0
    )
    created = vm_provider.create(inputs)  # the next attempt starts clean
    vm_provider.delete(created.id, created.outs)


def vm_provider_disk(host_json: Callable[[str], Any], name: str) -> str:
    folder = str(host_json("(Get-VMHost).VirtualHardDiskPath"))
    return folder.rstrip("\\") + "\\" + vhd_file_name(name)


def test_leftover_disk_of_a_vm_deleted_by_hand_is_replaced(
    vm_provider: VmProvider, host_json: Callable[[str], Any], unique: Callable[[str], str]
) -> None:
    name = unique("img-left")
    inputs = image_inputs(vm_provider, name, owner="p/s")
    first = vm_provider.create(inputs)
    marker = first.outs["vhd_path"] + ".hyperv-lab-owner"
    assert host_json(f"(Get-Content -LiteralPath {ps_literal(marker)} -Raw).Trim()") == "p/s"
    # Removed by hand: Windows leaves the disk file behind.
    host_json(f"Remove-VM -Name {ps_literal(name)} -Force")
    assert host_json(f"Test-Path -LiteralPath {ps_literal(first.outs['vhd_path'])}") is True
    again = vm_provider.create(inputs)
    try:
        assert again.outs["vhd_path"] == first.outs["vhd_path"]
    finally:
        vm_provider.delete(again.id, again.outs)
    assert host_json(f"Test-Path -LiteralPath {ps_literal(marker)}") is False  # gone with it


@pytest.mark.parametrize("made_by", [None, "other/stack"])
def test_a_disk_file_this_stack_did_not_make_is_refused_and_kept(
    made_by: str | None,
    vm_provider: VmProvider,
    host_json: Callable[[str], Any],
    unique: Callable[[str], str],
) -> None:
    name = unique("img-foreign")
    disk = host_json(f"Join-Path (Get-VMHost).VirtualHardDiskPath {ps_literal(name + '.vhdx')}")
    host_json(f"New-VHD -Path {ps_literal(disk)} -SizeBytes 1GB | Out-Null; $true")
    if made_by:
        host_json(
            f"Set-Content -LiteralPath {ps_literal(disk + '.hyperv-lab-owner')} -Value {ps_literal(made_by)}; $true"
        )
    with pytest.raises(ProviderError) as info:
        vm_provider.create(image_inputs(vm_provider, name, owner="p/s"))
    whose = f"it was made by stack '{made_by}'" if made_by else "it has no marker"
    assert (
        f"The disk file '{disk}' for VM '{name}' already exists and no VM uses it, but it is "
        f"not a leftover of this stack ({whose}"
    ) in str(info.value)
    assert host_json(f"Test-Path -LiteralPath {ps_literal(disk)}") is True
    assert host_json(f"@(Get-VM | Where-Object {{ $_.Name -eq {ps_literal(name)} }}).Count") == 0
    host_json(f"Remove-Item -LiteralPath {ps_literal(disk)} -Force; $true")


def test_check_refuses_a_missing_image_and_an_unknown_credential(
    vm_provider: VmProvider, unique: Callable[[str], str]
) -> None:
    news = {"host": "l0", "name": unique("img-check"), "image": "gone", "credential": "guest"}
    missing = vm_provider.check({}, {**news, "image_path": "C:\\Images\\Gone.vhdx"})
    assert [(f.property, f.reason) for f in missing.failures] == [
        (
            "image_path",
            "image 'gone' not found on l0: no file 'C:\\Images\\Gone.vhdx' (allowed: the path "
            "of an existing .vhdx in hyperv-lab:images)",
        )
    ]
    unknown = vm_provider.check({}, {**news, "image_path": IMAGE, "credential": "nobody"})
    assert [f.property for f in unknown.failures] == ["credential"]
    assert "unknown credential 'nobody' (known: guest)" in unknown.failures[0].reason
    without = vm_provider.check({}, {**news, "image_path": IMAGE, "credential": None})
    assert [f.property for f in without.failures] == ["credential"]
    prepared = vm_provider.check(
        {}, {**news, "image_path": IMAGE, "credential": None, "generalized": False}
    )
    assert [f.property for f in prepared.failures] == []


def test_changing_the_image_replaces_the_vm(vm_provider: VmProvider) -> None:
    olds = {"host": "l0", "name": "x", "image": "a", "image_path": IMAGE, "disk": "differencing"}
    for change in (
        {"image": "b"},
        {"image_path": "C:\\Images\\Other.vhdx"},
        {"disk": "copy"},
        {"time_zone": "Pacific Standard Time"},
        {"computer_name": "OTHER"},
    ):
        d = vm_provider.diff("id", olds, {**olds, **change})
        assert d.replaces == list(change), change
    same = vm_provider.diff("id", olds, {**olds, "credential": "other"})
    assert same.replaces == []
