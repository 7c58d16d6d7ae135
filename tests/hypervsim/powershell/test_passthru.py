"""-Passthru of the Add-/Remove-/Enable- Hyper-V cmdlets: what the cmdlet made or changed is
output, and a target that fails is a non-terminating error that skips only that target."""

from __future__ import annotations

from collections.abc import Callable

from hypervsim.powershell.session import RunResult

from .conftest import errors, lines
from .test_checkpoints import _vm

Run = Callable[[str], RunResult]


def test_passthru_outputs_what_was_added_or_changed(ps: Run) -> None:
    _vm(ps, "a")
    r = ps(
        "$n = Add-VMNetworkAdapter -VMName a -Name second -Passthru\n"
        '"$($n.Name) $($n.VMName)"\n'
        "$d = Add-VMDvdDrive -VMName a -Passthru\n"
        '"$($d.ControllerType) $($d.VMName)"\n'
        "$r = Remove-VMDvdDrive -VMName a -ControllerNumber $d.ControllerNumber "
        "-ControllerLocation $d.ControllerLocation -Passthru\n"
        '"removed $($r.ControllerLocation -eq $d.ControllerLocation)"\n'
        "$s = Disable-VMIntegrationService -VMName a -Name 'Guest Service Interface' -Passthru\n"
        '"$($s.Name) $($s.Enabled)"\n'
        "@(Add-VMNetworkAdapter -VMName a -Name quiet).Count"
    )
    assert not errors(r), errors(r)
    assert lines(r) == [
        "second a",
        "SCSI a",
        "removed True",
        "Guest Service Interface False",
        "0",
    ]


def test_a_failing_target_is_skipped_and_the_others_still_pass_through(ps: Run) -> None:
    _vm(ps, "a")
    r = ps(
        "@(Add-VMHardDiskDrive -VMName a -Path C:\\VMs\\none.vhdx -Passthru).Count\n"
        "(Add-VMNetworkAdapter -VMName a -Name x -Passthru).Name"
    )
    assert len(errors(r)) == 1, errors(r)
    assert lines(r) == ["0", "x"]
