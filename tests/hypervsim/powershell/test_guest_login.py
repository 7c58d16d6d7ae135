"""PowerShell Direct checks the credential against the guest's accounts."""

from __future__ import annotations

from collections.abc import Callable

from hypervsim.powershell.session import RunResult
from hypervsim.world.model import World

from ..world.test_boot import child_of_image, unattend
from .conftest import errors, lines
from .test_files import fqids, state

Run = Callable[[str], RunResult]


def _start(ps: Run, name: str, path: str) -> None:
    r = ps(
        f"$vm = New-VM -Name {name} -Generation 2 -MemoryStartupBytes 2GB -VHDPath '{path}'\n"
        "Start-VM -VM $vm"
    )
    assert not errors(r)


def _cred(user: str, password: str) -> str:
    return (
        f"$c = New-Object System.Management.Automation.PSCredential('{user}', "
        f"(ConvertTo-SecureString '{password}' -AsPlainText -Force))\n"
    )


def test_right_credential_runs_in_the_guest(ps: Run, world: World) -> None:
    _start(ps, "g1", child_of_image(world, "g1", unattend(name="GUEST1", password="Right1!")))
    r = ps(
        _cred(".\\Administrator", "Right1!")
        + "Invoke-Command -VMName g1 -Credential $c { $env:COMPUTERNAME }"
    )
    assert lines(r) == ["GUEST1"] and not errors(r)
    r = ps(
        _cred("guest1\\ADMINISTRATOR", "Right1!") + "Invoke-Command -VMName g1 -Credential $c { 1 }"
    )
    assert lines(r) == ["1"]


def test_wrong_password_is_an_invalid_credential(ps: Run, world: World) -> None:
    _start(ps, "g2", child_of_image(world, "g2", unattend(password="Right1!")))
    before = state(world)
    r = ps(
        _cred("Administrator", "Wrong1!")
        + "Invoke-Command -VMName g2 -Credential $c { New-Item -ItemType Directory C:\\X }"
    )
    assert errors(r) == ["The credential is invalid."]
    assert fqids(r) == ["InvalidCredential,Microsoft.PowerShell.Commands.InvokeCommandCommand"]
    assert state(world) == before


def test_guest_at_oobe_accepts_no_credential(ps: Run, world: World) -> None:
    _start(ps, "g3", child_of_image(world, "g3", None))
    r = ps(_cred("Administrator", "") + "Invoke-Command -VMName g3 -Credential $c { 1 }")
    assert errors(r) == ["The credential is invalid."]
