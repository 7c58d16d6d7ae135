"""The FileSystem provider cmdlets on the emulated host's files (and disk files)."""

from __future__ import annotations

import json
from collections.abc import Callable

from hypervsim.powershell.session import RunResult
from hypervsim.world.model import World

from .conftest import errors, lines

Run = Callable[[str], RunResult]
IMAGE = "C:\\Images\\WS2022-Datacenter.vhdx"


def state(world: World) -> str:
    data = world.to_json()
    data.pop("executed")
    data.pop("executed_total")
    return json.dumps(data, sort_keys=True)


def fqids(result: RunResult) -> list[str]:
    return [r.error.fqid for r in result.records if r.kind == "error" and r.error is not None]


def test_test_path_sees_files_dirs_and_disks(ps: Run) -> None:
    r = ps(
        f"Test-Path -LiteralPath '{IMAGE}' -PathType Leaf\n"
        "Test-Path -LiteralPath C:\\Images -PathType Leaf\n"
        "Test-Path -Path c:/images -PathType Container\n"
        "Test-Path C:\\Nope\n"
        "Test-Path Q:\\anything\n"
        "Test-Path env:COMPUTERNAME"
    )
    assert lines(r) == ["True", "False", "True", "False", "False", "True"]


def test_get_item_of_an_image_gives_its_file_size(ps: Run) -> None:
    r = ps(
        f"$i = Get-Item -LiteralPath '{IMAGE}'\n"
        "$i.Name; $i.Extension; $i.PSIsContainer; $i.Length -gt 1GB; $i.FullName"
    )
    assert lines(r) == ["WS2022-Datacenter.vhdx", ".vhdx", "False", "True", IMAGE]


def test_new_item_directory_exists_without_force_is_refused(ps: Run, world: World) -> None:
    ps("New-Item -ItemType Directory -Path C:\\Lab\\Sub | Out-Null")
    before = state(world)
    r = ps("New-Item -ItemType Directory -Path C:\\Lab")
    assert errors(r) == ["An item with the specified name C:\\Lab already exists."]
    assert fqids(r) == ["DirectoryExist,Microsoft.PowerShell.Commands.NewItemCommand"]
    assert state(world) == before
    r = ps("(New-Item -ItemType Directory -Path C:\\Lab -Force).FullName")
    assert lines(r) == ["C:\\Lab"] and not errors(r)


def test_new_item_file_exists_is_refused(ps: Run, world: World) -> None:
    ps("New-Item -ItemType File -Path C:\\a.txt -Value 'one' | Out-Null")
    before = state(world)
    r = ps("New-Item -ItemType File -Path C:\\a.txt -Value 'two'")
    assert errors(r) == ["The file 'C:\\a.txt' already exists."]
    assert state(world) == before
    assert lines(ps("Get-Content C:\\a.txt")) == ["one"]


def test_content_round_trip_with_encodings(ps: Run) -> None:
    r = ps(
        "Set-Content -LiteralPath C:\\t.txt -Value 'hello','world' -Encoding UTF8\n"
        "(Get-Item C:\\t.txt).Length\n"
        "(Get-Content C:\\t.txt).Count\n"
        "Add-Content -Path C:\\t.txt -Value 'again'\n"
        "Get-Content C:\\t.txt\n"
        "'x' | Out-File C:\\o.txt\n"
        "(Get-Item C:\\o.txt).Length\n"
        '(Get-Content -Raw C:\\o.txt) -eq "x`r`n"'
    )
    # UTF-8 with BOM (3) + "hello\r\nworld\r\n" (14); Out-File: UTF-16LE BOM + "x\r\n"
    assert lines(r) == ["17", "2", "hello", "world", "again", "8", "True"]


def test_set_content_into_missing_directory(ps: Run, world: World) -> None:
    before = state(world)
    r = ps("Set-Content -LiteralPath C:\\Nope\\x.txt -Value a")
    assert errors(r) == ["Could not find a part of the path 'C:\\Nope\\x.txt'."]
    assert fqids(r) == [
        "GetContentWriterDirectoryNotFoundError,Microsoft.PowerShell.Commands.SetContentCommand"
    ]
    assert state(world) == before


