"""The time model (`serve --time-scale F`): commands take a real host's durations times F, a
started guest answers PowerShell Direct only once its boot is over, Start-Sleep runs on the
host's dilated clock; scale 0 keeps the instant model. A clock the test moves stands in for
time, so nothing here waits or measures wall time."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hypervsim.powershell.session import PowerShellSession, RunResult
from hypervsim.world import timing
from hypervsim.world.model import World
from hypervsim.world.timing import TimeModel

from ..world.test_boot import child_of_image, unattend
from .conftest import errors, lines
from .test_files import fqids

SCALE = 0.01
Run = Callable[[str], RunResult]
CRED = (
    "$c = New-Object System.Management.Automation.PSCredential('Administrator', "
    "(ConvertTo-SecureString 'Right1!' -AsPlainText -Force))\n"
)
ASK_GUEST = CRED + "Invoke-Command -VMName g1 -Credential $c { $env:COMPUTERNAME }"


class FakeClock:
    """Epoch-like seconds that move only when the emulator sleeps or the test says so."""

    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _session(world: World, clock: FakeClock, scale: float) -> Run:
    world.timing = TimeModel(scale=scale, clock=clock, sleep=clock.sleep)
    session = PowerShellSession(world, world.root, sleep=clock.sleep)

    def run(script: str) -> RunResult:
        with world.lock:
            return session.run(script)

    return run


@pytest.fixture
def timed(world: World, clock: FakeClock) -> Run:
    return _session(world, clock, SCALE)


def _new_vm(run: Run, world: World) -> None:
    path = child_of_image(world, "g1", unattend(name="GUEST1", password="Right1!"))
    r = run(f"$vm = New-VM -Name g1 -Generation 2 -MemoryStartupBytes 2GB -VHDPath '{path}'")
    assert not errors(r)


def test_a_started_guest_answers_only_after_its_first_boot(
    timed: Run, world: World, clock: FakeClock
) -> None:
    _new_vm(timed, world)
    assert clock.slept == [timing.OPERATION_SECONDS["New-VM"] * SCALE]
    r = timed("Start-VM -Name g1; (Get-VM -Name g1).State")
    assert lines(r) == ["Running"]
    started = clock.now
    r = timed(ASK_GUEST)
    # exactly what a booting guest always answered: the session cannot open
    assert errors(r) == [
        "An error has occurred which Windows PowerShell cannot handle. "
        "A remote session might have ended."
    ]
    assert fqids(r) == ["PSSessionStateBroken"]
    clock.now = started + timing.GUEST_SECONDS[timing.FIRST_BOOT] * SCALE * 0.9
    assert errors(timed(ASK_GUEST))
    clock.now = started + timing.GUEST_SECONDS[timing.FIRST_BOOT] * SCALE
    r = timed(ASK_GUEST)
    assert lines(r) == ["GUEST1"] and not errors(r)


def test_a_script_polling_with_start_sleep_sees_the_guest_come_up(
    timed: Run, world: World, clock: FakeClock
) -> None:
    """The PowerShell Direct wrapper's loop: poll, Start-Sleep 2, poll... on the host's clock."""
    _new_vm(timed, world)
    r = timed(
        "Start-VM -Name g1\n$polls = 0\n"
        + CRED
        + "while ($true) { $polls++; try { Invoke-Command -VMName g1 -Credential $c { 1 } "
        "-ErrorAction Stop | Out-Null; break } catch { Start-Sleep -Seconds 2 } }\n$polls"
    )
    polls = int(lines(r)[0])
    boot = timing.GUEST_SECONDS[timing.FIRST_BOOT]
    # each round: a refused PowerShell Direct attempt (a failed command costs nothing in the
    # model) and a 2 s sleep on the host clock
    assert polls == pytest.approx(boot / 2, abs=2)
    assert 2 * SCALE in clock.slept and 2.0 not in clock.slept


def test_hyperv_install_and_its_restart_take_their_time(
    timed: Run, world: World, clock: FakeClock
) -> None:
    _new_vm(timed, world)
    timed("Set-VMProcessor -VMName g1 -Count 2 -ExposeVirtualizationExtensions $true")
    timed("Start-VM -Name g1")
    clock.now += timing.GUEST_SECONDS[timing.FIRST_BOOT] * SCALE
    clock.slept.clear()
    r = timed(
        CRED + "Invoke-Command -VMName g1 -Credential $c { "
        "(Install-WindowsFeature -Name Hyper-V).RestartNeeded; Restart-Computer -Force }"
    )
    assert lines(r) == ["Yes"] and not errors(r)
    assert timing.HYPERV_FEATURE_INSTALL_S * SCALE in clock.slept
    restarted = clock.now
    assert errors(timed(ASK_GUEST))
    clock.now = restarted + timing.GUEST_SECONDS[timing.FEATURE_RESTART] * SCALE
    r = timed(
        CRED + "Invoke-Command -VMName g1 -Credential $c { (Get-WindowsFeature Hyper-V).Installed }"
    )
    assert lines(r) == ["True"]


def test_a_vm_turned_off_while_booting_stays_down(
    timed: Run, world: World, clock: FakeClock
) -> None:
    _new_vm(timed, world)
    timed("Start-VM -Name g1")
    clock.slept.clear()
    timed("Stop-VM -Name g1 -TurnOff -Force")
    assert clock.slept == [timing.STOP_TURN_OFF_S * SCALE]
    clock.now += 1000
    assert lines(timed("(Get-VM -Name g1).State")) == ["Off"]
    vm = world.root.vms[0]
    assert not vm.guest_up and vm.guest_ready_at is None


def test_scale_zero_is_the_instant_model(world: World, clock: FakeClock) -> None:
    run = _session(world, clock, 0.0)
    _new_vm(run, world)
    run("Start-VM -Name g1")
    r = run(ASK_GUEST)
    assert lines(r) == ["GUEST1"] and not errors(r)
    run("Start-Sleep -Seconds 2")
    assert clock.slept == [2.0]  # real seconds, as before; no command cost anything
