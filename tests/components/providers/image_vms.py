"""Test set-up: a VM that boots an OS from an image, made the way Windows needs it (the
product's own image support is tested elsewhere).

A differencing disk on the image; for a generalized image an answer file written into the
disk before the first boot (Mount-VHD, the drive letter, `\\Windows\\Panther\\unattend.xml`,
Dismount-VHD) that sets the computer name and the Administrator password; then New-VM on
that disk, the virtualization extensions, Start-VM.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from tests.components.providers.conftest import ps_literal

_SHELL_SETUP = (
    'name="Microsoft-Windows-Shell-Setup" processorArchitecture="amd64" '
    'publicKeyToken="31bf3856ad364e35" language="neutral" versionScope="nonSxS"'
)


def unattend_xml(computer_name: str, password: str) -> str:
    """An answer file: computer name (specialize), Administrator password (oobeSystem)."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<unattend xmlns="urn:schemas-microsoft-com:unattend">\n'
        '  <settings pass="specialize">\n'
        f"    <component {_SHELL_SETUP}>\n"
        f"      <ComputerName>{escape(computer_name)}</ComputerName>\n"
        "    </component>\n"
        "  </settings>\n"
        '  <settings pass="oobeSystem">\n'
        f"    <component {_SHELL_SETUP}>\n"
        "      <UserAccounts><AdministratorPassword>"
        f"<Value>{escape(password)}</Value><PlainText>true</PlainText>"
        "</AdministratorPassword></UserAccounts>\n"
        "      <TimeZone>UTC</TimeZone>\n"
        "    </component>\n"
        "  </settings>\n"
        "</unattend>\n"
    )


def image_vm_script(
    name: str,
    image: str,
    password: str,
    *,
    generalized: bool = True,
    expose: bool = True,
    memory: str = "4GB",
) -> str:
    """PowerShell (for the tests' own host session) that makes and starts VM `name` on a
    differencing disk of `image`, with an answer file when the image is generalized."""
    disk = f"C:\\VMs\\{name}.vhdx"
    lines = [
        "$ErrorActionPreference = 'Stop'",
        "New-Item -ItemType Directory -Force -Path 'C:\\VMs' | Out-Null",
        f"New-VHD -Path {ps_literal(disk)} -ParentPath {ps_literal(image)} -Differencing | Out-Null",
    ]
    if generalized:
        lines += [
            f"$disk = Mount-VHD -Path {ps_literal(disk)} -Passthru",
            "$letter = ($disk | Get-Disk | Get-Partition | Where-Object DriveLetter | "
            "Select-Object -First 1).DriveLetter",
            'New-Item -ItemType Directory -Force -Path "$($letter):\\Windows\\Panther" | Out-Null',
            'Set-Content -LiteralPath "$($letter):\\Windows\\Panther\\unattend.xml" '
            f"-Value {ps_literal(unattend_xml(name[:15], password))} -Encoding UTF8",
            f"Dismount-VHD -Path {ps_literal(disk)}",
        ]
    lines += [
        f"New-VM -Name {ps_literal(name)} -Generation 2 -MemoryStartupBytes {memory} "
        f"-VHDPath {ps_literal(disk)} | Out-Null",
        f"Set-VMProcessor -VMName {ps_literal(name)} -ExposeVirtualizationExtensions "
        f"${str(expose).lower()}",
        f"Start-VM -Name {ps_literal(name)}",
    ]
    return "\n".join(lines)
