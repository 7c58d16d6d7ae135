"""Get-/Set-VMFirmware: secure boot and the boot order of generation 2 VMs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hypervsim.powershell.api import Invocation, Param, ParamKind, PSObject, cmdlet
from hypervsim.powershell.cmdlets.hyperv_objects import (
    NS,
    adapter_object,
    dvd_drive_object,
    hard_drive_object,
)
from hypervsim.powershell.cmdlets.world_bridge import (
    HYPERV_MODULE,
    OnOffState,
    apply_to_each,
    as_enum,
    flatten,
    hyperv_host,
    report,
    target_vms,
    unwrap,
)
from hypervsim.powershell.values import to_string
from hypervsim.world.errors import WorldError
from hypervsim.world.model import VM, Computer, device_key
from hypervsim.world.records import DvdDrive, HardDrive, VMNetworkAdapter

L = ParamKind.LIST
S = ParamKind.SWITCH
TEMPLATE_IDS = {
    "MicrosoftWindows": "1734c6e8-3154-4dda-ba5f-a874cc483422",
    "MicrosoftUEFICertificateAuthority": "272e7447-90a4-4563-a4b9-8e4ab00526ce",
    "OpenSourceShieldedVM": "4292ae2b-ee2c-42b5-a969-dd8f8689f6f3",
}


@dataclass(frozen=True)
class BootSourceRef:
    """What a VMBootSource from (Get-VMFirmware).BootOrder points at."""

    vm: VM
    key: str


def _boot_source(host: Computer, vm: VM, key: str, device: Any) -> PSObject:
    if isinstance(device, VMNetworkAdapter):
        kind, shown = "Network", adapter_object(host, vm, device)
        text = f"Network Adapter ({device.mac_address.upper()})"
    elif isinstance(device, HardDrive):
        kind, shown, text = "Drive", hard_drive_object(host, vm, device), device.path
    else:
        kind, shown, text = "Drive", dvd_drive_object(host, vm, device), "DVD Drive"
    return PSObject(
        {
            "VMName": vm.name,
            "BootType": kind,
            "Description": text,
            "FirmwarePath": "",
            "Device": shown,
        },
        [NS + "VMBootSource", "System.Object"],
        ref=BootSourceRef(vm, key),
    )


def firmware_object(host: Computer, vm: VM) -> PSObject:
    return PSObject(
        {
            "VMName": vm.name,
            "VMId": vm.id,
            "ComputerName": host.name,
            "SecureBoot": OnOffState.On if vm.secure_boot else OnOffState.Off,
            "SecureBootTemplate": vm.secure_boot_template,
            "SecureBootTemplateId": TEMPLATE_IDS.get(vm.secure_boot_template),
            "PreferredNetworkBootProtocol": "IPv4",
            "BootOrder": [_boot_source(host, vm, k, d) for k, d in host.boot_devices(vm)],
            "ConsoleMode": "Default",
            "PauseAfterBootFailure": OnOffState.Off,
        },
        [NS + "VMFirmware", NS + "VMComponentObject", "System.Object"],
        ref=vm,
    )


def _key_of(vm: VM, value: Any) -> str:
    """The boot-order key of a device object (drive, DVD drive, adapter or boot source)."""
    obj = unwrap(value)
    if isinstance(obj, BootSourceRef):
        return obj.key
    if isinstance(obj, tuple) and isinstance(obj[1], HardDrive | DvdDrive):
        return device_key(obj[1])
    if isinstance(obj, VMNetworkAdapter):
        return device_key(obj)
    return f"unknown:{to_string(value)}"


@cmdlet(
    "Get-VMFirmware",
    Param("VMName", L, position=0),
    Param("VM", L, from_pipeline=True),
    Param("ComputerName", L),
    module=HYPERV_MODULE,
)
def get_vm_firmware(inv: Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    out = []
    for vm in target_vms(inv, host, lookup=True):
        try:
            host.require_generation_2(vm)
        except WorldError as err:
            report(inv, err)
            continue
        out.append(firmware_object(host, vm))
    return out


@cmdlet(
    "Set-VMFirmware",
    Param("VMName", L, position=0),
    Param("VM", L, from_pipeline=True),
    Param("EnableSecureBoot"),
    Param("SecureBootTemplate"),
    Param("SecureBootTemplateId"),
    Param("PreferredNetworkBootProtocol"),
    Param("BootOrder", L),
    Param("FirstBootDevice"),
    Param("ConsoleMode"),
    Param("PauseAfterBootFailure"),
    Param("ComputerName", L),
    Param("Passthru", S),
    module=HYPERV_MODULE,
)
def set_vm_firmware(inv: Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    b = inv.bound
    secure = (
        as_enum(inv, "EnableSecureBoot", OnOffState, "Set-VMFirmware") is OnOffState.On
        if b.get("EnableSecureBoot") is not None
        else None
    )
    template = to_string(b["SecureBootTemplate"]) if b.get("SecureBootTemplate") else None
    if b.get("SecureBootTemplateId") and template is None:
        wanted = to_string(b["SecureBootTemplateId"]).lower()
        template = next((n for n, i in TEMPLATE_IDS.items() if i == wanted), wanted)

    def apply(vm: VM) -> None:
        host.set_vm_firmware(
            vm,
            secure_boot=secure,
            template=template,
            boot_order=[_key_of(vm, v) for v in flatten(b["BootOrder"])]
            if b.get("BootOrder") is not None
            else None,
            first_boot_device=_key_of(vm, b["FirstBootDevice"])
            if b.get("FirstBootDevice") is not None
            else None,
        )

    yield from apply_to_each(
        inv, target_vms(inv, host), apply, lambda vm: firmware_object(host, vm)
    )
