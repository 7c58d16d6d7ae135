"""The world-facing cmdlets called directly (object shapes, pipelines, Windows errors)."""

from __future__ import annotations

import json

from hypervsim.powershell.api import ErrorCategory, PSEnum
from hypervsim.powershell.construct import make_credential
from hypervsim.powershell.values import SecureString
from hypervsim.world.model import World

from ..guest_images import PASSWORD, image_disk
from .conftest import GiB, make_l1, make_nat_lab, snapshot
from .fake_invocation import run


def test_get_vm_shape_and_enum_values(world: World) -> None:
    make_l1(world)
    (vm,), inv = run(world.root, "Get-VM", Name=["L*"])
    assert not inv.errors
    assert vm.type_names[0] == "Microsoft.HyperV.PowerShell.VirtualMachine"
    assert str(vm.get("State")) == "Running" and int(vm.get("State")) == 2
    assert isinstance(vm.get("State"), PSEnum)
    for prop in (
        "Name",
        "Id",
        "Generation",
        "Version",
        "ProcessorCount",
        "MemoryStartup",
        "DynamicMemoryEnabled",
        "NetworkAdapters",
        "HardDrives",
        "Notes",
    ):
        assert vm.has(prop), prop
    assert vm.get("Version") == "10.0" and vm.get("Generation") == 2


def test_get_vm_unknown_name_is_windows_error(world: World) -> None:
    out, inv = run(world.root, "Hyper-V\\Get-VM", Name=["ghost"])
    assert out == []
    (err,) = inv.errors
    assert err.message == 'Hyper-V was unable to find a virtual machine with name "ghost".'
    assert err.fqid == "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVM"
    assert err.category is ErrorCategory.InvalidArgument


def test_new_vm_and_stop_via_pipeline(world: World) -> None:
    (vm,), inv = run(
        world.root,
        "New-VM",
        Name="NestedHost",
        Generation=2,
        MemoryStartupBytes=4 * GiB,
        NewVHDPath="C:\\n.vhdx",
        NewVHDSizeBytes=60 * GiB,
        SwitchName="External",
    )
    assert not inv.errors and vm.get("State") == 3
    run(world.root, "Start-VM", Name=["NestedHost"])
    got, _ = run(world.root, "Get-VM", Name=["NestedHost"])
    out, inv = run(world.root, "Stop-VM", input=got, Force=True, Passthru=True)
    assert not inv.errors and str(out[0].get("State")) == "Off"


def test_set_vmprocessor_running_error_and_nothing_changed(world: World) -> None:
    make_l1(world, expose=False)
    before = snapshot(world)
    _, inv = run(world.root, "Set-VMProcessor", VMName=["L1"], ExposeVirtualizationExtensions=True)
    (err,) = inv.errors
    assert err.message.startswith("Failed to modify device 'Processor'.")
    assert err.fqid == "InvalidState,Microsoft.HyperV.PowerShell.Commands.SetVMProcessor"
    assert snapshot(world) == before
    (p,), _ = run(world.root, "Get-VMProcessor", VMName=["L1"])
    assert p.get("ExposeVirtualizationExtensions") is False


def test_mac_spoofing_through_pipeline_with_wildcard(world: World) -> None:
    make_l1(world, "lab-a")
    make_l1(world, "lab-b")
    adapters, _ = run(world.root, "Get-VMNetworkAdapter", VMName=["lab-*"])
    assert len(adapters) == 2
    _, inv = run(world.root, "Set-VMNetworkAdapter", input=adapters, MacAddressSpoofing="On")
    assert not inv.errors
    again, _ = run(world.root, "Get-VMNetworkAdapter", VMName=["lab-*"])
    assert [int(a.get("MacAddressSpoofing")) for a in again] == [0, 0]
    assert again[0].get("IPAddresses") == ["10.0.0.100"]


