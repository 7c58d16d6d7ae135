"""Guest-side operations through PowerShell Direct (Invoke-Command -VMName) on the emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from components.config import DEFAULT_GUEST_WAIT_S, HostRef, LabConfig
from components.providers.inside_off_vm import delete_refusal
from components.remote import (
    POOL,
    FollowUp,
    GuestLoginError,
    GuestVmOffError,
    PowerShellError,
    RemotePowerShell,
)
from tests.components.providers.image_vms import image_vm_script
from tests.conftest import Emulator

GUEST_PW = "Gu3st-\u2018pw\u2019-sentinel"
WRONG_PW = "Wr0ng-\u2018pw\u2019-sentinel"
ECHO = """param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json
@{ name = $in.name } | ConvertTo-Json -Compress
"""
IMAGE = "C:\\Images\\WS2022-Datacenter.vhdx"
NASTY = "it's \u2018q\u2019 \u201cq\u201d $(Stop-Computer) `t ünï 名前\r\nline2"


def lab_for(emu: Emulator, **guest: Any) -> LabConfig:
    """Stack config with host "l0" = `emu` and guest credential "guest" (+ `guest` keys)."""
    return LabConfig.from_sources(
        hosts={"l0": {"endpoint": emu.endpoint, "user": emu.user, "password": emu.password}},
        credentials={"guest": {"user": "Administrator", "password": GUEST_PW, **guest}},
        environ={},
    )


@pytest.fixture
def emu(emulator_factory: Any) -> Iterator[Emulator]:
    made: Emulator = emulator_factory()
    config = lab_for(made)
    l0 = RemotePowerShell(config.host("l0"))
    # A guest that boots the host's image with an answer file setting GUEST_PW, and a VM that
    # was never started.
    l0.run(
        "param([string]$InputJson)\n" + image_vm_script("L1 \u2018one\u2019", IMAGE, GUEST_PW),
        {},
        "make L1",
    )
    l0.run(
        """param([string]$InputJson)
