"""A Windows 11 guest: no Server Manager cmdlets; Hyper-V is the DISM optional feature."""

from __future__ import annotations

from collections.abc import Callable

from hypervsim.powershell.session import RunResult
from hypervsim.world.images import install_image, parse_image_spec
from hypervsim.world.model import World

from ..world.test_boot import unattend
from .conftest import errors, lines
from .test_files import state

Run = Callable[[str], RunResult]
WIN11 = "C:\\Images\\Win11-Enterprise.vhdx"
CRED = (
    "$c = New-Object System.Management.Automation.PSCredential('Administrator', "
    "(ConvertTo-SecureString 'P@ssw0rd!' -AsPlainText -Force))\n"
)


def _client_l1(ps: Run, world: World) -> None:
    install_image(
        world.root, parse_image_spec(f"{WIN11}=family=windows-client,build=22621,generation=2")
    )
    world.root.fs_mkdir("C:\\VMs")
    world.root.new_vhd("C:\\VMs\\w11.vhdx", parent_path=WIN11)
    disk = world.root.mount_vhd("C:\\VMs\\w11.vhdx")
    world.root.fs_write(
        f"{disk.drive_letter}:\\Windows\\Panther\\unattend.xml", unattend(name="W11-L1")
    )
    world.root.dismount_vhd(disk)
    r = ps(
        "New-VM -Name w11 -Generation 2 -MemoryStartupBytes 8GB -VHDPath C:\\VMs\\w11.vhdx | Out-Null\n"
        "Set-VMProcessor -VMName w11 -ExposeVirtualizationExtensions $true\n"
        "Start-VM -Name w11"
    )
    assert not errors(r)


def test_client_guest_has_no_install_windowsfeature(ps: Run, world: World) -> None:
    _client_l1(ps, world)
    before = state(world)
    r = ps(
        CRED
        + "Invoke-Command -VMName w11 -Credential $c { Install-WindowsFeature Hyper-V -IncludeManagementTools }"
    )
    assert errors(r) == [
        "The term 'Install-WindowsFeature' is not recognized as the name of a cmdlet, function, "
        "script file, or operable program. Check the spelling of the name, or if a path was "
        "included, verify that the path is correct and try again."
    ]
    assert state(world) == before


def test_client_guest_enables_hyperv_as_an_optional_feature(ps: Run, world: World) -> None:
    _client_l1(ps, world)
    r = ps(
        CRED + "Invoke-Command -VMName w11 -Credential $c {\n"
        "  (Enable-WindowsOptionalFeature -Online -FeatureName Microsoft-Hyper-V -All -NoRestart).RestartNeeded\n"
        "  (Get-WindowsOptionalFeature -Online -FeatureName Microsoft-Hyper-V).State\n"
        "}\n"
        "Restart-VM -Name w11 -Force\n"
        "Invoke-Command -VMName w11 -Credential $c {\n"
        "  (Get-WindowsOptionalFeature -Online -FeatureName Microsoft-Hyper-V).State\n"
        "  (Get-VM).Count\n"
        "}"
    )
    assert not errors(r)
    assert lines(r) == ["True", "EnablePending", "Enabled", "0"]
