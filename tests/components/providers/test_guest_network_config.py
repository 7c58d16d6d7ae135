"""`GuestNetworkConfigProvider` against an emulator of its own, through real WinRM and
PowerShell Direct: a guest on an L0 NAT, and an L2 guest two levels deep (L0 -> L1 running
Hyper-V -> L2 on L1's Internal switch with NAT), built by this package's own providers."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from components.providers.base import ProviderError
from components.providers.guest_network_config import GuestNetworkConfigProvider
from components.providers.net_ip_address import NetIpAddressProvider
from components.providers.net_nat import NetNatProvider
from components.providers.vm_switch import VmSwitchProvider
from components.providers.windows_feature import WindowsFeatureProvider
from tests.components.providers.conftest import GUEST_PASSWORD, GUEST_USER
from tests.components.providers.image_vms import image_vm_script
from tests.conftest import Emulator, _new_emulator


def ps_literal(value: str) -> str:
    """A PowerShell single-quoted literal (for the out-of-band test scripts only)."""
    for quote in "'\u2018\u2019\u201a\u201b":
        value = value.replace(quote, quote + quote)
    return f"'{value}'"


CRED = (
    f"$pw = ConvertTo-SecureString {ps_literal(GUEST_PASSWORD)} -AsPlainText -Force\n"
    f"$cred = New-Object System.Management.Automation.PSCredential ({ps_literal(GUEST_USER)}, $pw)\n"
)
IMAGE = "C:\\Images\\WS2022-Datacenter.vhdx"
GUEST_VM = "G1 \u2018web\u2019"
L1 = "L1 nested"
L2 = "L2 emulator"


def image_guest(name: str, switch: str = "LabNAT") -> str:
    """PowerShell making a running guest `name` on `switch` that boots the host's image with
    the test credential's password."""
    return (
        image_vm_script(name, IMAGE, GUEST_PASSWORD, expose=False, memory="2GB")
        + f"\nConnect-VMNetworkAdapter -VMName {ps_literal(name)} -SwitchName {ps_literal(switch)}"
    )


def run_ps(emu: Emulator, script: str) -> str:
    result = emu.session().run_ps(script)
    assert result.status_code == 0, result.std_err.decode("utf-8", "replace")
    return str(result.std_out.decode("utf-8").strip())


def in_guest(vm: str, body: str) -> str:
    """Plain PowerShell Direct into `vm` on L0 (the VM name passed as an argument)."""
    return (
        CRED
        + f"$json = Invoke-Command -VMName {ps_literal(vm)} -Credential $cred -ScriptBlock {{\n"
        + body
        + "\n}\n[Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($json))"
    )


def guest_json(emu: Emulator, vm: str, body: str) -> Any:
    out = run_ps(emu, in_guest(vm, body + " | ConvertTo-Json -Compress -Depth 4"))
    return json.loads(base64.b64decode(out).decode("utf-8"))


GUEST_VIEW = (
    "$i = (Get-NetAdapter -Name Ethernet).ifIndex\n"
    "@{ ips = @(Get-NetIPAddress -InterfaceIndex $i -AddressFamily IPv4 | Where-Object { "
    '"$($_.PrefixOrigin)" -eq "Manual" } | ForEach-Object { "$($_.IPAddress)/$($_.PrefixLength)" }); '
    "gw = @(Get-NetRoute -InterfaceIndex $i -DestinationPrefix 0.0.0.0/0 -ErrorAction "
    "SilentlyContinue | ForEach-Object { $_.NextHop }); "
    "dns = @((Get-DnsClientServerAddress -InterfaceIndex $i -AddressFamily IPv4).ServerAddresses) }"
)


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """A host of its own: an Internal switch with NAT 192.168.50.0/24 and a running guest on it."""
    emu = _new_emulator(Path(tmp_path_factory.mktemp("guestnet")))
    run_ps(
        emu,
        "New-VMSwitch -Name LabNAT -SwitchType Internal | Out-Null\n"
        "New-NetNat -Name LabNAT -InternalIPInterfaceAddressPrefix 192.168.50.0/24 | Out-Null\n"
        'New-NetIPAddress -InterfaceAlias "vEthernet (LabNAT)" -IPAddress 192.168.50.1 '
        "-PrefixLength 24 | Out-Null\n" + image_guest(GUEST_VM),
    )
    yield emu
    emu.stop()


@pytest.fixture
def provider(provider_factory: Callable[[type[Any]], Any]) -> GuestNetworkConfigProvider:
    made: GuestNetworkConfigProvider = provider_factory(GuestNetworkConfigProvider)
    return made


def checked(provider: Any, **values: Any) -> dict[str, Any]:
    result = provider.check({}, values)
    assert result.failures == [], [(f.property, f.reason) for f in result.failures]
    return result.inputs