New-VM -Name 'L1-off' -MemoryStartupBytes 4GB -Generation 2 -NewVHDPath 'C:\\VMs\\L1-off.vhdx' `
    -NewVHDSizeBytes 40GB | Out-Null
""",
        {},
        "make L1-off",
    )
    yield made
    POOL.close_all()


@pytest.fixture
def lab(emu: Emulator) -> LabConfig:
    return lab_for(emu)


def _guest(lab: LabConfig, vm: str) -> RemotePowerShell:
    return RemotePowerShell(lab.host({"parent": "l0", "vm_name": vm, "credential": "guest"}))


def executed(emu: Emulator) -> list[str]:
    """Every cmdlet/function the emulated host ran so far (from its state file)."""
    return [str(n) for n in json.loads(emu.state_path.read_text(encoding="utf-8"))["executed"]]


def test_values_reach_the_guest_unchanged(lab: LabConfig) -> None:
    guest = _guest(lab, "L1 \u2018one\u2019")
    assert guest.run(ECHO, {"name": NASTY}, "echo in guest") == {"name": NASTY}


def test_guest_error_names_the_guest_route_and_hides_the_password(lab: LabConfig) -> None:
    guest = _guest(lab, "L1 \u2018one\u2019")
    with pytest.raises(PowerShellError) as info:
        guest.run("param($InputJson) throw 'inside the guest'", {}, "fail in guest")
    assert info.value.host == "l0.L1--one-"
    assert "inside the guest" in info.value.message
    assert GUEST_PW not in f"{info.value} {info.value!r}"


def test_the_guest_wait_comes_from_the_credential_in_stack_config(emu: Emulator) -> None:
    def wait_s(lab: LabConfig) -> float:
        host = lab.host({"parent": "l0", "vm_name": "L1-off", "credential": "guest"})
        assert host.via is not None
        return host.via.wait_s

    assert wait_s(lab_for(emu)) == DEFAULT_GUEST_WAIT_S == 180
    assert wait_s(lab_for(emu, wait_s=7)) == 7


def test_a_guest_that_never_comes_up_fails_after_the_bounded_wait(emu: Emulator) -> None:
    # Running, but its disk holds no operating system: it never answers.
    RemotePowerShell(lab_for(emu).host("l0")).run(
        "param([string]$InputJson)\nGet-VM | Where-Object { $_.Name -eq 'L1-off' } | Start-VM",
        {},
        "start L1-off",
    )
    guest = _guest(lab_for(emu, wait_s=2), "L1-off")
    with pytest.raises(PowerShellError, match="did not answer PowerShell Direct within 2") as info:
        guest.run(ECHO, {"name": "x"}, "echo in guest")
    assert info.value.guest_not_answering  # nothing ran inside: a caller may wait longer


def test_a_vm_that_is_off_fails_at_once_without_waiting(emu: Emulator) -> None:
    guest = _guest(lab_for(emu, wait_s=60), "L1-off")
    mark = len(executed(emu))
    with pytest.raises(GuestVmOffError) as info:
        guest.run(ECHO, {"name": "x"}, "echo in guest")
    assert info.value.message == (
        "VM 'L1-off' is Off, so PowerShell Direct cannot reach its guest (start the VM, or run "
        "pulumi up, which starts it)."
    )
    ran = executed(emu)[mark:]
    assert "Start-Sleep" not in ran and "Invoke-Command" not in ran, ran


@pytest.mark.parametrize("inner", [None, "L2"])
def test_a_delete_inside_an_off_vm_names_that_vm_and_what_to_do(
    emu: Emulator, inner: str | None
) -> None:
    """The VM that is Off is named with its host, whether the object lives in it (an L1's
    NAT) or further inside (in an L2 of it)."""
    route: dict[str, Any] = {"parent": "l0", "vm_name": "L1-off", "credential": "guest"}
    if inner:
        route = {"parent": route, "vm_name": inner, "credential": "guest"}
    ref = HostRef.parse(route)
    with pytest.raises(GuestVmOffError) as info:
        RemotePowerShell(lab_for(emu).host(ref)).run(ECHO, {"name": "x"}, "delete NetNat")
    where = "l0>L1-off" + (f">{inner}" if inner else "")
    assert delete_refusal("NetNat", "'nat'", ref, info.value) == (
        f"NetNat 'nat' on {where} was not deleted: VM 'L1-off' on l0 is Off, and what lives "
        "inside a VM can only be deleted while it runs. Start it (Start-VM -Name 'L1-off' on "
        "l0) and run `pulumi up` again, or run `pulumi up --refresh`, which starts it before "
        "deleting; until then the stack keeps the NetNat"
    )


def test_a_vm_that_does_not_exist_fails_at_once_without_waiting(emu: Emulator) -> None:
    guest = _guest(lab_for(emu, wait_s=4), "L1 [missing]*")
    mark = len(executed(emu))
    with pytest.raises(PowerShellError) as info:
        guest.run(ECHO, {"name": "x"}, "echo in guest")
    assert info.value.message == (
        "There is no VM named 'L1 [missing]*' on this Hyper-V host, so PowerShell Direct "
        "cannot reach it."
    )
    ran = executed(emu)[mark:]
    assert "Start-Sleep" not in ran and "Invoke-Command" not in ran, ran


def test_a_wrong_guest_password_names_the_credential_and_the_fix(emu: Emulator) -> None:
    lab = LabConfig.from_sources(
        hosts={"l0": {"endpoint": emu.endpoint, "user": emu.user, "password": emu.password}},
        credentials={"guest": {"user": "Administrator", "password": WRONG_PW, "login_retry_s": 2}},
        environ={},
    )
    with pytest.raises(GuestLoginError) as info:
        _guest(lab, "L1 \u2018one\u2019").run(ECHO, {"name": "x"}, "echo in guest")
    assert info.value.message == (
        "the guest of VM 'L1 \u2018one\u2019' on l0 refuses credential 'guest' (user "
        "'Administrator'): The credential is invalid. (the login was refused for 2 s); set the "
        "password that guest was given (by the VM's answer file, or the image's own login): "
        "pulumi config set --secret --path 'hyperv-lab:passwords.guest'"
    )
    assert WRONG_PW not in f"{info.value} {info.value!r}" and GUEST_PW not in str(info.value)


def test_a_vm_whose_disk_holds_no_os_fails_after_the_bounded_wait(emu: Emulator) -> None:
    l0 = RemotePowerShell(lab_for(emu).host("l0"))
    l0.run(
        """param([string]$InputJson)
New-VM -Name 'no-os' -MemoryStartupBytes 1GB -Generation 2 -NewVHDPath 'C:\\VMs\\no-os.vhdx' `
    -NewVHDSizeBytes 10GB | Out-Null
Start-VM -Name 'no-os'
'{}'
""",
        {},
        "make no-os",
    )
    guest = _guest(lab_for(emu, wait_s=2), "no-os")
    with pytest.raises(PowerShellError) as info:
        guest.run(ECHO, {"name": "x"}, "echo in guest")
    assert info.value.guest_not_answering
    assert info.value.message.startswith(
        "The guest of VM 'no-os' did not answer PowerShell Direct within 2 s (a VM whose disk "
        "holds no operating system never answers: check its image): An error has occurred "
        "which Windows PowerShell cannot handle. A remote session might have ended."
    ), info.value.message


RESTART_IF_ASKED = """param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json
if ($in.restart) { Restart-Computer -Force }
@{ restarting = [bool]$in.restart; name = $in.name } | ConvertTo-Json -Compress
"""
READ_AFTER = """param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json
@{ read_after = $true; name = $in.name } | ConvertTo-Json -Compress
"""


def test_a_follow_up_runs_in_the_same_operation_once_the_guest_is_back(
    emu: Emulator, lab: LabConfig
) -> None:
    guest = _guest(lab, "L1 \u2018one\u2019")
    guest.run(ECHO, {"name": "warm"}, "warm up")
    follow = FollowUp(READ_AFTER, {"name": NASTY})
    before = emu.counters()
    got = guest.run(RESTART_IF_ASKED, {"restart": True, "name": "x"}, "op", after_restart=follow)
    after = emu.counters()
    assert got == {"read_after": True, "name": NASTY}
    assert after["requests"] - before["requests"] == 2  # one Send, one Receive
    # without the condition in the first answer, the first answer is the result
    got = guest.run(RESTART_IF_ASKED, {"restart": False, "name": "y"}, "op", after_restart=follow)
    assert got == {"restarting": False, "name": "y"}