def test_switch_cmdlets(world: World) -> None:
    (sw,), inv = run(world.root, "New-VMSwitch", Name="VmNAT", SwitchType="Internal")
    assert not inv.errors and int(sw.get("SwitchType")) == 1
    (nic,), _ = run(world.root, "Get-NetAdapter", Name=["vethernet (vmnat)"])
    assert nic.get("Name") == "vEthernet (VmNAT)" and nic.get("Status") == "Up"
    _, inv = run(world.root, "New-VMSwitch", Name="VmNAT", SwitchType="Internal")
    assert "already exists" in inv.errors[0].message
    got, _ = run(world.root, "Get-VMSwitch", Name=["VmNAT"])
    _, inv = run(world.root, "Remove-VMSwitch", input=got, Force=True)
    assert not inv.errors and world.root.switch_by_name("VmNAT") is None


def test_switch_notes_are_stored_set_and_persisted(world: World) -> None:
    notes = "owner: lab/dev-a \u2018q\u2019 $(x)"
    (sw,), inv = run(world.root, "New-VMSwitch", Name="Sw1", SwitchType="Private", Notes=notes)
    assert not inv.errors and sw.get("Notes") == notes
    (changed,), inv = run(world.root, "Set-VMSwitch", Name=["sw1"], Notes="n2", Passthru=True)
    assert not inv.errors and changed.get("Notes") == "n2"
    _, inv = run(world.root, "Set-VMSwitch", Name=["missing"], Notes="n3")
    assert "missing" in inv.errors[0].message
    reloaded = World.from_json(json.loads(json.dumps(world.to_json())))
    assert reloaded.root.switch_by_name("Sw1").notes == "n2"  # type: ignore[union-attr]


def test_remove_switch_in_use_error_record(world: World) -> None:
    make_l1(world)
    _, inv = run(world.root, "Remove-VMSwitch", Name=["External"], Force=True)
    (err,) = inv.errors
    assert err.category is ErrorCategory.ResourceBusy
    assert err.fqid == "ObjectInUse,Microsoft.HyperV.PowerShell.Commands.RemoveVMSwitch"


def test_nat_trio_and_errors(world: World) -> None:
    root = world.root
    run(root, "New-VMSwitch", Name="VmNAT", SwitchType="Internal")
    (nat,), inv = run(
        root, "New-NetNat", Name="LocalNAT", InternalIPInterfaceAddressPrefix="192.168.100.0/24"
    )
    assert not inv.errors and nat.get("InternalIPInterfaceAddressPrefix") == "192.168.100.0/24"
    adapters, _ = run(root, "Get-NetAdapter", Name=["vEthernet (VmNat)"])
    (ip,), inv = run(
        root,
        "New-NetIPAddress",
        input=adapters,
        IPAddress="192.168.100.1",
        AddressFamily="IPv4",
        PrefixLength=24,
    )
    assert (
        not inv.errors
        and ip.get("InterfaceAlias") == "vEthernet (VmNAT)"
        and int(ip.get("AddressFamily")) == 2
    )
    _, inv = run(
        root, "New-NetNat", Name="Again", InternalIPInterfaceAddressPrefix="192.168.100.0/24"
    )
    assert inv.errors[0].message == "The parameter is incorrect."
    assert inv.errors[0].fqid == "Windows System Error 87,New-NetNat"
    _, inv = run(
        root, "New-NetIPAddress", input=adapters, IPAddress="192.168.100.1", PrefixLength=24
    )
    assert inv.errors[0].message == "Instance MSFT_NetIPAddress already exists"
    _, inv = run(root, "Get-NetAdapter", Name=["Nope"])
    assert (
        inv.errors[0].message
        == "No MSFT_NetAdapter objects found with property 'Name' equal to 'Nope'.  Verify the value of the property and retry."
    )


