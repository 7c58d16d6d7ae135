"""Mount-VHD and the Storage cmdlets, differencing disks in use, and VM hard disk drives."""

from __future__ import annotations

from collections.abc import Callable

from hypervsim.powershell.session import RunResult
from hypervsim.world.model import World

from .conftest import errors, lines
from .test_files import IMAGE, fqids, state

Run = Callable[[str], RunResult]
CHILD = "C:\\VMs\\child.vhdx"
LETTER = (
    f"$letter = (Mount-VHD -Path '{CHILD}' -Passthru | Get-Disk | Get-Partition |"
    " Where-Object DriveLetter).DriveLetter\n"
)


def _child(ps: Run) -> None:
    r = ps(
        "New-Item -ItemType Directory C:\\VMs | Out-Null\n"
        f"New-VHD -Path '{CHILD}' -ParentPath '{IMAGE}' -Differencing | Out-Null"
    )
    assert not errors(r)


def _running_vm_on_child(ps: Run) -> None:
    r = ps(
        f"New-VM -Name onchild -Generation 2 -MemoryStartupBytes 2GB -VHDPath '{CHILD}' | Start-VM"
    )
    assert not errors(r)


def test_mount_write_dismount_goes_into_the_child(ps: Run, world: World) -> None:
    _child(ps)
    image_hash = lines(ps(f"(Get-FileHash '{IMAGE}').Hash"))
    r = ps(
        LETTER + '$letter.GetType().Name; "$letter"\n'
        'New-Item -ItemType Directory -Force "$($letter):\\Windows\\Panther" | Out-Null\n'
        "Set-Content -LiteralPath \"$($letter):\\Windows\\Panther\\unattend.xml\" -Value '<unattend/>' -Encoding UTF8\n"
        f"Dismount-VHD -Path '{CHILD}'\n"
        'Test-Path "$($letter):\\Windows"'
    )
    assert lines(r) == ["Char", "D", "False"] and not errors(r)
    disk = world.root.vhd(CHILD)
    assert disk is not None and disk.volume is not None
    assert "\\windows\\panther\\unattend.xml" in disk.volume.entries
    assert lines(ps(f"(Get-FileHash '{IMAGE}').Hash")) == image_hash


def test_gen2_image_partitions_and_volume(ps: Run) -> None:
    _child(ps)
    r = ps(
        f"$d = Mount-VHD -Path '{CHILD}' -Passthru\n"
        'Get-Partition -DiskNumber $d.DiskNumber | ForEach-Object { "$($_.PartitionNumber) $($_.Type) [$([bool]$_.DriveLetter)]" }\n'
        "(Get-Disk -Number $d.DiskNumber).PartitionStyle\n"
        'Get-Partition -DiskNumber $d.DiskNumber | Get-Volume | Where-Object DriveLetter | ForEach-Object { "$($_.DriveLetter) $($_.FileSystem)" }\n'
        "(Get-Volume -DriveLetter D).FileSystem"
    )
    assert lines(r) == [
        "1 System [False]",
        "2 Reserved [False]",
        "3 Basic [True]",
        "GPT",
        "D NTFS",
        "NTFS",
    ]


def test_empty_disk_has_no_partitions(ps: Run) -> None:
    r = ps(
        "New-Item -ItemType Directory C:\\VMs | Out-Null\n"
        "New-VHD -Path C:\\VMs\\empty.vhdx -SizeBytes 10GB | Out-Null\n"
        "$d = Mount-VHD -Path C:\\VMs\\empty.vhdx -Passthru\n"
        "(Get-Disk -Number $d.DiskNumber).PartitionStyle\n"
        "Get-Partition -DiskNumber $d.DiskNumber"
    )
    assert lines(r) == ["RAW"]
    assert errors(r) == [
        "No MSFT_Partition objects found with property 'DiskNumber' equal to '1'.  "
        "Verify the value of the property and retry."
    ]
    assert fqids(r) == ["CmdletizationQuery_NotFound_DiskNumber,Get-Partition"]


