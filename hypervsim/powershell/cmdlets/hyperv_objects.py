"""The objects Hyper-V cmdlets return: Windows' property names and .NET type names (FACTS.md
"Object shapes"), each with `ref` pointing at the live world object for pipelines."""

from __future__ import annotations

from typing import Any

from hypervsim.powershell.api import PSObject
from hypervsim.powershell.cmdlets.hyperv_settings import (
    ADAPTER_SETTINGS,
    MEMORY_SETTINGS,
    PROCESSOR_SETTINGS,
    SWITCH_MODE_AND_FLOW,
    VM_SETTINGS,
    read_back,
)
from hypervsim.powershell.cmdlets.world_bridge import (
    CheckpointType,
    ControllerType,
    OnOffState,
    VhdType,
    VMNetworkAdapterVlanMode,
    VMState,
    VMSwitchType,
)
from hypervsim.world.model import VM, Computer
from hypervsim.world.records import DvdDrive, HardDrive, Vhd, VMNetworkAdapter, VMSwitch
from hypervsim.world.vlan import PortVlan, vlan_list_text

NS = "Microsoft.HyperV.PowerShell."


def _types(name: str, *bases: str) -> list[str]:
    return [NS + name, *bases, "System.Object"]


def mac_text(mac: str) -> str:
    return mac.upper()


def guest_ips(vm: VM, adapter: VMNetworkAdapter) -> list[str]:
    """IPAddresses reported by the guest's integration services (only while it is up)."""
    if vm.guest is None or not vm.guest_up:
        return []
    nic = next((n for n in vm.guest.net_adapters if n.vm_adapter_id == adapter.id), None)
    return [a.ip_address for a in vm.guest.addresses_of(nic)] if nic else []


def vlan_object(host: Computer, port: PortVlan, parent: PSObject) -> PSObject:
    """VMNetworkAdapterVlanSetting: Get-VMNetworkAdapterVlan's output and an adapter's
    VlanSetting (the private VLAN fields at their defaults: private mode is not modelled)."""
    return PSObject(
        {
            "OperationMode": VMNetworkAdapterVlanMode[port.mode],
            "AccessVlanId": port.access_vlan_id,
            "NativeVlanId": port.native_vlan_id,
            "AllowedVlanIdList": list(port.allowed_vlan_ids),
            "AllowedVlanIdListString": vlan_list_text(port.allowed_vlan_ids) or None,
            "PrivateVlanMode": 0,
            "PrimaryVlanId": 0,
            "SecondaryVlanId": 0,
            "SecondaryVlanIdList": None,
            "SecondaryVlanIdListString": None,
            "ParentAdapter": parent,
            "IsTemplate": False,
            "CimSession": None,
            "ComputerName": host.name,
            "IsDeleted": False,
        },
        _types("VMNetworkAdapterVlanSetting", NS + "VMNetworkAdapterFeatureBase"),
        ref=port,
    )


def adapter_object(host: Computer, vm: VM, adapter: VMNetworkAdapter) -> PSObject:
    obj = _adapter_object(host, vm, adapter)
    obj.set("VlanSetting", vlan_object(host, adapter.vlan, obj))
    return obj


def _adapter_object(host: Computer, vm: VM, adapter: VMNetworkAdapter) -> PSObject:
    sw = host.switch_by_id(adapter.switch_id)
    return PSObject(
        {
            "Name": adapter.name,
            "Id": f"Microsoft:{vm.id}\\{adapter.id}",
            "IsManagementOs": False,
            "IsLegacy": False,  # legacy (emulated) adapters are not modelled
            "ComputerName": host.name,
            "VMName": vm.name,
            "VMId": vm.id,
            "SwitchName": sw.name if sw else None,
            "SwitchId": sw.id if sw else None,
            "Connected": sw is not None,
            "MacAddress": mac_text(adapter.mac_address),
            "DynamicMacAddressEnabled": adapter.dynamic_mac,
            "MacAddressSpoofing": OnOffState.On if adapter.mac_spoofing else OnOffState.Off,
            "AllowTeaming": OnOffState.On if adapter.allow_teaming else OnOffState.Off,
            "IPAddresses": guest_ips(vm, adapter),
            "Status": ["Ok"] if vm.state == "Running" and sw is not None else [],
            **_adapter_settings(adapter),
        },
        _types("VMNetworkAdapter", NS + "VMNetworkAdapterBase", NS + "VirtualMachineDevice"),
        ref=adapter,
    )


_BANDWIDTH = ("MaximumBandwidth", "MinimumBandwidthAbsolute", "MinimumBandwidthWeight")