def test_get_content_of_missing_file(ps: Run) -> None:
    r = ps("Get-Content -LiteralPath C:\\missing.txt")
    assert errors(r) == ["Cannot find path 'C:\\missing.txt' because it does not exist."]
    assert fqids(r) == ["PathNotFound,Microsoft.PowerShell.Commands.GetContentCommand"]


def test_file_hash_is_uppercase_sha256_and_follows_content(ps: Run) -> None:
    r = ps(
        "Set-Content -LiteralPath C:\\h.txt -Value abc -Encoding ASCII -NoNewline\n"
        "$h = Get-FileHash -LiteralPath C:\\h.txt\n"
        "$h.Algorithm; $h.Hash; $h.Path"
    )
    assert lines(r) == [
        "SHA256",
        "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
        "C:\\h.txt",
    ]


def test_disk_copy_is_independent_with_the_same_hash(ps: Run, world: World) -> None:
    r = ps(
        "New-Item -ItemType Directory C:\\Lab | Out-Null\n"
        f"Copy-Item -LiteralPath '{IMAGE}' -Destination C:\\Lab\\copy.vhdx\n"
        f"(Get-FileHash '{IMAGE}').Hash -eq (Get-FileHash C:\\Lab\\copy.vhdx).Hash\n"
        f"(Get-Item C:\\Lab\\copy.vhdx).Length -eq (Get-Item '{IMAGE}').Length\n"
        "(Get-VHD -Path C:\\Lab\\copy.vhdx).Path"
    )
    assert lines(r) == ["True", "True", "C:\\Lab\\copy.vhdx"]
    copy = world.root.vhd("C:\\Lab\\copy.vhdx")
    assert copy is not None and copy.os_build == 20348 and copy.generation == 2


def test_copy_into_missing_directory_is_refused(ps: Run, world: World) -> None:
    before = state(world)
    r = ps(f"Copy-Item -LiteralPath '{IMAGE}' -Destination C:\\Nope\\x.vhdx")
    assert errors(r) == ["Could not find a part of the path 'C:\\Nope\\x.vhdx'."]
    assert state(world) == before


def test_move_item_and_existing_destination(ps: Run, world: World) -> None:
    ps("Set-Content C:\\a.txt a; Set-Content C:\\b.txt b; New-Item -ItemType Directory C:\\D")
    before = state(world)
    r = ps("Move-Item -Path C:\\a.txt -Destination C:\\b.txt")
    assert errors(r) == ["Cannot create a file when that file already exists."]
    assert state(world) == before
    r = ps("Move-Item C:\\a.txt C:\\D; Test-Path C:\\a.txt; Get-Content C:\\D\\a.txt")
    assert lines(r) == ["False", "a"]


def test_remove_item_directory_needs_recurse(ps: Run, world: World) -> None:
    ps("New-Item -ItemType Directory C:\\R\\S | Out-Null; Set-Content C:\\R\\S\\f.txt x")
    before = state(world)
    r = ps("Remove-Item -LiteralPath C:\\R")
    # Remove-Item would ask to confirm; a remote host cannot prompt
    assert errors(r) == [
        "Windows PowerShell is in NonInteractive mode. Read and Prompt functionality is not "
        "available."
    ]
    assert fqids(r) == [
        "HostFunctionPromptNotImplemented,Microsoft.PowerShell.Commands.RemoveItemCommand"
    ]
    assert state(world) == before
    r = ps("Remove-Item -LiteralPath C:\\R -Recurse -Force; Test-Path C:\\R")
    assert lines(r) == ["False"]


def test_remove_missing_item(ps: Run) -> None:
    r = ps("Remove-Item -LiteralPath C:\\gone.txt -Force")
    assert errors(r) == ["Cannot find path 'C:\\gone.txt' because it does not exist."]
    assert fqids(r) == ["PathNotFound,Microsoft.PowerShell.Commands.RemoveItemCommand"]