def guest_inputs(provider: GuestNetworkConfigProvider, **values: Any) -> dict[str, Any]:
    base = {
        "host": "l0",
        "vm_name": GUEST_VM,
        "credential": "guest",
        "ip_address": "192.168.50.10",
        "prefix_length": 24,
        "gateway": "192.168.50.1",
        "dns_servers": ["1.1.1.1", "8.8.8.8"],
    }
    return checked(provider, **{**base, **values})


def test_create_read_update_delete_in_the_guest(
    provider: GuestNetworkConfigProvider, emulator: Emulator
) -> None:
    inputs = guest_inputs(provider)
    created = provider.create(inputs)
    assert created.outs == {**inputs, "adapter_name": "Ethernet", "internet_reachable": True}
    assert guest_json(emulator, GUEST_VM, GUEST_VIEW) == {
        "ips": ["192.168.50.10/24"],
        "gw": ["192.168.50.1"],
        "dns": ["1.1.1.1", "8.8.8.8"],
    }
    read = provider.read(created.id, created.outs)
    assert read.outs == created.outs and read.inputs == inputs

    moved = guest_inputs(provider, ip_address="192.168.50.11", dns_servers=["9.9.9.9"])
    diff = provider.diff(created.id, read.outs, moved)
    assert diff.changes is True and diff.replaces == []
    updated = provider.update(created.id, read.outs, moved)
    assert updated.outs["internet_reachable"] is True
    assert guest_json(emulator, GUEST_VM, GUEST_VIEW) == {
        "ips": ["192.168.50.11/24"],
        "gw": ["192.168.50.1"],
        "dns": ["9.9.9.9"],
    }
    provider.delete(created.id, updated.outs)
    assert guest_json(emulator, GUEST_VM, GUEST_VIEW) == {"ips": [], "gw": [], "dns": []}
    provider.delete(created.id, updated.outs)


def test_internet_reachable_only_with_the_right_gateway(
    provider: GuestNetworkConfigProvider,
) -> None:
    wrong = guest_inputs(provider, gateway="192.168.50.254")
    created = provider.create(wrong)
    assert created.outs["internet_reachable"] is False
    fixed = provider.update(created.id, created.outs, guest_inputs(provider))
    assert fixed.outs["internet_reachable"] is True
    no_gateway = provider.update(created.id, fixed.outs, guest_inputs(provider, gateway=None))
    assert no_gateway.outs["internet_reachable"] is False
    provider.delete(created.id, no_gateway.outs)


def test_drift_in_the_guest_is_seen_and_updates_in_place(
    provider: GuestNetworkConfigProvider, emulator: Emulator
) -> None:
    inputs = guest_inputs(provider)
    created = provider.create(inputs)
    run_ps(
        emulator,
        in_guest(
            GUEST_VM,
            "Set-DnsClientServerAddress -InterfaceAlias Ethernet -ServerAddresses 10.9.9.9; 'x'",
        ),
    )
    read = provider.read(created.id, created.outs)
    assert read.outs["dns_servers"] == ["10.9.9.9"]
    diff = provider.diff(created.id, read.outs, inputs)
    assert diff.changes is True and diff.replaces == []
    provider.update(created.id, read.outs, inputs)
    assert provider.read(created.id, created.outs).outs == created.outs
    provider.delete(created.id, created.outs)


def test_failure_midway_is_rolled_back_and_the_next_create_converges(
    provider: GuestNetworkConfigProvider, emulator: Emulator
) -> None:
    bad = {**guest_inputs(provider), "dns_servers": ["not-an-address"]}  # bypasses check
    with pytest.raises(ProviderError) as info:
        provider.create(bad)
    assert str(info.value).startswith("l0.G1--web-: create GuestNetworkConfig failed: ")
    assert guest_json(emulator, GUEST_VM, GUEST_VIEW)["ips"] == []
    assert guest_json(emulator, GUEST_VM, GUEST_VIEW)["gw"] == []
    inputs = guest_inputs(provider)
    first = provider.create(inputs)
    again = provider.create(inputs)  # a re-run finds it all in place and converges
    assert again.outs == first.outs
    provider.delete(first.id, first.outs)


def test_unknown_adapter_lists_the_guest_adapters(provider: GuestNetworkConfigProvider) -> None:
    with pytest.raises(
        ProviderError, match=r"no network adapter named 'LAN 9' \(adapters: 'Ethernet'\)"
    ):
        provider.create(guest_inputs(provider, adapter_name="LAN 9"))


def test_delete_and_read_when_the_vm_is_off_or_gone(
    provider: GuestNetworkConfigProvider, emulator: Emulator
) -> None:
    run_ps(emulator, image_guest("Doomed"))
    inputs = guest_inputs(provider, vm_name="Doomed", ip_address="192.168.50.20")
    created = provider.create(inputs)
    run_ps(emulator, "Stop-VM -Name Doomed -TurnOff -Force")
    assert provider.read(created.id, created.outs).outs["ip_address"] == "192.168.50.20"
    provider.delete(created.id, created.outs)  # the guest cannot be reached: warned, not failed
    run_ps(emulator, "Remove-VM -Name Doomed -Force")
    assert provider.read(created.id, created.outs).id == ""
    provider.delete(created.id, created.outs)


