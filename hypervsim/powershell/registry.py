"""The registry keys Hyper-V tooling reads, as a computer of the world shows them.

Read-only: the Windows version key (from `os_release`, i.e. the computer's build and edition)
and the Device Guard key (from the host profile's VBS). Their parent keys exist so Test-Path
on them is True; any other key does not exist here.
"""

from __future__ import annotations

from typing import Any

from hypervsim.powershell.os_release import (
    edition_id,
    installation_type,
    product_name,
    release_of,
)

HIVES = {
    "hklm": "HKEY_LOCAL_MACHINE",
    "hkey_local_machine": "HKEY_LOCAL_MACHINE",
    "hkcu": "HKEY_CURRENT_USER",
    "hkey_current_user": "HKEY_CURRENT_USER",
}
DRIVES = {"HKEY_LOCAL_MACHINE": "HKLM", "HKEY_CURRENT_USER": "HKCU"}
CURRENT_VERSION = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion"
DEVICE_GUARD = "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\DeviceGuard"
PROVIDER = "Microsoft.PowerShell.Core\\Registry"


def parse_key(path: str) -> str | None:
    """`HKLM:\\SOFTWARE\\x`, `Registry::HKEY_LOCAL_MACHINE\\...` -> `HKEY_LOCAL_MACHINE\\...`;
    None when the path is no registry path."""
    text = path.replace("/", "\\").strip()
    lowered = text.lower()
    for prefix in (PROVIDER.lower() + "::", "registry::"):
        if lowered.startswith(prefix):
            rest = text[len(prefix) :].strip("\\")
            hive, _, sub = rest.partition("\\")
            full = HIVES.get(hive.lower())
            return None if full is None else _join(full, sub)
    drive, sep, rest = text.partition(":")
    if sep and drive.lower() in ("hklm", "hkcu"):
        return _join(HIVES[drive.lower()], rest.strip("\\"))
    return None


# Real keys whose contents the emulator does not model: they exist (Test-Path is True), but
# reading them, or anything below them, is refused as not supported rather than answered
# with a "does not exist" Windows would not give.
UNMODELLED = (
    "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion",
    "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Virtualization",
    "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon",
    "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services",
    "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Lsa",
    "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Session Manager",
    "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\DeviceGuard\\Scenarios",
)


def unmodelled(key: str) -> str | None:
    """The unmodelled real key `key` is (or lies below), or None."""
    lowered = key.lower()
    for root in UNMODELLED:
        if lowered == root.lower() or lowered.startswith(root.lower() + "\\"):
            return root
    return None


def _join(hive: str, sub: str) -> str:
    parts = [p for p in sub.split("\\") if p]
    return "\\".join([hive, *parts])


def _values(computer: Any) -> dict[str, dict[str, Any]]:
    release = release_of(computer)
    version: dict[str, Any] = {
        "SystemRoot": "C:\\Windows",
        "BuildBranch": "fe_release" if release.build == 20348 else "rs_release",
        "CurrentBuild": str(release.build),
        "CurrentBuildNumber": str(release.build),
        "CurrentMajorVersionNumber": 10,
        "CurrentMinorVersionNumber": 0,
        "CurrentType": "Multiprocessor Free",
        "CurrentVersion": "6.3",
        "EditionID": edition_id(computer),
        "InstallationType": installation_type(computer),
        "ProductName": product_name(computer),
        "ReleaseId": release.release_id,
        "UBR": release.ubr,
        "RegisteredOwner": "Windows User",
    }
    if release.display_version:
        version["DisplayVersion"] = release.display_version
    guard: dict[str, Any] = {}
    if getattr(computer, "vbs", False):
        guard = {"EnableVirtualizationBasedSecurity": 1, "RequirePlatformSecurityFeatures": 1}
    return {CURRENT_VERSION.lower(): version, DEVICE_GUARD.lower(): guard}


def _keys() -> dict[str, str]:
    """Every key that exists (lower-cased -> as Windows spells it): the two modelled keys,
    their ancestors and the hives."""
    out: dict[str, str] = {}
    for key in (CURRENT_VERSION, DEVICE_GUARD, "HKEY_CURRENT_USER\\Software", *UNMODELLED):
        parts = key.split("\\")
        for i in range(1, len(parts) + 1):
            name = "\\".join(parts[:i])
            out[name.lower()] = name
    return out


def canonical(key: str) -> str | None:
    """The existing key's name as Windows spells it, or None if it does not exist."""
    return _keys().get(key.lower())


def key_exists(key: str) -> bool:
    return canonical(key) is not None


def key_values(computer: Any, key: str) -> dict[str, Any] | None:
    """The values of `key` (name -> value), {} for a key without modelled values, None if
    the key does not exist."""
    if not key_exists(key):
        return None
    return dict(_values(computer).get(key.lower(), {}))


def not_modelled_message(key: str) -> str:
    return f"hypervsim does not model the contents of the registry key {key}."


def display_path(key: str) -> str:
    """`HKEY_LOCAL_MACHINE\\SOFTWARE` -> `HKLM:\\SOFTWARE` (how PSPath-less paths print)."""
    hive, _, rest = key.partition("\\")
    return f"{DRIVES.get(hive, hive)}:\\{rest}"