def test_new_vhd_creates_the_file_and_needs_its_folder(ps: Run, world: World) -> None:
    before = state(world)
    r = ps("New-VHD -Path C:\\NoFolder\\d.vhdx -SizeBytes 10GB -Dynamic")
    assert errors(r) == [
        "Failed to create the virtual hard disk.\nThe system failed to create "
        "'C:\\NoFolder\\d.vhdx': The system cannot find the path specified. (0x80070003)."
    ]
    assert state(world) == before
    r = ps(
        "New-Item -ItemType Directory C:\\Disks | Out-Null\n"
        "New-VHD -Path C:\\Disks\\d.vhdx -SizeBytes 10GB -Dynamic | Out-Null\n"
        "(Get-Item C:\\Disks\\d.vhdx).Length -lt 10MB\n"
        "(Get-ChildItem C:\\Disks).Name"
    )
    assert lines(r) == ["True", "d.vhdx"]


def test_remove_vm_leaves_its_disk_file(ps: Run) -> None:
    r = ps(
        "$vm = New-VM -Name v -Generation 2 -NewVHDPath C:\\VMs\\v.vhdx -NewVHDSizeBytes 20GB\n"
        "Remove-VM -VM $vm -Force\n"
        "Test-Path -LiteralPath C:\\VMs\\v.vhdx"
    )
    assert lines(r) == ["True"]


def test_disk_of_a_running_vm_cannot_be_removed(ps: Run, world: World) -> None:
    ps(
        "$vm = New-VM -Name v -Generation 2 -NewVHDPath C:\\VMs\\v.vhdx -NewVHDSizeBytes 20GB\n"
        "Start-VM -VM $vm"
    )
    before = state(world)
    r = ps("Remove-Item -LiteralPath C:\\VMs\\v.vhdx -Force")
    assert errors(r) == [
        "Cannot remove item C:\\VMs\\v.vhdx: The process cannot access the file "
        "'C:\\VMs\\v.vhdx' because it is being used by another process."
    ]
    assert fqids(r) == [
        "RemoveFileSystemItemIOError,Microsoft.PowerShell.Commands.RemoveItemCommand"
    ]
    assert state(world) == before


def test_disk_file_is_overwritten_when_nobody_holds_it_and_refused_while_in_use(
    ps: Run, world: World
) -> None:
    ps("$vm = New-VM -Name v -Generation 2 -NewVHDPath C:\\VMs\\v.vhdx -NewVHDSizeBytes 20GB")
    ps("New-VHD -Path C:\\VMs\\spare.vhdx -SizeBytes 1GB | Out-Null")
    r = ps(
        "Set-Content -LiteralPath C:\\VMs\\spare.vhdx -Value 'text now'\n"
        "Get-Content -LiteralPath C:\\VMs\\spare.vhdx\n"
        "Test-Path -LiteralPath C:\\VMs\\spare.vhdx"
    )
    assert not errors(r)
    assert lines(r) == ["text now", "True"]
    r = ps("Get-VHD -Path C:\\VMs\\spare.vhdx")
    assert len(errors(r)) == 1
    ps("Start-VM -Name v")
    before = state(world)
    r = ps("Set-Content -LiteralPath C:\\VMs\\v.vhdx -Value 'oops'")
    assert len(errors(r)) == 1 and "being used by another process" in errors(r)[0]
    assert state(world) == before


def test_files_survive_save_and_load(world: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    world.root.fs_mkdir("C:\\Keep")
    world.root.fs_write("C:\\Keep\\a.txt", "kept\r\n", encoding="utf8")
    world.save(tmp_path / "w.json")
    again = World.load(tmp_path / "w.json")
    assert again.root.fs_read("C:\\keep\\A.TXT") == "kept\r\n"
    assert again.root.fs_hash(IMAGE) == world.root.fs_hash(IMAGE)


def test_out_file_into_missing_directory(ps: Run, world: World) -> None:
    before = state(world)
    r = ps("'x' | Out-File -FilePath C:\\Nope\\o.txt")
    assert errors(r) == ["Could not find a part of the path 'C:\\Nope\\o.txt'."]
    assert fqids(r) == ["FileOpenFailure,Microsoft.PowerShell.Commands.OutFileCommand"]
    assert [x.error.category.name for x in r.records if x.error is not None] == ["OpenError"]
    assert state(world) == before
