"""The objects Hyper-V cmdlets return: Windows' property names and .NET type names (FACTS.md
"Object shapes"), each with `ref` pointing at the live world object for pipelines."""

from __future__ import annotations

from hypervsim.powershell.api import PSObject
from hypervsim.powershell.cmdlets.world_bridge import (
    ControllerType,
    OnOffState,
    VhdType,
    VMState,
    VMSwitchBandwidthMode,
    VMSwitchType,
)
from hypervsim.world.model import VM, Computer
from hypervsim.world.records import HardDrive, Vhd, VMNetworkAdapter, VMSwitch

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


def adapter_object(host: Computer, vm: VM, adapter: VMNetworkAdapter) -> PSObject:
    sw = host.switch_by_id(adapter.switch_id)
    return PSObject(
        {
            "Name": adapter.name,
            "Id": f"Microsoft:{vm.id}\\{adapter.id}",
            "IsManagementOs": False,
            "ComputerName": host.name,
            "VMName": vm.name,
            "VMId": vm.id,
            "SwitchName": sw.name if sw else None,
            "SwitchId": sw.id if sw else None,
            "Connected": sw is not None,
            "MacAddress": mac_text(adapter.mac_address),
            "DynamicMacAddressEnabled": True,
            "MacAddressSpoofing": OnOffState.On if adapter.mac_spoofing else OnOffState.Off,
            "AllowTeaming": OnOffState.On if adapter.allow_teaming else OnOffState.Off,
            "IPAddresses": guest_ips(vm, adapter),
            "Status": ["Ok"] if vm.state == "Running" and sw is not None else [],
        },
        _types("VMNetworkAdapter", NS + "VMNetworkAdapterBase", NS + "VirtualMachineDevice"),
        ref=adapter,
    )


def management_adapter_object(host: Computer, sw: VMSwitch) -> PSObject:
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
            "CompatibilityForMigrationEnabled": False,
            "CompatibilityForOlderOperatingSystemsEnabled": False,
            "ExposeVirtualizationExtensions": vm.expose_virtualization_extensions,
            "Maximum": 100,
            "Reserve": 0,
            "RelativeWeight": 100,
            "HwThreadCountPerCore": 1,
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
            "Buffer": 20,
            "Priority": 50,
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
            "Notes": vm.notes,
            "Path": vm.path,
            "ConfigurationLocation": vm.path,
            "Uptime": "00:00:00",
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


def switch_object(host: Computer, sw: VMSwitch) -> PSObject:
    bound = host.adapter_by_name(sw.net_adapter_name) if sw.net_adapter_name else None
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
            "BandwidthReservationMode": VMSwitchBandwidthMode[sw.bandwidth_reservation_mode],
            "EmbeddedTeamingEnabled": sw.embedded_teaming_enabled,
            "IovEnabled": sw.iov_enabled,
            "PacketDirectEnabled": sw.packet_direct_enabled,
            "DefaultFlowMinimumBandwidthAbsolute": sw.default_flow_minimum_bandwidth_absolute,
            "DefaultFlowMinimumBandwidthWeight": sw.default_flow_minimum_bandwidth_weight,
            "DefaultQueueVmmqEnabled": sw.default_queue_vmmq_enabled,
            "DefaultQueueVmmqEnabledRequested": sw.default_queue_vmmq_enabled,
            "DefaultQueueVmmqQueuePairs": sw.default_queue_vmmq_queue_pairs,
            "DefaultQueueVmmqQueuePairsRequested": sw.default_queue_vmmq_queue_pairs,
            "DefaultQueueVrssEnabled": sw.default_queue_vrss_enabled,
            "DefaultQueueVrssEnabledRequested": sw.default_queue_vrss_enabled,
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
