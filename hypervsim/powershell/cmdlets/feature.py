"""Features: Install-/Get-WindowsFeature (Server), Enable-/Get-WindowsOptionalFeature (DISM),
and Restart-Computer (completes pending installs; inside a guest the VM reboots)."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import Any

from hypervsim.powershell.api import Invocation, Param, ParamKind, PSObject, cmdlet
from hypervsim.powershell.cmdlets.world_bridge import (
    InstallState,
    RestartState,
    as_bool,
    report,
    strings,
)
from hypervsim.world.errors import WorldError
from hypervsim.world.model import Computer
from hypervsim.world.records import Feature

L = ParamKind.LIST
S = ParamKind.SWITCH
SM = "Microsoft.Windows.ServerManager.Commands."
DISM = "Microsoft.Dism.Commands."
# DISM names on Windows Server map onto Server Manager features.
_DISM_ON_SERVER = {
    "microsoft-hyper-v": "Hyper-V",
    "microsoft-hyper-v-all": "Hyper-V",
    "microsoft-hyper-v-management-powershell": "Hyper-V-PowerShell",
    "microsoft-hyper-v-tools-all": "RSAT-Hyper-V-Tools",
    "containers": "Containers",
}


def _on_server(computer: Any) -> bool:
    """ServerManager's cmdlets exist on Windows Server only (client Windows uses DISM's)."""
    return getattr(computer, "edition", "server") == "server"


def feature_object(f: Feature) -> PSObject:
    return PSObject(
        {
            "Name": f.name,
            "DisplayName": f.display_name,
            "Installed": f.install_state == "Installed",
            "InstallState": InstallState[f.install_state],
            "FeatureType": "Role" if f.name in ("Hyper-V",) else "Feature",
            "Path": f.display_name,
        },
        [SM + "Feature", "System.Object"],
        ref=f,
    )


def restart_guest_or_host(c: Computer) -> None:
    """A restart: inside a VM the guest reboots (instantly here); on L0 the host reboots."""
    vm, host = c.vm, c.host
    if vm is not None and host is not None and vm.state == "Running":
        host.restart_vm(vm)
    elif vm is not None:
        c.complete_restart()
    else:
        c.world.reboot_host()


@cmdlet(
    "Get-WindowsFeature",
    Param("Name", L, position=0),
    Param("ComputerName"),
    module="ServerManager",
    available=_on_server,
)
def get_windows_feature(inv: Invocation) -> Iterable[Any]:
    pats = strings(inv.bound.get("Name")) or ["*"]
    return [
        feature_object(f)
        for f in inv.computer.features
        if any(fnmatch.fnmatchcase(f.name.lower(), p.lower()) for p in pats)
    ]


@cmdlet(
    "Install-WindowsFeature",
    Param("Name", L, position=0),
    Param("IncludeManagementTools", S),
    Param("IncludeAllSubFeature", S),
    Param("Restart", S),
    Param("ComputerName"),
    Param("Source"),
    module="ServerManager",
    aliases=("Add-WindowsFeature",),
    available=_on_server,
)
def install_windows_feature(inv: Invocation) -> Iterable[Any]:
    c = inv.computer
    try:
        changed, restart = c.install_features(
            strings(inv.bound.get("Name")),
            include_management_tools=as_bool(inv.bound.get("IncludeManagementTools", False)),
            include_all_sub=as_bool(inv.bound.get("IncludeAllSubFeature", False)),
        )
    except WorldError as err:
        report(inv, err, SM + "AddWindowsFeatureCommand")
        return [
            PSObject(
                {
                    "Success": False,
                    "RestartNeeded": RestartState.No,
                    "FeatureResult": [],
                    "ExitCode": "Failed",
                },
                [SM + "FeatureOperationResult", "System.Object"],
            )
        ]
    if restart and as_bool(inv.bound.get("Restart", False)):
        restart_guest_or_host(c)
    elif restart:
        inv.write_warning("You must restart this server to finish the installation process.")
    result = PSObject(
        {
            "Success": True,
            "RestartNeeded": RestartState.Yes if restart else RestartState.No,
            "FeatureResult": [
                PSObject(
                    {
                        "DisplayName": f.display_name,
                        "Name": f.name,
                        "RestartNeeded": restart,
                        "Success": True,
                    },
                    [SM + "FeatureResult", "System.Object"],
                )
                for f in changed
            ],
            "ExitCode": ("SuccessRestartRequired" if restart else "Success")
            if changed
            else "NoChangeNeeded",
        },
        [SM + "FeatureOperationResult", "System.Object"],
    )
    return [result]


def _dism_names(c: Computer, names: list[str]) -> list[str]:
    if c.edition == "server":
        return [_DISM_ON_SERVER.get(n.lower(), n) for n in names]
    return names


@cmdlet(
    "Enable-WindowsOptionalFeature",
    Param("FeatureName", L, position=0),
    Param("Online", S),
    Param("All", S),
    Param("NoRestart", S),
    Param("Source"),
    Param("LimitAccess", S),
    module="Dism",
)
def enable_windows_optional_feature(inv: Invocation) -> Iterable[Any]:
    c = inv.computer
    names = _dism_names(c, strings(inv.bound.get("FeatureName")))
    try:
        _, restart = c.install_features(
            names,
            include_management_tools=as_bool(inv.bound.get("All", False)),
            include_all_sub=as_bool(inv.bound.get("All", False)),
        )
    except WorldError as err:
        if err.reason == "NameDoesNotExist":
            err = WorldError(
                "Feature name " + ", ".join(strings(inv.bound.get("FeatureName"))) + " is unknown.",
                reason="Microsoft.Dism.Commands.EnableWindowsOptionalFeatureCommand",
                category="NotSpecified",
                exception_type="System.Runtime.InteropServices.COMException",
                fqid="Microsoft.Dism.Commands.EnableWindowsOptionalFeatureCommand",
            )
        else:
            err.fqid = "Microsoft.Dism.Commands.EnableWindowsOptionalFeatureCommand"
            err.message = err.message.split("\n")[-1].removeprefix("1. ")
        report(inv, err, terminating=True)
        return []
    return [
        PSObject(
            {"Path": None, "Online": True, "RestartNeeded": restart},
            [DISM + "ImageObject", "System.Object"],
        )
    ]


@cmdlet("Get-WindowsOptionalFeature", Param("FeatureName", L), Param("Online", S), module="Dism")
def get_windows_optional_feature(inv: Invocation) -> Iterable[Any]:
    c = inv.computer
    pats = strings(inv.bound.get("FeatureName")) or ["*"]
    out = []
    for f in c.features:
        if not any(fnmatch.fnmatchcase(f.name.lower(), p.lower()) for p in _dism_names(c, pats)):
            continue
        state = {"Installed": "Enabled", "InstallPending": "EnablePending"}.get(
            f.install_state, "Disabled"
        )
        out.append(
            PSObject(
                {
                    "FeatureName": f.name,
                    "DisplayName": f.display_name,
                    "State": state,
                    "RestartRequired": "Possible",
                    "Online": True,
                },
                [DISM + "AdvancedFeatureObject", "System.Object"],
                ref=f,
            )
        )
    return out


@cmdlet(
    "Restart-Computer",
    Param("ComputerName", L, position=0),
    Param("Force", S),
    Param("Wait", S),
    module="Microsoft.PowerShell.Management",
)
def restart_computer(inv: Invocation) -> Iterable[Any]:
    restart_guest_or_host(inv.computer)
    return []
