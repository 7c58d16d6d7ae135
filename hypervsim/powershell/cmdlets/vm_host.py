"""The Hyper-V host itself: Get-VMHost, Set-VMHost, Get-VMHostSupportedVersion."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hypervsim.powershell.api import Invocation, Param, ParamKind, PSObject, cmdlet
from hypervsim.powershell.cmdlets.world_bridge import (
    HYPERV_MODULE,
    apply_to_each,
    as_bool,
    hyperv_host,
)
from hypervsim.powershell.values import to_string
from hypervsim.world.model import Computer
from hypervsim.world.profiles import default_vm_version, supported_vm_versions

S = ParamKind.SWITCH
L = ParamKind.LIST
UNMODELED_DEFAULTS: dict[str, Any] = {
    "MaximumStorageMigrations": 2,
    "MaximumVirtualMachineMigrations": 2,
    "UseAnyNetworkForMigration": False,
    "VirtualMachineMigrationAuthenticationType": "CredSSP",
    "VirtualMachineMigrationPerformanceOption": "Compression",
    "ResourceMeteringSaveInterval": "01:00:00",
    "FibreChannelWwnn": "C003FF0000FFFF00",
    "FibreChannelWwpnMaximum": "C003FFF5E21EFFFF",
    "FibreChannelWwpnMinimum": "C003FFF5E21E0000",
}
"""Set-VMHost settings the model keeps only to read back, with Windows' defaults."""


def host_object(host: Computer) -> PSObject:
    props: dict[str, Any] = {
        "ComputerName": host.name,
        "Name": host.name,
        "FullyQualifiedDomainName": host.name,
        "LogicalProcessorCount": host.logical_processor_count(),
        "MemoryCapacity": host.physical_memory(),
        "VirtualHardDiskPath": host.virtual_hard_disk_path,
        "VirtualMachinePath": host.virtual_machine_path,
        "MacAddressMinimum": host.mac_address_minimum,
        "MacAddressMaximum": host.mac_address_maximum,
        "EnableEnhancedSessionMode": host.enable_enhanced_session_mode,
        "NumaSpanningEnabled": host.numa_spanning_enabled,
        "VirtualMachineMigrationEnabled": False,
        "IovSupport": False,
        "SupportedVersion": default_vm_version(host.build),
    }
    props.update({k: host.host_settings.get(k, v) for k, v in UNMODELED_DEFAULTS.items()})
    return PSObject(props, ["Microsoft.HyperV.PowerShell.VMHost", "System.Object"], ref=host)


@cmdlet(
    "Get-VMHost",
    Param("ComputerName", L, position=0),
    Param("Credential", L, position=1),
    module=HYPERV_MODULE,
)
def get_vm_host(inv: Invocation) -> Iterable[Any]:
    return [host_object(hyperv_host(inv))]


@cmdlet(
    "Set-VMHost",
    Param("ComputerName", L, position=0),
    Param("Credential", L, position=1),
    *(Param(name) for name in UNMODELED_DEFAULTS),
    Param("VirtualHardDiskPath"),
    Param("VirtualMachinePath"),
    Param("MacAddressMaximum"),
    Param("MacAddressMinimum"),
    Param("NumaSpanningEnabled"),
    Param("EnableEnhancedSessionMode"),
    Param("Passthru", S),
    module=HYPERV_MODULE,
)
def set_vm_host(inv: Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    b = inv.bound

    def text(name: str) -> str | None:
        return to_string(b[name]) if b.get(name) is not None else None

    def flag(name: str) -> bool | None:
        return as_bool(b[name]) if b.get(name) is not None else None

    def apply(target: Computer) -> None:
        target.set_vm_host(
            virtual_hard_disk_path=text("VirtualHardDiskPath"),
            virtual_machine_path=text("VirtualMachinePath"),
            mac_address_minimum=text("MacAddressMinimum"),
            mac_address_maximum=text("MacAddressMaximum"),
            enable_enhanced_session_mode=flag("EnableEnhancedSessionMode"),
            numa_spanning_enabled=flag("NumaSpanningEnabled"),
            other={
                k: (as_bool(b[k]) if isinstance(v, bool) else to_string(b[k]))
                if not isinstance(v, int) or isinstance(v, bool)
                else int(to_string(b[k]))
                for k, v in UNMODELED_DEFAULTS.items()
                if b.get(k) is not None
            },
        )

    yield from apply_to_each(inv, [host], apply, host_object)


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
