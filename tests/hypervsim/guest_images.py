"""Guests boot from images: helpers that prepare a disk the way a lab does (a differencing
disk on the generalized image with an answer file written into it), at the world level or as
the PowerShell a script would run."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.world.model import Computer

IMAGE = "C:\\Images\\WS2022-Datacenter.vhdx"
PASSWORD = "Pa55w.rd!"
NS = "urn:schemas-microsoft-com:unattend"


def unattend_xml(
    name: str = "*",
    password: str = PASSWORD,
    plain: bool = True,
    time_zone: str = "UTC",
) -> str:
    """An answer file as Windows SIM writes one (the parts Setup reads here)."""
    value = (
        password
        if plain
        else base64.b64encode((password + "AdministratorPassword").encode("utf-16-le")).decode()
    )
    shell = (
        'name="Microsoft-Windows-Shell-Setup" processorArchitecture="amd64" '
        'publicKeyToken="31bf3856ad364e35" language="neutral" versionScope="nonSxS"'
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><unattend xmlns="{NS}">'
        f'<settings pass="specialize"><component {shell}><ComputerName>{name}</ComputerName>'
        f"<TimeZone>{time_zone}</TimeZone></component></settings>"
        f'<settings pass="oobeSystem"><component {shell}><UserAccounts><AdministratorPassword>'
        f"<Value>{value}</Value><PlainText>{'true' if plain else 'false'}</PlainText>"
        "</AdministratorPassword></UserAccounts></component></settings></unattend>"
    )


def ensure_image(host: Computer, image: str = IMAGE) -> None:
    """Put the physical host's image onto `host` (a guest), as Copy-VMFile would."""
    if host.fs_item(image) is not None:
        return
    root = host.world.root
    folder = image.rsplit("\\", 1)[0]
    if host.fs_item(folder) is None:
        host.fs_mkdir(folder)
    root.fs_copy(image, image, target=host)


def image_disk(
    host: Computer,
    path: str,
    name: str = "*",
    password: str = PASSWORD,
    image: str = IMAGE,
    answer: str | None = "",
) -> str:
    """A differencing disk on `image` at `path` with an answer file in it (answer None: none)."""
    ensure_image(host, image)
    folder = path.rsplit("\\", 1)[0]
    if host.fs_item(folder) is None:
        host.fs_mkdir(folder)
    host.new_vhd(path, parent_path=image)
    if answer is not None:
        disk = host.mount_vhd(path)
        host.fs_write(
            f"{disk.drive_letter}:\\Windows\\Panther\\unattend.xml",
            answer or unattend_xml(name, password),
            encoding="utf8",
        )
        host.dismount_vhd(disk)
    return path


def prepare_disk_ps(
    path: str, name: str = "*", password: str = PASSWORD, image: str = IMAGE
) -> str:
    """The PowerShell that makes `path` a bootable disk with an answer file."""
    folder = path.rsplit("\\", 1)[0]
    return (
        f"New-Item -ItemType Directory -Force -Path '{folder}' | Out-Null\n"
        f"New-VHD -Path '{path}' -ParentPath '{image}' -Differencing | Out-Null\n"
        f"$part = Mount-VHD -Path '{path}' -Passthru | Get-Disk | Get-Partition | Where-Object DriveLetter\n"
        f'Set-Content -LiteralPath "$($part.DriveLetter):\\Windows\\Panther\\unattend.xml" '
        f"-Value '{unattend_xml(name, password)}' -Encoding UTF8\n"
        f"Dismount-VHD -Path '{path}'"
    )


def copy_image_ps(vm_name: str, image: str = IMAGE) -> str:
    """The PowerShell that copies the host's image into a running VM's guest."""
    return (
        f"Enable-VMIntegrationService -VMName '{vm_name}' -Name 'Guest Service Interface'\n"
        f"Copy-VMFile -Name '{vm_name}' -SourcePath '{image}' -DestinationPath '{image}' "
        "-FileSource Host -CreateFullPath"
    )
