"""The WMI/CIM classes Hyper-V tooling reads, as the instances a computer of the world shows.

Every value comes from the world's model of the machine (build and edition through
`os_release`, CPU vendor, VBS, memory and processors, whether a hypervisor runs, and for a
guest its VM's settings); nothing here is a second copy of those facts. The processor's
virtualization flags read as Windows reports them: False once a hypervisor runs (it hides
VT-x/AMD-V from the root partition), and in a guest only when its VM exposes them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypervsim.powershell.os_release import caption, installation_type, release_of
from hypervsim.world.hyperv import HOST_MEMORY_RESERVE

CIMV2 = "root\\cimv2"
DEVICE_GUARD = "root\\microsoft\\windows\\deviceguard"
NAMESPACES = (
    CIMV2,
    DEVICE_GUARD,
    "root",
    "root\\virtualization\\v2",
    "root\\standardcimv2",
    "root\\microsoft\\windows",
    "root\\wmi",
)


def _logical_processors(c: Any) -> int:
    vm = getattr(c, "vm", None)
    return int(vm.processor_count) if vm is not None else int(c.logical_processors)


def _hypervisor_running(c: Any) -> bool:
    return bool(getattr(c, "hyperv_active", False))


def _is_guest(c: Any) -> bool:
    return getattr(c, "vm", None) is not None


def _free_memory(c: Any) -> int:
    """Bytes not used by the OS (its reserve) or by running VMs' assigned memory."""
    used = HOST_MEMORY_RESERVE // 2 + sum(c.memory_assigned(v) for v in getattr(c, "vms", []))
    return max(c.physical_memory() - used, 0)


def computer_system(c: Any) -> dict[str, Any]:
    guest = _is_guest(c)
    server = installation_type(c) == "Server"
    return {
        "Name": c.name,
        "Domain": "WORKGROUP",
        "Workgroup": "WORKGROUP",
        "PartOfDomain": False,
        "Manufacturer": "Microsoft Corporation" if guest else "Contoso Hardware",
        "Model": "Virtual Machine" if guest else "HV-Lab Server",
        "PrimaryOwnerName": "Windows User",
        "SystemType": "x64-based PC",
        "TotalPhysicalMemory": c.physical_memory(),
        "NumberOfProcessors": 1,
        "NumberOfLogicalProcessors": _logical_processors(c),
        # A guest always runs on a hypervisor; a host sees its own once Hyper-V runs.
        "HypervisorPresent": guest or _hypervisor_running(c),
        "DomainRole": 2 if server else 0,
        "UserName": f"{c.name}\\Administrator",
    }


def processor(c: Any) -> dict[str, Any]:
    intel = c.cpu_vendor == "Intel"
    if _is_guest(c):
        visible = bool(c.vm.expose_virtualization_extensions)
    else:
        visible = True
    visible = visible and not _hypervisor_running(c)
    cores = _logical_processors(c)
    return {
        "DeviceID": "CPU0",
        "Name": (
            "Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz"
            if intel
            else "AMD EPYC 7763 64-Core Processor"
        ),
        "Caption": (
            "Intel64 Family 6 Model 106 Stepping 6"
            if intel
            else "AMD64 Family 25 Model 1 Stepping 1"
        ),
        "Manufacturer": "GenuineIntel" if intel else "AuthenticAMD",
        "MaxClockSpeed": 2800 if intel else 2450,
        "SocketDesignation": "CPU 0" if not _is_guest(c) else "None",
        "Architecture": 9,
        "NumberOfCores": cores,
        "NumberOfLogicalProcessors": cores,
        "VirtualizationFirmwareEnabled": visible,
        "VMMonitorModeExtensions": visible,
        "SecondLevelAddressTranslationExtensions": visible,
    }


def operating_system(c: Any) -> dict[str, Any]:
    release = release_of(c)
    return {
        "Caption": caption(c),
        "Version": f"10.0.{release.build}",
        "BuildNumber": str(release.build),
        "OSArchitecture": "64-bit",
        "CSName": c.name,
        "SystemDirectory": "C:\\Windows\\system32",
        "WindowsDirectory": "C:\\Windows",
        "Organization": "",
        "RegisteredUser": "Windows User",
        "SerialNumber": "00454-60000-00000-AA000",
        "ProductType": 3 if installation_type(c) == "Server" else 1,
        "TotalVisibleMemorySize": c.physical_memory() // 1024,
        "FreePhysicalMemory": _free_memory(c) // 1024,
        "NumberOfProcesses": 90,
    }


def device_guard(c: Any) -> dict[str, Any]:
    vbs = bool(getattr(c, "vbs", False))
    return {
        "AvailableSecurityProperties": [1, 2, 3, 5],
        "CodeIntegrityPolicyEnforcementStatus": 0,
        "InstanceIdentifier": "4ff40742-2649-41b8-bdd1-e80fad1cce80",
        "RequiredSecurityProperties": [1, 2] if vbs else [0],
        "SecurityServicesConfigured": [2] if vbs else [0],
        "SecurityServicesRunning": [2] if vbs else [0],
        "UsermodeCodeIntegrityPolicyEnforcementStatus": 0,
        "Version": "1.0",
        # 0: not enabled, 1: enabled but not running, 2: running.
        "VirtualizationBasedSecurityStatus": 2 if vbs else 0,
    }


# (namespace, lower-cased class) -> (class name as Windows spells it, instance properties)
CLASSES: dict[tuple[str, str], tuple[str, Callable[[Any], dict[str, Any]]]] = {
    (CIMV2, "win32_computersystem"): ("Win32_ComputerSystem", computer_system),
    (CIMV2, "win32_processor"): ("Win32_Processor", processor),
    (CIMV2, "win32_operatingsystem"): ("Win32_OperatingSystem", operating_system),
    (DEVICE_GUARD, "win32_deviceguard"): ("Win32_DeviceGuard", device_guard),
}

# Real classes Windows has that the emulator does not model: asking for one is said plainly
# (an "Invalid class" would claim Windows lacks them). Every class of root\virtualization\v2
# counts as such.
UNMODELLED = frozenset(
    {
        "win32_bios", "win32_baseboard", "win32_computersystemproduct", "win32_diskdrive",
        "win32_group", "win32_logicaldisk", "win32_networkadapter",
        "win32_networkadapterconfiguration", "win32_optionalfeature", "win32_pagefileusage",
        "win32_physicalmemory", "win32_process", "win32_product", "win32_quickfixengineering",
        "win32_serverfeature", "win32_service", "win32_share", "win32_systemenclosure",
        "win32_timezone", "win32_useraccount", "win32_volume",
    }
)  # fmt: skip
UNMODELLED_NAMESPACES = frozenset({"root\\virtualization\\v2", "root\\standardcimv2", "root\\wmi"})


# The properties Out-Default shows (Windows' format views), by class.
VIEWS = {
    "Win32_ComputerSystem": [
        "Name",
        "PrimaryOwnerName",
        "Domain",
        "TotalPhysicalMemory",
        "Model",
        "Manufacturer",
    ],
    "Win32_Processor": [
        "DeviceID",
        "Name",
        "Caption",
        "MaxClockSpeed",
        "SocketDesignation",
        "Manufacturer",
    ],
    "Win32_OperatingSystem": [
        "SystemDirectory",
        "Organization",
        "BuildNumber",
        "RegisteredUser",
        "SerialNumber",
        "Version",
    ],
}


def normalize_namespace(namespace: str) -> str:
    """`ROOT/CIMV2` -> `root\\cimv2` (namespaces are case-insensitive, either slash)."""
    return namespace.replace("/", "\\").strip("\\").lower()
