"""Windows features (Server Manager) and optional features (DISM), and restarts.

Installing Hyper-V inside a VM needs the virtualization extensions exposed to it; Hyper-V
becomes active (the machine can host VMs) only after the restart that completes the install.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hypervsim.world.errors import WorldError
from hypervsim.world.host_services import HostServices
from hypervsim.world.records import Feature

if TYPE_CHECKING:  # pragma: no cover
    pass

SERVER_FEATURES: list[tuple[str, str]] = [
    ("Hyper-V", "Hyper-V"),
    ("RSAT-Hyper-V-Tools", "Hyper-V Management Tools"),
    ("Hyper-V-Tools", "Hyper-V GUI Management Tools"),
    ("Hyper-V-PowerShell", "Hyper-V Module for Windows PowerShell"),
    ("RSAT-Clustering", "Failover Clustering Tools"),
    ("Containers", "Containers"),
]
CLIENT_FEATURES: list[tuple[str, str]] = [
    ("Microsoft-Hyper-V-All", "Hyper-V"),
    ("Microsoft-Hyper-V", "Hyper-V Platform"),
    ("Microsoft-Hyper-V-Hypervisor", "Hyper-V Hypervisor"),
    ("Microsoft-Hyper-V-Services", "Hyper-V Services"),
    ("Microsoft-Hyper-V-Tools-All", "Hyper-V Management Tools"),
    ("Microsoft-Hyper-V-Management-PowerShell", "Hyper-V Module for Windows PowerShell"),
    ("Containers", "Containers"),
]
# What installing one name brings along (sub-features that Windows adds with it).
_SERVER_MGMT = ["RSAT-Hyper-V-Tools", "Hyper-V-Tools", "Hyper-V-PowerShell"]
_CLIENT_ALL = [n for n, _ in CLIENT_FEATURES if n.startswith("Microsoft-Hyper-V")]
HYPERV_ROLE = {"server": "Hyper-V", "client": "Microsoft-Hyper-V"}

PREREQ_NO_VIRT = (
    "Hyper-V cannot be installed: The processor does not have required virtualization capabilities."
)


def default_features(edition: str, hyperv_installed: bool) -> list[Feature]:
    """The feature list of a fresh Windows of this edition."""
    table = SERVER_FEATURES if edition == "server" else CLIENT_FEATURES
    hyperv_names = {*_SERVER_MGMT, "Hyper-V"} if edition == "server" else set(_CLIENT_ALL)
    return [
        Feature(
            name=n,
            display_name=d,
            install_state="Installed" if hyperv_installed and n in hyperv_names else "Available",
        )
        for n, d in table
    ]


class FeatureSet(HostServices):
    """Feature state and restarts of a Computer (mixed into `Computer`)."""

    def feature(self, name: str) -> Feature | None:
        return next((f for f in self.features if f.name.lower() == name.lower()), None)

    @property
    def hyperv_active(self) -> bool:
        """Hyper-V installed and the machine restarted since (the hypervisor runs)."""
        role = self.feature(HYPERV_ROLE[self.edition])
        return role is not None and role.install_state == "Installed"

    @property
    def hyperv_pending(self) -> bool:
        role = self.feature(HYPERV_ROLE[self.edition])
        return role is not None and role.install_state == "InstallPending"

    def _check_virtualization_prereq(self, names: list[str]) -> None:
        touches_hyperv = any(
            n.lower()
            in (
                "hyper-v",
                "microsoft-hyper-v",
                "microsoft-hyper-v-all",
                "microsoft-hyper-v-hypervisor",
            )
            for n in names
        )
        vm = self.vm
        if touches_hyperv and vm is not None and not vm.expose_virtualization_extensions:
            raise WorldError(
                "A prerequisite check for the Hyper-V feature failed.\n1. " + PREREQ_NO_VIRT,
                reason="Alteration_PrerequisiteCheck_Failed",
                category="InvalidOperation",
                exception_type="System.Exception",
                target="Hyper-V",
            )

    def install_features(
        self,
        names: list[str],
        include_management_tools: bool = False,
        include_all_sub: bool = False,
    ) -> tuple[list[Feature], bool]:
        """Install-WindowsFeature / Enable-WindowsOptionalFeature: returns (changed, restart needed).

        Unknown names raise; nothing changes when a prerequisite fails."""
        wanted: list[str] = []
        for raw in names:
            f = self.feature(raw)
            if f is None:
                raise WorldError(
                    f"ArgumentNotValid: The role, role service, or feature name is not valid: '{raw}'. The name was not found.",
                    reason="NameDoesNotExist",
                    category="InvalidArgument",
                    exception_type="System.Exception",
                    target=raw,
                )
            wanted.append(f.name)
            if f.name == "Hyper-V" and include_management_tools:
                wanted += _SERVER_MGMT
            if f.name == "Microsoft-Hyper-V-All" or (
                f.name == "Microsoft-Hyper-V" and include_all_sub
            ):
                wanted += _CLIENT_ALL
        self._check_virtualization_prereq(wanted)
        changed: list[Feature] = []
        restart = False
        for n in dict.fromkeys(wanted):
            f = self.feature(n)
            assert f is not None
            if f.install_state == "Available":
                needs_restart = n in (
                    "Hyper-V",
                    "Microsoft-Hyper-V",
                    "Microsoft-Hyper-V-Hypervisor",
                    "Microsoft-Hyper-V-All",
                    "Containers",
                )
                f.install_state = "InstallPending" if needs_restart else "Installed"
                restart = restart or needs_restart
                changed.append(f)
        return changed, restart or any(f.install_state == "InstallPending" for f in self.features)

    def complete_restart(self) -> None:
        """What a restart of this Windows does: pending installs complete."""
        self.restart_count += 1
        for f in self.features:
            if f.install_state == "InstallPending":
                f.install_state = "Installed"