def _adapter_settings(adapter: VMNetworkAdapter) -> dict[str, Any]:
    """The read-back settings under the properties Windows' VMNetworkAdapter has: bandwidth in
    BandwidthSetting ($null until one is set), ClusterMonitored (the inverse of
    -NotMonitoredInCluster) and the *Requested twins of the VMMQ/vRSS settings."""
    props = read_back(adapter.settings, ADAPTER_SETTINGS, adapter)
    bandwidth = {name: props.pop(name) for name in _BANDWIDTH}
    props["BandwidthSetting"] = (
        PSObject(bandwidth, [NS + "VMNetworkAdapterBandwidthSetting"])
        if any(name in adapter.settings for name in _BANDWIDTH)
        else None
    )
    props["ClusterMonitored"] = not props.pop("NotMonitoredInCluster")
    for name in ("VrssEnabled", "VmmqEnabled", "VmmqQueuePairs"):
        props[name + "Requested"] = props[name]
    return props


def management_adapter_object(host: Computer, sw: VMSwitch) -> PSObject:
    obj = _management_adapter_object(host, sw)
    obj.set("VlanSetting", vlan_object(host, sw.management_vlan, obj))
    return obj


def _management_adapter_object(host: Computer, sw: VMSwitch) -> PSObject:
    nic = next(
        (n for n in host.net_adapters if n.kind == "host-vnic" and n.switch_id == sw.id), None
    )
    return PSObject(
        {
            "Name": sw.name,
            "IsManagementOs": True,
            "ComputerName": host.name,
            "VMName": None,
            "SwitchName": sw.name,
            "SwitchId": sw.id,
            "MacAddress": mac_text(nic.mac_address) if nic else None,
            "MacAddressSpoofing": OnOffState.Off,
            "IPAddresses": [a.ip_address for a in host.addresses_of(nic)] if nic else [],
            "Status": ["Ok"],
        },
        _types("VMInternalNetworkAdapter", NS + "VMNetworkAdapterBase"),
        ref=sw,
    )


def processor_object(host: Computer, vm: VM) -> PSObject:
    return PSObject(
        {
            "VMName": vm.name,
            "VMId": vm.id,
            "ComputerName": host.name,
            "Count": vm.processor_count,
            "ExposeVirtualizationExtensions": vm.expose_virtualization_extensions,
            **read_back(vm.settings, PROCESSOR_SETTINGS, vm),
        },
        _types("VMProcessor", NS + "VMComponentObject"),
        ref=vm,
    )


def memory_object(host: Computer, vm: VM) -> PSObject:
    return PSObject(
        {
            "VMName": vm.name,
            "VMId": vm.id,
            "ComputerName": host.name,
            "DynamicMemoryEnabled": vm.dynamic_memory,
            "Startup": vm.memory_startup,
            "Minimum": vm.memory_minimum,
            "Maximum": vm.memory_maximum,
            **read_back(vm.settings, MEMORY_SETTINGS, vm),
        },
        _types("VMMemory", NS + "VMComponentObject"),
        ref=vm,
    )


def vm_object(host: Computer, vm: VM) -> PSObject:
    return PSObject(
        {
            "Name": vm.name,
            "VMName": vm.name,
            "Id": vm.id,
            "VMId": vm.id,
            "ComputerName": host.name,
            "State": VMState[vm.state],
            "Status": "Operating normally",
            "Generation": vm.generation,
            "Version": vm.version,
            "ProcessorCount": vm.processor_count,
            "MemoryStartup": vm.memory_startup,
            "MemoryMinimum": vm.memory_minimum,
            "MemoryMaximum": vm.memory_maximum,
            "MemoryAssigned": host.memory_assigned(vm),
            "DynamicMemoryEnabled": vm.dynamic_memory,
            "NetworkAdapters": [adapter_object(host, vm, a) for a in vm.adapters],
            "HardDrives": [hard_drive_object(host, vm, d) for d in vm.hard_drives],
            "DVDDrives": [dvd_drive_object(host, vm, d) for d in vm.dvd_drives],
            "Notes": vm.notes,
            "Path": vm.path,
            "ConfigurationLocation": vm.path,
            "Uptime": "00:00:00",
            "CheckpointType": CheckpointType[vm.checkpoint_type],
            "AutomaticCheckpointsEnabled": vm.automatic_checkpoints,
            "ParentCheckpointId": vm.current_checkpoint,
            "ParentCheckpointName": next(
                (c.name for c in vm.checkpoints if c.id == vm.current_checkpoint), None
            ),
            "ParentSnapshotId": vm.current_checkpoint,
            "ParentSnapshotName": next(
                (c.name for c in vm.checkpoints if c.id == vm.current_checkpoint), None
            ),
            **read_back(vm.settings, VM_SETTINGS, vm),
            "OperationalStatus": ["Ok"],
            "PrimaryOperationalStatus": "Ok",
            "Heartbeat": "OkApplicationsUnknown" if vm.guest_up else None,
            "ReplicationState": "Disabled",
            "ReplicationHealth": "NotApplicable",
            "ReplicationMode": "None",
            "CPUUsage": 0,
            "MemoryDemand": host.memory_assigned(vm),
            "IntegrationServicesState": "Up to date" if vm.guest_up else "",
            "ResourceMeteringEnabled": False,
            "SmartPagingFileInUse": False,
            "IsClustered": False,
            "IsDeleted": False,
            "VirtualMachineType": "RealizedVirtualMachine",
            "VirtualMachineSubType": f"Generation{vm.generation}",
            "NumaNodesCount": 1,
            "NumaSocketCount": 1,
        },
        _types("VirtualMachine", NS + "VirtualMachineBase"),
        ref=vm,
    )


