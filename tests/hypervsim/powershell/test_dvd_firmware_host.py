"""*-VMDvdDrive, Get-/Set-VMFirmware and Get-/Set-VMHost with Windows' rules and texts."""

from __future__ import annotations

from collections.abc import Callable

from hypervsim.powershell.session import RunResult
from hypervsim.world.model import World

from .conftest import errors, lines

Run = Callable[[str], RunResult]


def _fqids(result: RunResult) -> list[str]:
    return [r.error.fqid for r in result.records if r.kind == "error" and r.error is not None]


def test_dvd_drives_need_an_existing_iso_and_share_the_controllers(ps: Run) -> None:
    r = ps(
        "New-VM -Name g1 -Generation 1 | Out-Null\n"
        '$d = Get-VMDvdDrive -VMName g1; "$($d.ControllerType) $($d.ControllerNumber):$($d.ControllerLocation) [$($d.Path)]"\n'
        "Add-VMDvdDrive -VMName g1 -Path C:\\missing.iso"
    )
    assert lines(r) == ["IDE 1:0 []"]
    assert errors(r) == [
        "Failed to add device 'Virtual CD/DVD Disk'.\nThe system cannot find the file specified. "
        "('C:\\missing.iso')"
    ]
    r = ps(
        "New-Item -ItemType File C:\\setup.iso | Out-Null\n"
        "Set-VMDvdDrive -VMName g1 -ControllerNumber 1 -ControllerLocation 0 -Path C:\\setup.iso\n"
        "(Get-VMDvdDrive g1).DvdMediaType\n"
        'Add-VMDvdDrive -VMName g1 -Path C:\\setup.iso -Passthru | ForEach-Object { "$($_.ControllerNumber):$($_.ControllerLocation)" }\n'
        "Add-VMHardDiskDrive -VMName g1 -Path C:\\Images\\WS2022-Datacenter.vhdx -ControllerType IDE -ControllerNumber 1 -ControllerLocation 0\n"
        "Start-VM g1; Get-VMDvdDrive g1 | Remove-VMDvdDrive"
    )
    assert lines(r) == ["ISO", "0:0"]
    assert [e.split("\n")[0] for e in errors(r)] == [
        "Failed to modify device 'Virtual Hard Disk'.",  # IDE 1:0 holds the DVD drive
        "Failed to modify device 'DVD Drive'.",  # IDE devices change only while Off
        "Failed to modify device 'DVD Drive'.",
    ]
    assert errors(r)[1].endswith(
        "The operation cannot be performed while the virtual machine is in its current state."
    )


def test_firmware_is_generation_2_only_and_changes_only_while_off(ps: Run, world: World) -> None:
    r = ps(
        "New-VM -Name g1 -Generation 1 | Out-Null; Set-VMFirmware -VMName g1 -EnableSecureBoot Off"
    )
    assert errors(r) == [
        'The Generation 1 virtual machine or snapshot "g1" does not support the VMFirmware '
        "cmdlets. Use Get-VMBios and Set-VMBios instead."
    ]
    assert _fqids(r) == ["InvalidParameter,Microsoft.HyperV.PowerShell.Commands.SetVMFirmware"]
    r = ps(
        "New-VM -Name g2 -Generation 2 -NewVHDPath g2.vhdx -NewVHDSizeBytes 10GB | Out-Null\n"
        "New-Item -ItemType File C:\\setup.iso | Out-Null; Add-VMDvdDrive g2 -Path C:\\setup.iso\n"
        "$f = Get-VMFirmware g2; \"$($f.SecureBoot) $($f.SecureBootTemplate)\"; $f.BootOrder.BootType -join ','\n"
        "Set-VMFirmware g2 -EnableSecureBoot Off -SecureBootTemplate MicrosoftUEFICertificateAuthority -FirstBootDevice (Get-VMDvdDrive g2)\n"
        '$f = Get-VMFirmware g2; "$($f.SecureBoot) $($f.SecureBootTemplate) $($f.BootOrder[0].Device.Name)"\n'
        "Set-VMFirmware g2 -BootOrder ((Get-VMFirmware g2).BootOrder | Sort-Object BootType -Descending)\n"
        "(Get-VMFirmware g2).BootOrder.BootType -join ','\n"
        "Set-VMFirmware g2 -EnableSecureBoot Maybe"
    )
    assert lines(r) == [
        "On MicrosoftWindows",
        "Drive,Drive,Network",
        "Off MicrosoftUEFICertificateAuthority DVD Drive",
        "Network,Drive,Drive",
    ]
    assert _fqids(r) == [
        "CannotConvertArgumentNoMessage,Microsoft.HyperV.PowerShell.Commands.SetVMFirmware"
    ]
    vm = world.root.vms[1]
    assert (
        vm.hard_drives[0].path == "C:\\ProgramData\\Microsoft\\Windows\\Virtual Hard Disks\\g2.vhdx"
    )
    r = ps("Start-VM g2; Set-VMFirmware g2 -EnableSecureBoot On")
    assert errors(r)[0].endswith(
        "The operation cannot be performed while the virtual machine is in its current state."
    )
    assert vm.secure_boot is False


def test_vm_host_settings_read_back_and_steer_new_vms(ps: Run) -> None:
    r = ps(
        '$h = Get-VMHost; "$($h.LogicalProcessorCount) $($h.MemoryCapacity / 1GB) $($h.MaximumStorageMigrations)"\n'
        "Set-VMHost -MacAddressMinimum 00155D020600 -MacAddressMaximum 00155D0206FF -VirtualMachinePath C:\\Hyper-V -MaximumStorageMigrations 10 -UseAnyNetworkForMigration $true\n"
        '$h = Get-VMHost; "$($h.MacAddressMaximum) $($h.VirtualMachinePath) $($h.MaximumStorageMigrations) $($h.UseAnyNetworkForMigration)"\n'
        "$vm = New-VM -Name n; $vm.Path; $vm.NetworkAdapters[0].MacAddress.StartsWith('00155D0206')\n"
        "Set-VMHost -MacAddressMinimum 00155D0206FF -MacAddressMaximum 00155D020600\n"
        "Set-VMHost -MemoryCapacity 1"
    )
    assert lines(r) == ["256 256 2", "00155D0206FF C:\\Hyper-V 10 True", "C:\\Hyper-V", "True"]
    assert (
        errors(r)[1] == "A parameter cannot be found that matches parameter name 'MemoryCapacity'."
    )