def test_features_inside_l1(world: World) -> None:
    vm = make_l1(world, expose=False)
    (res,), inv = run(
        vm.guest,
        "Install-WindowsFeature",
        Name=["Hyper-V"],
        IncludeManagementTools=True,
        Restart=True,
    )
    assert res.get("Success") is False
    assert "Hyper-V cannot be installed" in inv.errors[0].message
    assert (
        inv.errors[0].fqid
        == "Alteration_PrerequisiteCheck_Failed,Microsoft.Windows.ServerManager.Commands.AddWindowsFeatureCommand"
    )
    world.root.stop_vm(vm)
    world.root.set_vm_processor(vm, expose=True)
    world.root.start_vm(vm)
    (res,), inv = run(
        vm.guest, "Install-WindowsFeature", Name=["Hyper-V"], IncludeManagementTools=True
    )
    assert res.get("Success") is True and str(res.get("RestartNeeded")) == "Yes"
    (f,), _ = run(vm.guest, "Get-WindowsFeature", Name=["Hyper-V"])
    assert str(f.get("InstallState")) == "InstallPending"
    run(vm.guest, "Restart-Computer", Force=True)
    (f,), _ = run(vm.guest, "Get-WindowsFeature", Name=["Hyper-V"])
    assert f.get("Installed") is True and vm.guest_up


def test_optional_feature_on_client() -> None:
    world = World.create("win11-amd")
    disk = image_disk(world.root, "C:\\VMs\\c.vhdx", image="C:\\Images\\Win11-Enterprise.vhdx")
    vm = world.root.new_vm("c", generation=2, vhd_path=disk, switch_name="External")
    world.root.set_vm_processor(vm, expose=True)
    world.root.start_vm(vm)
    from hypervsim.powershell.api import lookup

    assert lookup("Install-WindowsFeature", vm.guest) is None  # ServerManager: Server only
    assert lookup("Install-WindowsFeature", world.root) is None  # win11 host too
    (res,), inv = run(
        vm.guest,
        "Enable-WindowsOptionalFeature",
        Online=True,
        FeatureName=["Microsoft-Hyper-V"],
        All=True,
    )
    assert not inv.errors and res.get("RestartNeeded") is True
    states, _ = run(
        vm.guest, "Get-WindowsOptionalFeature", Online=True, FeatureName=["Microsoft-Hyper-V"]
    )
    assert states[0].get("State") == "EnablePending"


def test_invoke_command_vm_errors(world: World) -> None:
    cred = make_credential("Administrator", SecureString(PASSWORD))
    vm = world.root.new_vm("off", generation=2, new_vhd_path="C:\\o.vhdx")
    _, inv = run(
        world.root,
        "Invoke-Command",
        VMName=["off"],
        Credential=cred,
        ScriptBlock=lambda c: [c.name],
    )
    assert inv.errors[0].message == "The virtual machine off is not in running state."
    _, inv = run(
        world.root,
        "Invoke-Command",
        VMName=["ghost"],
        Credential=cred,
        ScriptBlock=lambda c: [c.name],
    )
    assert (
        inv.errors[0].message
        == "The input VMName ghost does not resolve to a single virtual machine."
    )
    # An empty disk boots nothing: the VM runs, nothing answers PowerShell Direct.
    world.root.start_vm(vm)
    before = snapshot(world)
    _, inv = run(
        world.root, "Invoke-Command", VMName=["off"], Credential=cred, ScriptBlock=lambda c: [1]
    )
    assert [e.message for e in inv.errors] == [
        "An error has occurred which Windows PowerShell cannot handle. A remote session might "
        "have ended."
    ]
    assert inv.errors[0].fqid == "PSSessionStateBroken"
    assert snapshot(world) == before
    img = world.root.new_vm(
        "img", generation=2, vhd_path=image_disk(world.root, "C:\\VMs\\img.vhdx", "IMG")
    )
    world.root.start_vm(img)
    out, inv = run(
        world.root,
        "Invoke-Command",
        VMName=["img"],
        Credential=cred,
        ScriptBlock=lambda c, a: [c.name, a],
        ArgumentList=[7],
    )
    assert not inv.errors and out == ["IMG", 7]
    _, inv = run(
        world.root,
        "Invoke-Command",
        VMName=["img"],
        Credential=make_credential("Administrator", SecureString("wrong")),
        ScriptBlock=lambda c: [1],
    )
    assert [e.message for e in inv.errors] == ["The credential is invalid."]
    assert (
        inv.errors[0].fqid == "InvalidCredential,Microsoft.PowerShell.Commands.InvokeCommandCommand"
    )