def hard_drive_object(host: Computer, vm: VM, drive: HardDrive) -> PSObject:
    disk = host.vhd(drive.path)
    return PSObject(
        {
            "VMName": vm.name,
            "VMId": vm.id,
            "ComputerName": host.name,
            "Name": "Hard Drive",
            "Path": drive.path,
            "ControllerType": ControllerType[drive.controller_type],
            "ControllerNumber": drive.controller_number,
            "ControllerLocation": drive.controller_location,
            "DiskNumber": disk.disk_number if disk is not None else None,
        },
        _types("HardDiskDrive", NS + "VirtualMachineDevice"),
        ref=(vm, drive),
    )


def dvd_drive_object(host: Computer, vm: VM, drive: DvdDrive) -> PSObject:
    return PSObject(
        {
            "VMName": vm.name,
            "VMId": vm.id,
            "ComputerName": host.name,
            "Name": "DVD Drive",
            "Id": f"Microsoft:{vm.id}\\{drive.controller_type}:{drive.controller_number}:"
            f"{drive.controller_location}\\D",
            "Path": drive.path,
            "DvdMediaType": "ISO" if drive.path else "None",
            "ControllerType": ControllerType[drive.controller_type],
            "ControllerNumber": drive.controller_number,
            "ControllerLocation": drive.controller_location,
        },
        _types("DvdDrive", NS + "VirtualMachineDevice"),
        ref=(vm, drive),
    )


_SWITCH_REQUESTED = (
    "DefaultQueueVrssEnabled",
    "DefaultQueueVmmqEnabled",
    "DefaultQueueVmmqQueuePairs",
)
"""Queue settings Windows' VMSwitch also shows as *Requested (what was asked for)."""


def switch_object(host: Computer, sw: VMSwitch) -> PSObject:
    bound = host.adapter_by_name(sw.net_adapter_name) if sw.net_adapter_name else None
    settings = read_back(sw.settings, SWITCH_MODE_AND_FLOW, sw)
    return PSObject(
        {
            "Name": sw.name,
            "Id": sw.id,
            "ComputerName": host.name,
            "SwitchType": VMSwitchType[sw.switch_type],
            "AllowManagementOS": sw.allow_management_os,
            "NetAdapterInterfaceDescription": bound.interface_description if bound else None,
            "NetAdapterInterfaceDescriptions": [bound.interface_description] if bound else [],
            "Notes": sw.notes,
            "IovEnabled": bool(sw.settings.get("EnableIov", False)),
            "PacketDirectEnabled": bool(sw.settings.get("EnablePacketDirect", False)),
            "EmbeddedTeamingEnabled": bool(sw.settings.get("EnableEmbeddedTeaming", False)),
            **settings,
            **{name + "Requested": settings[name] for name in _SWITCH_REQUESTED},
        },
        _types("VMSwitch"),
        ref=sw,
    )


def vhd_object(host: Computer, disk: Vhd) -> PSObject:
    return PSObject(
        {
            "ComputerName": host.name,
            "Path": disk.path,
            "VhdFormat": "VHDX" if disk.path.lower().endswith(".vhdx") else "VHD",
            "VhdType": VhdType[disk.vhd_type],
            "FileSize": disk.file_size,
            "Size": disk.size_bytes,
            "MinimumSize": disk.size_bytes if host.disk_has_volume(disk) else 0,
            "ParentPath": disk.parent_path,
            "Attached": host.disk_busy(disk),
            "DiskNumber": disk.disk_number,
            "LogicalSectorSize": 512,
            "PhysicalSectorSize": 4096,
        },
        ["Microsoft.Vhd.PowerShell.VirtualHardDisk", "System.Object"],
        ref=disk,
    )
