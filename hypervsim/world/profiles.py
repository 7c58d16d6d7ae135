"""Physical host profiles: the L0 machine's build, edition, CPU vendor, VBS and size.

Chosen with `--host-profile` so tests can reach every nesting prerequisite branch.
"""

from __future__ import annotations

from dataclasses import dataclass

GiB = 1024**3


@dataclass(frozen=True)
class HostProfile:
    """What the physical L0 host is."""

    name: str
    build: int
    edition: str  # "server" | "client"
    cpu_vendor: str  # "Intel" | "AMD"
    vbs: bool
    memory_bytes: int
    logical_processors: int
    computer_name: str
    # The OS image it carries: (path, family, build, edition); generalized, generation 2.
    image: tuple[str, str, int, str] = (
        "C:\\Images\\WS2022-Datacenter.vhdx",
        "windows-server",
        20348,
        "server",
    )


PROFILES: dict[str, HostProfile] = {
    p.name: p
    for p in (
        HostProfile(
            "server2022-intel", 20348, "server", "Intel", False, 256 * GiB, 256, "HV-HOST01"
        ),
        HostProfile(
            "server2022-intel-vbs", 20348, "server", "Intel", True, 256 * GiB, 64, "HV-HOST01"
        ),
        HostProfile(
            "server2016-amd",
            14393,
            "server",
            "AMD",
            False,
            128 * GiB,
            32,
            "HV-HOST01",
            ("C:\\Images\\WS2016-Datacenter.vhdx", "windows-server", 14393, "server"),
        ),
        HostProfile(
            "server2019-intel",
            17763,
            "server",
            "Intel",
            False,
            128 * GiB,
            32,
            "HV-HOST01",
            ("C:\\Images\\WS2019-Datacenter.vhdx", "windows-server", 17763, "server"),
        ),
        HostProfile(
            "win11-amd",
            22000,
            "client",
            "AMD",
            False,
            64 * GiB,
            16,
            "DESKTOP-HV01",
            ("C:\\Images\\Win11-Enterprise.vhdx", "windows-client", 22621, "client"),
        ),
    )
}

DEFAULT_PROFILE = "server2022-intel"


def get_profile(name: str) -> HostProfile:
    """The named profile; a ValueError lists the known ones."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(
            f"unknown host profile {name!r}; known: {', '.join(sorted(PROFILES))}"
        ) from None


# VM configuration versions a host of a given Windows build creates by default / supports
# (each build supports what the one before did, and more).
_WS2016 = ("5.0", "6.2", "7.0", "7.1", "8.0")
_WS2019 = (*_WS2016, "8.1", "8.2", "8.3", "9.0")
_WS2022 = (*_WS2019, "9.1", "9.2", "9.3", "10.0")
_VERSIONS_BY_BUILD: list[tuple[int, str, tuple[str, ...]]] = [
    (14393, "8.0", _WS2016),
    (17763, "9.0", _WS2019),
    (20348, "10.0", _WS2022),
    (22621, "11.0", (*_WS2022, "11.0")),
]


def default_vm_version(build: int) -> str:
    """The configuration version New-VM uses on a host of this build."""
    chosen = _VERSIONS_BY_BUILD[0][1]
    for min_build, default, _ in _VERSIONS_BY_BUILD:
        if build >= min_build:
            chosen = default
    return chosen


def supported_vm_versions(build: int) -> tuple[str, ...]:
    """Configuration versions a host of this build can create and run."""
    chosen = _VERSIONS_BY_BUILD[0][2]
    for min_build, _, versions in _VERSIONS_BY_BUILD:
        if build >= min_build:
            chosen = versions
    return chosen


def version_tuple(version: str) -> tuple[int, int]:
    """ "9.3" -> (9, 3) for comparisons."""
    major, _, minor = version.partition(".")
    return int(major), int(minor or 0)
