"""What Windows reports about its own release, derived from a computer's build and edition.

The world models a machine's build number and edition family (server / client); the names,
version strings and update revision (UBR) Windows shows for that build are fixed facts of
each release, kept here once for $PSVersionTable, the CurrentVersion registry key and
Win32_OperatingSystem.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Release:
    """One Windows release as its registry and WMI name it."""

    build: int
    ubr: int  # the update revision of the patched image the emulator models
    server_name: str  # ProductName of its server edition ("" when there is none)
    client_name: str  # ProductName of its client edition ("" when there is none)
    client_caption: str  # Win32_OperatingSystem.Caption of the client edition
    display_version: str  # "21H2" ("" before 20H2: the value does not exist)
    release_id: str


_RELEASES = {
    r.build: r
    for r in (
        Release(14393, 7428, "Windows Server 2016 Datacenter", "", "", "", "1607"),
        Release(17763, 6893, "Windows Server 2019 Datacenter", "", "", "", "1809"),
        Release(20348, 2849, "Windows Server 2022 Datacenter", "", "", "21H2", "2009"),
        # Windows 11 still names itself "Windows 10" in the registry (Caption says 11).
        Release(
            22000,
            3260,
            "",
            "Windows 10 Enterprise",
            "Microsoft Windows 11 Enterprise",
            "21H2",
            "2009",
        ),
        Release(
            22621,
            4890,
            "",
            "Windows 10 Enterprise",
            "Microsoft Windows 11 Enterprise",
            "22H2",
            "2009",
        ),
    )
}


def release_of(computer: Any) -> Release:
    """The release of `computer` (a world Computer); an unknown build gets a neutral one."""
    build = int(getattr(computer, "build", 20348))
    known = _RELEASES.get(build)
    if known is not None:
        return known
    return Release(build, 0, "Windows Server Datacenter", "Windows 10 Enterprise", "", "", "")


def is_server(computer: Any) -> bool:
    return getattr(computer, "edition", "server") == "server"


def product_name(computer: Any) -> str:
    release = release_of(computer)
    return (release.server_name if is_server(computer) else release.client_name) or (
        release.client_name or release.server_name
    )


def edition_id(computer: Any) -> str:
    return "ServerDatacenter" if is_server(computer) else "Enterprise"


def installation_type(computer: Any) -> str:
    return "Server" if is_server(computer) else "Client"


def caption(computer: Any) -> str:
    """Win32_OperatingSystem.Caption: "Microsoft " + the product name (11 for Windows 11)."""
    release = release_of(computer)
    if not is_server(computer) and release.client_caption:
        return release.client_caption
    return "Microsoft " + product_name(computer)


def full_build(computer: Any) -> str:
    """ "20348.2849": the build and UBR (what winver and $PSVersionTable show)."""
    release = release_of(computer)
    return f"{release.build}.{release.ubr}"
