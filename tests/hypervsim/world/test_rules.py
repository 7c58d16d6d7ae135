"""Every documented rule: Windows' error text, and the model unchanged afterwards."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hypervsim.world.errors import WorldError
from hypervsim.world.hyperv import INVALID_STATE_TEXT, VBS_OPT_OUT_TEXT
from hypervsim.world.images import install_image, parse_image_spec
from hypervsim.world.model import World

from ..guest_images import image_disk
from .conftest import GiB, make_l1, make_nat_lab, snapshot


def refused(world: World, action: Callable[[], object], text: str) -> WorldError:
    before = snapshot(world)
    with pytest.raises(WorldError) as info:
        action()
    assert text in info.value.message
    assert snapshot(world) == before, "a refused operation changed the model"
    return info.value


def test_expose_extensions_only_while_off(world: World) -> None:
    vm = make_l1(world, expose=False)
    err = refused(world, lambda: world.root.set_vm_processor(vm, expose=True), INVALID_STATE_TEXT)
    assert err.message.startswith("Failed to modify device 'Processor'.")
    assert err.reason == "InvalidState" and err.category == "InvalidOperation"
    world.root.stop_vm(vm, turn_off=True)
    world.root.set_vm_processor(vm, expose=True)
    assert vm.expose_virtualization_extensions


def test_disable_extensions_only_while_off(world: World) -> None:
    vm = make_l1(world)
    refused(world, lambda: world.root.set_vm_processor(vm, expose=False), INVALID_STATE_TEXT)


def test_processor_count_only_while_off(world: World) -> None:
    vm = make_l1(world)
    refused(world, lambda: world.root.set_vm_processor(vm, count=8), INVALID_STATE_TEXT)


def test_vcpu_limit_is_the_hosts_logical_processors(world: World) -> None:
    """A generation 2 VM on Windows Server 2022 may have up to 1,024 virtual processors ("Plan
    for Hyper-V scalability in Windows Server"), but no more than the host's logical
    processors (256 on this profile)."""
    vm = world.root.new_vm("big", generation=2, new_vhd_path="C:\\big.vhdx")
    refused(world, lambda: world.root.set_vm_processor(vm, count=257), "The range is 1 through 256")
    world.root.set_vm_processor(vm, count=256)


def test_generation_1_vm_has_at_most_64_virtual_processors(world: World) -> None:
    """learn.microsoft.com/windows-server/virtualization/hyper-v/maximum-scale-limits, "Maximums
    for virtual machines", every Windows Server version: "Virtual processors: ... 64 for
    generation 1". The host (256 logical processors) is not the limit here."""
    vm = world.root.new_vm("gen1", generation=1, new_vhd_path="C:\\gen1.vhdx")
    err = refused(
        world, lambda: world.root.set_vm_processor(vm, count=65), "The range is 1 through 64"
    )
    assert err.message.startswith("Failed to modify device 'Processor'.")
    world.root.set_vm_processor(vm, count=64)
    assert vm.processor_count == 64


def test_server2019_l1_nested_vcpu_limit(world: World) -> None:
    image = "C:\\Images\\WS2019-Datacenter.vhdx"
    install_image(
        world.root, parse_image_spec(f"{image}=family=windows-server,build=17763,generation=2")
    )
    disk = image_disk(world.root, "C:\\VMs\\ws19.vhdx", image=image)
    vm = world.root.new_vm("ws19", generation=2, vhd_path=disk)
    refused(
        world,
        lambda: world.root.set_vm_processor(vm, count=226, expose=True),
        "at most 225 virtual processors",
    )
    world.root.set_vm_processor(vm, count=225, expose=True)


def test_vbs_host_needs_opt_out() -> None:
    world = World.create("server2022-intel-vbs")
    vm = world.root.new_vm("L1", new_vhd_path="C:\\L1.vhdx")
    err = refused(world, lambda: world.root.set_vm_processor(vm, expose=True), VBS_OPT_OUT_TEXT)
    assert (
        err.message == "Cannot modify property without enabling VirtualizationBasedSecurityOptOut"
    )
    world.root.set_vm_security(vm, True)
    world.root.set_vm_processor(vm, expose=True)


def test_amd_on_server2016_cannot_nest() -> None:
    world = World.create("server2016-amd")
    vm = world.root.new_vm("L1", new_vhd_path="C:\\L1.vhdx")
    assert vm.version == "8.0"
    refused(
        world,
        lambda: world.root.set_vm_processor(vm, expose=True),
        "requires Windows Server 2022 / Windows 11",
    )


def test_amd_on_win11_needs_version_9_3() -> None:
    world = World.create("win11-amd")
    old = world.root.new_vm("old", version="9.0", new_vhd_path="C:\\old.vhdx")
    refused(
        world,
        lambda: world.root.set_vm_processor(old, expose=True),
        "configuration version 9.3 or later",
    )
    new = world.root.new_vm("new", new_vhd_path="C:\\new.vhdx")
    assert new.version == "10.0"
    world.root.set_vm_processor(new, expose=True)
    world.root.update_vm_version(old)
    assert old.version == "10.0"
    world.root.set_vm_processor(old, expose=True)


def test_intel_needs_version_8(world: World) -> None:
    vm = world.root.new_vm("v7", version="7.0", new_vhd_path="C:\\v7.vhdx")
    refused(
        world,
        lambda: world.root.set_vm_processor(vm, expose=True),
        "configuration version 8.0 or later",
    )


def test_unsupported_version_on_host() -> None:
    world = World.create("server2016-amd")
    refused(world, lambda: world.root.new_vm("x", version="10.0"), "is not supported on this host")


def test_update_version_only_while_off(world: World) -> None:
    vm = world.root.new_vm("v9", version="9.0", new_vhd_path="C:\\v9.vhdx")
    world.root.start_vm(vm)
    refused(world, lambda: world.root.update_vm_version(vm), INVALID_STATE_TEXT)


def test_hyperv_inside_l1_needs_exposed_extensions(world: World) -> None:
    vm = make_l1(world, expose=False)
    err = refused(
        world,
        lambda: vm.guest.install_features(["Hyper-V"], include_management_tools=True),
        "Hyper-V cannot be installed",
    )
    assert err.message == (
        "A prerequisite check for the Hyper-V feature failed.\n"
        "1. Hyper-V cannot be installed: The processor does not have required virtualization capabilities."
    )


def test_hyperv_cmdlets_need_the_role_and_a_restart(world: World) -> None:
    vm = make_l1(world)
    g = vm.guest
    refused(world, lambda: g.new_vm("x"), "The term 'New-VM' is not recognized")
    g.install_features(["Hyper-V"], include_management_tools=True)
    refused(world, lambda: g.new_vm("x"), "Verify that the Virtual Machine Management service")
    g.complete_restart()
    g.new_vm("x")


def test_memory_of_running_l1_with_hyperv_only_while_off(world: World) -> None:
    l1, _, _, _ = make_nat_lab(world)
    refused(world, lambda: world.root.set_vm_memory(l1, startup=16 * GiB), INVALID_STATE_TEXT)
    # merely enabling nesting does not block a runtime resize
    other = make_l1(world, "L1b")
    world.root.set_vm_memory(other, startup=10 * GiB)
    assert other.memory_startup == 10 * GiB


def test_dynamic_memory_switch_only_while_off(world: World) -> None:
    vm = make_l1(world, expose=False)
    refused(world, lambda: world.root.set_vm_memory(vm, dynamic=True), INVALID_STATE_TEXT)


def test_memory_order_rule(world: World) -> None:
    vm = world.root.new_vm("m")
    refused(
        world,
        lambda: world.root.set_vm_memory(vm, startup=1 * GiB, minimum=2 * GiB, dynamic=True),
        "minimum amount of memory",
    )


def test_one_netnat_per_host(world: World) -> None:
    _, g1, _, _ = make_nat_lab(world)
    err = refused(
        world, lambda: g1.new_nat("Second", "192.168.200.0/24"), "The parameter is incorrect."
    )
    assert err.fqid == "Windows System Error 87,New-NetNat"


def test_netnat_prefix_overlapping_outside_is_refused(world: World) -> None:
    vm = make_l1(world)
    g = vm.guest
    err = refused(world, lambda: g.new_nat("Bad", "10.0.0.0/16"), "The parameter is incorrect.")
    assert err.message == "The parameter is incorrect."


def test_duplicate_ip_address(world: World) -> None:
    _, g1, _, _ = make_nat_lab(world)
    nic = g1.adapter_by_name("vEthernet (VmNAT)")
    err = refused(
        world,
        lambda: g1.new_ip_address(nic, "192.168.100.1", 24),
        "Instance MSFT_NetIPAddress already exists",
    )
    assert err.category == "ResourceExists"


def test_duplicate_default_gateway(world: World) -> None:
    _, _, _, g2 = make_nat_lab(world)
    eth = g2.adapter_by_name("Ethernet")
    refused(
        world,
        lambda: g2.new_ip_address(eth, "192.168.100.3", 24, "192.168.100.1"),
        "Instance DefaultGateway already exists",
    )


def test_removing_a_switch_in_use_by_running_vm(world: World) -> None:
    make_l1(world)
    sw = world.root.switch_by_name("External")
    err = refused(
        world,
        lambda: world.root.remove_switch(sw),
        "cannot be deleted because it is being used by running virtual machines",
    )
    assert err.category == "ResourceBusy" and err.reason == "ObjectInUse"


def test_removing_a_switch_used_by_off_vm_disconnects_it(world: World) -> None:
    vm = world.root.new_vm("off", switch_name="External")
    world.root.remove_switch(world.root.switch_by_name("External"))
    assert vm.adapters[0].switch_id is None
    # the host's IP configuration went back to the physical NIC
    assert [
        a.ip_address for a in world.root.addresses_of(world.root.adapter_by_name("Ethernet"))
    ] == ["10.0.0.10"]


def test_switch_names_unique_per_host(world: World) -> None:
    refused(world, lambda: world.root.new_switch("external", "Internal"), "already exists")
    vm = make_l1(world)
    vm.guest.install_features(["Hyper-V"])
    vm.guest.complete_restart()
    vm.guest.new_switch("External", "Internal")  # another host: fine


def test_external_switch_needs_a_free_adapter(world: World) -> None:
    """Windows reports an adapter already bound to a switch as ResourceBusy, FQID ObjectInUse
    (github.com/canonical/multipass/issues/2159: "CategoryInfo : ResourceBusy: (:)
    [New-VMSwitch], VirtualizationException", "FullyQualifiedErrorId :
    ObjectInUse,Microsoft.HyperV.PowerShell.Commands.NewVMSwitch")."""
    err = refused(
        world,
        lambda: world.root.new_switch("Ext2", "External", net_adapter_name="Ethernet"),
        "already bound",
    )
    assert (err.reason, err.category) == ("ObjectInUse", "ResourceBusy")
    refused(
        world,
        lambda: world.root.new_switch("Ext3", "External", net_adapter_name="Nope"),
        "No MSFT_NetAdapter objects found",
    )


def test_unknown_vm_and_switch(world: World) -> None:
    refused(
        world,
        lambda: world.root.vms_named(["ghost"]),
        'Hyper-V was unable to find a virtual machine with name "ghost".',
    )
    refused(
        world,
        lambda: world.root.new_vm("x", switch_name="nope"),
        'unable to find a virtual switch with name "nope"',
    )
    assert world.root.vms_named(["gh*"]) == []


def test_remove_running_vm_is_refused(world: World) -> None:
    vm = make_l1(world)
    refused(world, lambda: world.root.remove_vm(vm), INVALID_STATE_TEXT)


def test_not_enough_memory_to_start(world: World) -> None:
    vm = world.root.new_vm("huge", memory_startup=255 * GiB, new_vhd_path="C:\\h.vhdx")
    refused(
        world,
        lambda: world.root.start_vm(vm),
        "Not enough memory in the system to start the virtual machine huge.",
    )


def test_new_vhd_exists(world: World) -> None:
    refused(
        world,
        lambda: world.root.new_vhd("C:\\Images\\WS2022-Datacenter.vhdx", 1 * GiB),
        "The file exists",
    )


def test_unknown_feature(world: World) -> None:
    refused(
        world,
        lambda: world.root.install_features(["Nope"]),
        "The role, role service, or feature name is not valid: 'Nope'",
    )


def test_l2_cannot_start_when_l1_lost_its_extensions(world: World) -> None:
    l1, g1, l2, _ = make_nat_lab(world)
    world.root.stop_vm(l1)
    world.root.set_vm_processor(l1, expose=False)
    world.root.start_vm(l1)
    refused(
        world, lambda: g1.start_vm(l2), "could not be started because the hypervisor is not running"
    )


def test_nested_guests_fit_in_the_l1_memory_not_a_fixed_size(world: World) -> None:
    """An L1 of 8 GB runs two 2 GB L2s (2 GB stays reserved); a third does not fit."""
    _l1, g1, _l2, _g2 = make_nat_lab(world)
    second = g1.new_vm("L2b", memory_startup=2 * GiB, vhd_path=image_disk(g1, "C:\\VMs\\L2b.vhdx"))
    g1.start_vm(second)
    third = g1.new_vm("L2c", memory_startup=4 * GiB, vhd_path=image_disk(g1, "C:\\VMs\\L2c.vhdx"))
    refused(
        world,
        lambda: g1.start_vm(third),
        "Not enough memory in the system to start the virtual machine L2c.",
    )


def test_server_manager_cmdlets_do_not_exist_on_client_windows() -> None:
    """Get-Command and invocation agree: Install-WindowsFeature is Server-only, DISM is not."""
    from hypervsim.powershell.session import PowerShellSession

    client = World.create("win11-amd")
    session = PowerShellSession(client, client.root)
    found = session.run(
        "[bool](Get-Command Install-WindowsFeature -ErrorAction SilentlyContinue);"
        "[bool](Get-Command Enable-WindowsOptionalFeature -ErrorAction SilentlyContinue)"
    )
    assert found.stdout.split() == ["False", "True"]
    result = session.run("Install-WindowsFeature Hyper-V")
    assert result.exit_code == 1
    assert "The term 'Install-WindowsFeature' is not recognized" in result.records[0].text
    server = World.create("server2022-intel")
    on_server = PowerShellSession(server, server.root).run(
        "[bool](Get-Command Install-WindowsFeature -ErrorAction SilentlyContinue)"
    )
    assert on_server.stdout.split() == ["True"]


def test_hyperv_cmdlets_exist_only_where_hyperv_is_installed(world: World) -> None:
    """Inside a guest without the role Get-Command finds no Get-VM and calling it is
    CommandNotFoundException, as on Windows; once installed (even pending restart) it exists."""
    from hypervsim.powershell.session import PowerShellSession

    vm = make_l1(world)
    guest = vm.guest
    assert guest is not None
    session = PowerShellSession(world, guest)
    probe = (
        "[bool](Get-Command Get-VM -ErrorAction SilentlyContinue);"
        " try { Get-VM | Out-Null; 'ran' } catch { $_.FullyQualifiedErrorId }"
    )
    assert session.run(probe).stdout.split() == ["False", "CommandNotFoundException"]
    guest.install_features(["Hyper-V"], include_management_tools=True)
    assert session.run(probe).stdout.split()[0] == "True"
