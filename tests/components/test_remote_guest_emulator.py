"""Guest-side operations through PowerShell Direct (Invoke-Command -VMName) on the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from components.config import LabConfig
from components.remote import POOL, PowerShellError, RemotePowerShell

GUEST_PW = "Gu3st-\u2018pw\u2019-sentinel"
ECHO = """param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json
@{ name = $in.name } | ConvertTo-Json -Compress
"""
NASTY = "it's \u2018q\u2019 \u201cq\u201d $(Stop-Computer) `t ünï 名前\r\nline2"


@pytest.fixture
def lab(emulator_factory: Any) -> Iterator[LabConfig]:
    emu = emulator_factory()
    config = LabConfig.from_sources(
        hosts={"l0": {"endpoint": emu.endpoint, "user": emu.user, "password": emu.password}},
        credentials={"guest": {"user": "Administrator", "password": GUEST_PW}},
        environ={},
    )
    make = """param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json
# A new disk: the emulated lab installs Windows on first boot (no disk = no guest OS).
New-VM -Name $in.name -MemoryStartupBytes 4GB -Generation 2 `
    -NewVHDPath "C:\\VMs\\$($in.name).vhdx" -NewVHDSizeBytes 40GB | Out-Null
if ($in.start) { Start-VM -Name $in.name }
'{}'
"""
    l0 = RemotePowerShell(config.host("l0"))
    l0.run(make, {"name": "L1 \u2018one\u2019", "start": True}, "make L1")
    l0.run(make, {"name": "L1-off", "start": False}, "make L1-off")
    yield config
    POOL.close_all()


def _guest(lab: LabConfig, vm: str, wait_s: float = 120) -> RemotePowerShell:
    host = lab.host({"parent": "l0", "vm_name": vm, "credential": "guest"})
    assert host.via is not None
    via = host.via.model_copy(update={"wait_s": wait_s})
    return RemotePowerShell(host.model_copy(update={"via": via}))


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


def test_a_guest_that_never_comes_up_fails_after_the_bounded_wait(lab: LabConfig) -> None:
    guest = _guest(lab, "L1-off", wait_s=2)
    with pytest.raises(PowerShellError, match="did not answer PowerShell Direct within 2"):
        guest.run(ECHO, {"name": "x"}, "echo in guest")