def test_get_vhd_shows_the_chain_and_mount(ps: Run) -> None:
    _child(ps)
    r = ps(
        f"$v = Get-VHD -Path '{CHILD}'\n"
        '$v.ParentPath; "$($v.VhdType)"; $v.FileSize -lt 10MB; $v.Attached; $null -eq $v.DiskNumber\n'
        f"Mount-VHD -Path '{CHILD}' -NoDriveLetter\n"
        f"$v = Get-VHD -Path '{CHILD}'; $v.Attached; $v.DiskNumber"
    )
    assert lines(r) == [IMAGE, "Differencing", "True", "False", "True", "True", "1"]


def test_disk_of_a_running_vm_cannot_be_mounted(ps: Run, world: World) -> None:
    _child(ps)
    _running_vm_on_child(ps)
    before = state(world)
    r = ps(f"Mount-VHD -Path '{CHILD}'")
    assert errors(r) == [
        f"Failed to mount the virtual disk.\nThe system failed to mount '{CHILD}': The process "
        "cannot access the file because it is being used by another process. (0x80070020)."
    ]
    assert state(world) == before


def test_mounted_disk_cannot_be_used_by_a_starting_vm(ps: Run, world: World) -> None:
    _child(ps)
    ps(
        f"New-VM -Name m -Generation 2 -MemoryStartupBytes 2GB -VHDPath '{CHILD}' | Out-Null; Mount-VHD '{CHILD}'"
    )
    before = state(world)
    r = ps("Start-VM -Name m")
    assert len(errors(r)) == 1 and errors(r)[0].startswith("'m' failed to start.")
    assert "Failed to open attachment 'C:\\VMs\\child.vhdx'" in errors(r)[0]
    assert "being used by another process" in errors(r)[0]
    assert state(world) == before


def test_parent_of_a_child_in_use_cannot_be_changed(ps: Run, world: World) -> None:
    _child(ps)
    _running_vm_on_child(ps)
    before = state(world)
    r = ps(f"Mount-VHD -Path '{IMAGE}'")
    assert errors(r) and "being used by another process" in errors(r)[0]
    r = ps(f"Remove-Item -LiteralPath '{IMAGE}' -Force")
    assert errors(r) == [
        f"Cannot remove item {IMAGE}: The process cannot access the file '{IMAGE}' because it "
        "is being used by another process."
    ]
    r = ps(f"Move-Item -LiteralPath '{IMAGE}' -Destination C:\\VMs\\moved.vhdx")
    assert errors(r) and "being used by another process" in errors(r)[0]
    assert state(world) == before
    # read-only is fine, but nothing can be written through it
    r = ps(
        f"$p = Mount-VHD -Path '{IMAGE}' -ReadOnly -Passthru | Get-Disk | Get-Partition | Where-Object DriveLetter\n"
        'Test-Path "$($p.DriveLetter):\\Windows"\n'
        'Set-Content -LiteralPath "$($p.DriveLetter):\\x.txt" -Value x'
    )
    assert lines(r) == ["True"]
    assert errors(r) == ["The media is write protected."]


def test_dismount_of_a_disk_not_mounted(ps: Run, world: World) -> None:
    before = state(world)
    r = ps(f"Dismount-VHD -Path '{IMAGE}'")
    assert errors(r) and errors(r)[0].startswith("Failed to dismount the virtual disk.")
    assert state(world) == before


def test_hard_disk_drives(ps: Run, world: World) -> None:
    _child(ps)
    r = ps(
        "New-VHD -Path C:\\VMs\\data.vhdx -SizeBytes 5GB | Out-Null\n"
        f"$vm = New-VM -Name hd -Generation 2 -MemoryStartupBytes 2GB -VHDPath '{CHILD}'\n"
        "Add-VMHardDiskDrive -VMName hd -Path C:\\VMs\\data.vhdx\n"
        'Get-VMHardDiskDrive -VMName hd | ForEach-Object { "$($_.ControllerType) $($_.ControllerNumber):$($_.ControllerLocation) $($_.Path)" }'
    )
    assert lines(r) == [f"SCSI 0:0 {CHILD}", "SCSI 0:1 C:\\VMs\\data.vhdx"]
    before = state(world)
    r = ps("Add-VMHardDiskDrive -VMName hd -Path C:\\VMs\\missing.vhdx")
    assert errors(r) == [
        "Failed to add device 'Virtual Hard Disk'.\nThe system cannot find the file specified. "
        "('C:\\VMs\\missing.vhdx')"
    ]
    assert state(world) == before
    r = ps(
        "Get-VMHardDiskDrive -VMName hd -ControllerLocation 1 | Remove-VMHardDiskDrive\n"
        "(Get-VMHardDiskDrive -VMName hd).Count; Test-Path C:\\VMs\\data.vhdx"
    )
    assert lines(r) == ["1", "True"]


