"""Hyper-V enum types by name (casts from integers and names, static members) and the
New-/Set-VMSwitch settings IaC clients pass (stored and read back)."""

from __future__ import annotations

from hypervsim.powershell.session import PowerShellSession
from hypervsim.world.model import World


def _run(script: str) -> tuple[str, list[str]]:
    world = World.create()
    result = PowerShellSession(world, world.root).run(script)
    return result.stdout, [r.text for r in result.records if r.kind == "error"]


def test_enum_casts_and_static_members() -> None:
    out, errors = _run(
        "[Microsoft.HyperV.PowerShell.VMSwitchType]1;"
        "[Microsoft.HyperV.PowerShell.VMSwitchBandwidthMode]'none';"
        "[int][Microsoft.HyperV.PowerShell.StartAction]::StartIfRunning;"
        "[Microsoft.HyperV.PowerShell.OnOffState]0 -eq [Microsoft.HyperV.PowerShell.OnOffState]::On"
    )
    assert errors == []
    assert out == "Internal\r\nNone\r\n3\r\nTrue\r\n"


def test_enum_cast_of_an_unknown_name_lists_the_names() -> None:
    _, errors = _run("[Microsoft.HyperV.PowerShell.VMSwitchType]'Bridge'")
    assert errors[0].startswith(
        'Cannot convert value "Bridge" to type "Microsoft.HyperV.PowerShell.VMSwitchType".'
        ' Error: "Unable to match the identifier name Bridge to a valid enumerator name. Specify'
        ' one of the following enumerator names and try again:\r\nPrivate, Internal, External"'
    )


def test_switch_settings_are_stored_and_read_back() -> None:
    out, errors = _run(
        "New-VMSwitch -Name s1 -SwitchType Internal -MinimumBandwidthMode None -EnableIov $false"
        " | Out-Null;"
        "Set-VMSwitch -Name s1 -DefaultQueueVmmqEnabled $false -DefaultQueueVmmqQueuePairs 8;"
        "$s = Get-VMSwitch -Name s1;"
        "'{0} {1} {2}' -f $s.BandwidthReservationMode, $s.DefaultQueueVmmqEnabled,"
        " $s.DefaultQueueVmmqQueuePairs;"
        "New-VMSwitch -Name s2 -SwitchType Private | Out-Null;"
        "(Get-VMSwitch -Name s2).BandwidthReservationMode"
    )
    assert errors == []
    # A switch created without -MinimumBandwidthMode reads back Absolute on real hosts.
    assert out == "None False 8\r\nAbsolute\r\n"