def test_test_netconnection_and_ping(world: World) -> None:
    _, _, _, g2 = make_nat_lab(world)
    (q,), inv = run(
        g2,
        "Test-NetConnection",
        ComputerName="www.microsoft.com",
        Port=443,
        InformationLevel="Quiet",
    )
    assert q is True and not inv.warnings
    (r,), _ = run(g2, "Test-NetConnection", ComputerName="8.8.8.8")
    assert r.get("PingSucceeded") is True and r.get("SourceAddress") == "192.168.100.2"
    lines, inv = run(g2, "ping", "-n", "2", "8.8.8.8")
    assert "Reply from 8.8.8.8: bytes=32 time=12ms TTL=117" in lines and inv.native_exit_code == 0
    g2.set_dns_servers(g2.adapter_by_name("Ethernet"), [])
    (q,), inv = run(
        g2, "Test-NetConnection", ComputerName="www.microsoft.com", InformationLevel="Quiet"
    )
    assert q is False and inv.warnings == ["Name resolution of www.microsoft.com failed"]
    lines, inv = run(g2, "ping", "www.microsoft.com")
    assert lines == [
        "Ping request could not find host www.microsoft.com. Please check the name and try again."
    ]


def test_netsh_dns_and_address(world: World) -> None:
    vm = make_l1(world)
    g = vm.guest
    out, inv = run(g, "netsh", "interface", "ip", "add", "dnsserver", "Ethernet", "address=1.1.1.1")
    assert out == [] and inv.native_exit_code == 0
    assert g.adapter_by_name("Ethernet").dns_servers == ["10.0.0.1", "1.1.1.1"]
    out, inv = run(g, "netsh", "interface", "ip", "add", "dnsserver", "Nope", "address=1.1.1.1")
    assert out[0] == "The filename, directory name, or volume label syntax is incorrect."
    run(
        g,
        "netsh",
        "interface",
        "ip",
        "set",
        "address",
        "name=Ethernet",
        "static",
        "10.0.0.50",
        "255.255.255.0",
        "10.0.0.1",
    )
    assert [a.ip_address for a in g.addresses_of(g.adapter_by_name("Ethernet"))] == ["10.0.0.50"]
    (q,), _ = run(
        g, "Test-NetConnection", ComputerName="www.microsoft.com", InformationLevel="Quiet"
    )
    assert q is True
    assert run(g, "hostname")[0] == [g.name]


def test_dns_client_cmdlets(world: World) -> None:
    run(
        world.root,
        "Set-DnsClientServerAddress",
        InterfaceAlias=["vEthernet (External)"],
        ServerAddresses=["8.8.8.8", "1.1.1.1"],
    )
    (d,), _ = run(world.root, "Get-DnsClientServerAddress", InterfaceAlias=["vEthernet (External)"])
    assert d.get("ServerAddresses") == ["8.8.8.8", "1.1.1.1"]


def test_enum_json_values_are_integers(world: World) -> None:
    make_l1(world)
    (a,), _ = run(world.root, "Get-VMNetworkAdapter", VMName=["L1"])
    assert json.dumps(int(a.get("MacAddressSpoofing"))) == "1"


def test_vhd_cmdlets(world: World) -> None:
    (d,), inv = run(world.root, "New-VHD", Path="C:\\d.vhdx", SizeBytes=10 * GiB, Dynamic=True)
    assert not inv.errors and str(d.get("VhdType")) == "Dynamic"
    (g,), _ = run(world.root, "Get-VHD", Path=["C:\\d.vhdx"])
    assert g.get("Size") == 10 * GiB