RESIZE_REFUSED = "Failed to resize the virtual disk.\nThe system failed to resize '{}'.\nThe operation is not supported."


def test_resize_vhd_grows_an_empty_disk_and_shrinks_it_only_to_its_minimum(
    ps: Run, world: World
) -> None:
    r = ps(
        "New-Item -ItemType Directory C:\\VMs | Out-Null\n"
        "New-VHD -Path C:\\VMs\\data.vhdx -SizeBytes 5GB | Out-Null\n"
        "Resize-VHD -Path C:\\VMs\\data.vhdx -SizeBytes 8GB\n"
        "(Get-VHD -Path C:\\VMs\\data.vhdx).Size / 1GB\n"
        "(Resize-VHD -Path C:\\VMs\\data.vhdx -SizeBytes 2GB -Passthru).Size / 1GB"
    )
    assert lines(r) == ["8", "2"] and not errors(r)  # no partitions: minimum size 0


def test_resize_vhd_cannot_shrink_a_disk_its_partitions_fill(ps: Run, world: World) -> None:
    _child(ps)
    size = int(lines(ps(f"(Get-VHD -Path '{CHILD}').Size"))[0])
    before = state(world)
    r = ps(f"Resize-VHD -Path '{CHILD}' -SizeBytes {size - 1024**3}")
    assert errors(r) == [RESIZE_REFUSED.format(CHILD)]
    assert fqids(r) == ["NotSupported,Microsoft.Vhd.PowerShell.ResizeVhdCommand"]
    assert state(world) == before
    r = ps(f"Resize-VHD -Path '{CHILD}' -SizeBytes {size + 1024**3} -Passthru | % Size")
    assert lines(r) == [str(size + 1024**3)] and not errors(r)


def test_resize_vhd_online_only_on_the_scsi_chain(ps: Run, world: World) -> None:
    r = ps(
        "New-Item -ItemType Directory C:\\VMs | Out-Null\n"
        "New-VM -Name g1 -Generation 1 -MemoryStartupBytes 1GB -NewVHDPath C:\\VMs\\g1.vhdx -NewVHDSizeBytes 4GB | Out-Null\n"
        "New-VM -Name g2 -Generation 2 -MemoryStartupBytes 1GB -NewVHDPath C:\\VMs\\g2.vhdx -NewVHDSizeBytes 4GB | Out-Null\n"
        "Start-VM -Name g1, g2"
    )
    assert not errors(r)
    before = state(world)
    r = ps("Resize-VHD -Path C:\\VMs\\g1.vhdx -SizeBytes 6GB")
    assert errors(r) == [RESIZE_REFUSED.format("C:\\VMs\\g1.vhdx")]  # IDE: the VM must be Off
    assert state(world) == before
    r = ps(
        "Resize-VHD -Path C:\\VMs\\g2.vhdx -SizeBytes 6GB\n"
        "Stop-VM -Name g1 -TurnOff -Force\n"
        "Resize-VHD -Path C:\\VMs\\g1.vhdx -SizeBytes 6GB\n"
        "(Get-VHD -Path C:\\VMs\\g1.vhdx, C:\\VMs\\g2.vhdx).Size | % { $_ / 1GB }"
    )
    assert lines(r) == ["6", "6"] and not errors(r)


def test_resize_vhd_of_a_missing_file(ps: Run, world: World) -> None:
    r = ps("Resize-VHD -Path C:\\VMs\\none.vhdx -SizeBytes 6GB")
    assert errors(r) == [
        "Failed to resize the virtual disk.\nThe system failed to resize 'C:\\VMs\\none.vhdx': "
        "The system cannot find the file specified. (0x80070002)."
    ]
