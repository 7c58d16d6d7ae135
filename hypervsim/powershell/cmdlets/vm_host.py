"""The Hyper-V host itself: Get-VMHost, Set-VMHost, Get-VMHostSupportedVersion."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hypervsim.powershell.api import Invocation, Param, ParamKind, PSObject, cmdlet
from hypervsim.powershell.cmdlets.world_bridge import HYPERV_MODULE, as_bool, hyperv_host
from hypervsim.world.profiles import default_vm_version, supported_vm_versions

S = ParamKind.SWITCH


def _host_object(inv: Invocation) -> PSObject:
    host = hyperv_host(inv)
    return PSObject(
        {
            "ComputerName": host.name,
            "Name": host.name,
            "LogicalProcessorCount": host.logical_processors,
            "MemoryCapacity": host.memory_bytes,
            "VirtualHardDiskPath": "C:\\ProgramData\\Microsoft\\Windows\\Virtual Hard Disks",
            "VirtualMachinePath": "C:\\ProgramData\\Microsoft\\Windows\\Hyper-V",
            "MacAddressMinimum": "00155D000000",
            "MacAddressMaximum": "00155DFFFFFF",
            "EnableEnhancedSessionMode": False,
            "NumaSpanningEnabled": True,
            "SupportedVersion": default_vm_version(host.build),
        },
        ["Microsoft.HyperV.PowerShell.VMHost", "System.Object"],
        ref=host,
    )


@cmdlet("Get-VMHost", Param("ComputerName", ParamKind.LIST), module=HYPERV_MODULE)
def get_vm_host(inv: Invocation) -> Iterable[Any]:
    return [_host_object(inv)]


@cmdlet(
    "Set-VMHost",
    Param("VirtualHardDiskPath"),
    Param("VirtualMachinePath"),
    Param("EnableEnhancedSessionMode"),
    Param("NumaSpanningEnabled"),
    Param("Passthru", S),
    module=HYPERV_MODULE,
)
def set_vm_host(inv: Invocation) -> Iterable[Any]:
    """Accepted (lab builders call it); the paths are not modeled."""
    obj = _host_object(inv)
    return [obj] if as_bool(inv.bound.get("Passthru", False)) else []


@cmdlet("Get-VMHostSupportedVersion", Param("Default", S), module=HYPERV_MODULE)
def get_vm_host_supported_version(inv: Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    versions = (
        [default_vm_version(host.build)]
        if as_bool(inv.bound.get("Default", False))
        else list(supported_vm_versions(host.build))
    )
    return [
        PSObject(
            {
                "Name": f"Microsoft Windows (version {v})",
                "Version": v,
                "IsDefault": v == default_vm_version(host.build),
            },
            ["Microsoft.HyperV.PowerShell.VMHostSupportedVersion", "System.Object"],
        )
        for v in versions
    ]