@pytest.mark.parametrize(
    ("values", "prop", "reason"),
    [
        ({"gateway": "192.168.51.1"}, "gateway", "not inside 192.168.50.0/24"),
        ({"gateway": "192.168.50.10"}, "gateway", "the guest's own address"),
        ({"ip_address": "192.168.50.255"}, "ip_address", "broadcast address"),
        ({"dns_servers": ["1.1.1.1", "dns.google"]}, "dns_servers.1", "IPv4"),
        ({"credential": "nobody"}, "credential", "unknown credential 'nobody'"),
    ],
)
def test_check_names_the_field(
    provider: GuestNetworkConfigProvider, values: dict[str, Any], prop: str, reason: str
) -> None:
    news = {
        "host": "l0",
        "vm_name": "v",
        "credential": "guest",
        "ip_address": "192.168.50.10",
        "prefix_length": 24,
        "gateway": "192.168.50.1",
        **values,
    }
    result = provider.check({}, news)
    assert [f.property for f in result.failures] == [prop]
    assert reason in result.failures[0].reason


def test_l2_guest_two_levels_deep_reaches_outside_through_l1_nat(
    provider_factory: Callable[[type[Any]], Any], emulator: Emulator
) -> None:
    """L0 -> L1 (extensions on, Hyper-V installed by WindowsFeature) -> L1 Internal switch,
    NAT and gateway (VmSwitch, NetNat, NetIpAddress on the L1 route) -> L2 configured by
    GuestNetworkConfig through L1; Internet only once every piece is right."""
    run_ps(
        emulator,
        image_vm_script(L1, IMAGE, GUEST_PASSWORD, memory="8GB")
        + f"\nConnect-VMNetworkAdapter -VMName '{L1}' -SwitchName External",
    )
    l1 = {"parent": "l0", "vm_name": L1, "credential": "guest"}
    feature = provider_factory(WindowsFeatureProvider)
    installed = feature.create(checked(feature, host=l1))
    assert installed.outs["installed"] is True and installed.outs["restart_needed"] is False

    switch = provider_factory(VmSwitchProvider)
    sw = switch.create(checked(switch, host=l1, name="VmNAT"))
    assert sw.outs["host_adapter"] == "vEthernet (VmNAT)"
    nat = provider_factory(NetNatProvider)
    made_nat = nat.create(
        checked(nat, host=l1, name="LocalNAT", internal_prefix="192.168.100.0/24")
    )
    gateway = provider_factory(NetIpAddressProvider)
    gateway.create(
        checked(
            gateway,
            host=l1,
            interface_alias="vEthernet (VmNAT)",
            ip_address="192.168.100.1",
            prefix_length=24,
        )
    )
    # The image goes into the L1 as an admin would copy it, then the L2 boots from it there.
    run_ps(
        emulator,
        f"Enable-VMIntegrationService -VMName '{L1}' -Name 'Guest Service Interface'\n"
        f"Copy-VMFile -Name '{L1}' -SourcePath '{IMAGE}' -DestinationPath '{IMAGE}' "
        "-FileSource Host -CreateFullPath",
    )
    run_ps(emulator, in_guest(L1, image_guest(L2, "VmNAT") + "\n'ok'"))
    guest_net = provider_factory(GuestNetworkConfigProvider)
    inputs = checked(
        guest_net,
        host=l1,
        vm_name=L2,
        credential="guest",
        ip_address="192.168.100.2",
        prefix_length=24,
        gateway="192.168.100.1",
        dns_servers=["1.1.1.1"],
    )
    created = guest_net.create(inputs)
    assert created.outs["internet_reachable"] is True

    nat.delete(made_nat.id, made_nat.outs)  # break one piece: the L2 guest loses the Internet
    assert guest_net.read(created.id, created.outs).outs["internet_reachable"] is False
    nat2 = nat.create(checked(nat, host=l1, name="LocalNAT", internal_prefix="192.168.100.0/24"))
    assert guest_net.read(created.id, created.outs).outs["internet_reachable"] is True

    # The L1 is removed out of band: everything that lived inside it is gone too, so refresh
    # drops those resources (read -> empty id) and destroy succeeds, instead of failing on
    # "no VM named ..." for every resource on the L1 route.
    run_ps(emulator, f"Stop-VM -Name '{L1}' -TurnOff -Force; Remove-VM -Name '{L1}' -Force")
    for prov, made in ((switch, sw), (nat, nat2), (guest_net, created)):
        assert prov.read(made.id, made.outs).id == ""
        prov.delete(made.id, made.outs)
