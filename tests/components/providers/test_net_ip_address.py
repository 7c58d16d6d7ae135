"""`NetIpAddressProvider` against the running emulator through real WinRM: the NAT gateway
address on an Internal switch's host vNIC."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from components.providers.base import ProviderError
from components.providers.net_ip_address import NetIpAddressProvider


def ps_literal(value: str) -> str:
    for quote in "'\u2018\u2019\u201a\u201b":
        value = value.replace(quote, quote + quote)
    return f"'{value}'"


@pytest.fixture
def provider(provider_factory: Callable[[type[Any]], Any]) -> NetIpAddressProvider:
    made: NetIpAddressProvider = provider_factory(NetIpAddressProvider)
    return made


@pytest.fixture
def vnic(host_ps: Callable[[str], str], unique: Callable[[str], str]) -> Iterator[str]:
    """A fresh Internal switch (made with plain PowerShell); yields its host vNIC's name."""
    name = unique("gw \u2018sw\u2019 $(x)")
    host_ps(f"New-VMSwitch -Name {ps_literal(name)} -SwitchType Internal | Out-Null")
    yield f"vEthernet ({name})"
    host_ps(
        f"Get-VMSwitch | Where-Object {{ $_.Name -eq {ps_literal(name)} }} | Remove-VMSwitch -Force"
    )


def checked(provider: NetIpAddressProvider, **values: Any) -> dict[str, Any]:
    result = provider.check({}, {"host": "l0", **values})
    assert result.failures == [], [(f.property, f.reason) for f in result.failures]
    return result.inputs


def addresses(host_json: Callable[[str], Any], alias: str) -> list[str]:
    found = host_json(
        f"@(Get-NetIPAddress -AddressFamily IPv4 | Where-Object {{ $_.InterfaceAlias -eq "
        f'{ps_literal(alias)} -and "$($_.PrefixOrigin)" -eq "Manual" }} | '
        'ForEach-Object { "$($_.IPAddress)/$($_.PrefixLength)" })'
    )
    return [found] if isinstance(found, str) else list(found or [])


def test_create_read_round_trip_and_tolerant_delete(
    provider: NetIpAddressProvider, vnic: str, host_json: Callable[[str], Any]
) -> None:
    inputs = checked(provider, interface_alias=vnic, ip_address="192.168.100.1", prefix_length=24)
    created = provider.create(inputs)
    assert created.id == f"{vnic}|192.168.100.1"
    assert created.outs == {**inputs, "interface_index": created.outs["interface_index"]}
    assert isinstance(created.outs["interface_index"], int)
    assert addresses(host_json, vnic) == ["192.168.100.1/24"]
    read = provider.read(created.id, created.outs)
    assert read.outs == created.outs and read.inputs == inputs
    provider.delete(created.id, created.outs)
    assert addresses(host_json, vnic) == []
    provider.delete(created.id, created.outs)
    assert provider.read(created.id, created.outs).id == ""


def test_interface_is_matched_case_insensitively(
    provider: NetIpAddressProvider, vnic: str, host_json: Callable[[str], Any]
) -> None:
    inputs = checked(
        provider, interface_alias=vnic.upper(), ip_address="192.168.60.1", prefix_length=24
    )
    created = provider.create(inputs)
    assert addresses(host_json, vnic) == ["192.168.60.1/24"]
    assert provider.read(created.id, created.outs).outs == created.outs
    provider.delete(created.id, created.outs)


def test_existing_address_fails_unless_adopted_and_adoption_fixes_the_prefix(
    provider: NetIpAddressProvider,
    vnic: str,
    host_ps: Callable[[str], str],
    host_json: Callable[[str], Any],
) -> None:
    host_ps(
        f"Get-NetAdapter | Where-Object {{ $_.Name -eq {ps_literal(vnic)} }} | "
        "New-NetIPAddress -IPAddress 192.168.100.1 -AddressFamily IPv4 -PrefixLength 16 | Out-Null"
    )
    inputs = checked(provider, interface_alias=vnic, ip_address="192.168.100.1", prefix_length=24)
    with pytest.raises(ProviderError) as info:
        provider.create(inputs)
    assert str(info.value) == (
        f"NetIpAddress '192.168.100.1' on '{vnic}' already exists on l0; "
        "set adopt_existing=True to manage it"
    )
    adopted = provider.create({**inputs, "adopt_existing": True})
    assert addresses(host_json, vnic) == ["192.168.100.1/24"]
    provider.delete(adopted.id, adopted.outs)


def test_address_of_another_interface_is_refused_and_nothing_added(
    provider: NetIpAddressProvider, vnic: str, host_json: Callable[[str], Any]
) -> None:
    inputs = checked(
        provider,
        interface_alias=vnic,
        ip_address="10.0.0.10",
        prefix_length=24,
        adopt_existing=True,
    )
    with pytest.raises(ProviderError) as info:
        provider.create(inputs)
    assert "10.0.0.10 is already assigned to 'vEthernet (External)'" in str(info.value)
    assert addresses(host_json, vnic) == []


def test_missing_interface_is_named_with_the_ones_that_exist(
    provider: NetIpAddressProvider,
) -> None:
    inputs = checked(
        provider, interface_alias="vEthernet (nope)", ip_address="192.168.9.1", prefix_length=24
    )
    with pytest.raises(ProviderError) as info:
        provider.create(inputs)
    text = str(info.value)
    assert text.startswith("l0: create NetIpAddress failed: No network adapter named")
    assert "'vEthernet (External)'" in text


def test_drift_out_of_band_is_seen_and_forces_replacement(
    provider: NetIpAddressProvider, vnic: str, host_ps: Callable[[str], str]
) -> None:
    inputs = checked(provider, interface_alias=vnic, ip_address="192.168.100.1", prefix_length=24)
    created = provider.create(inputs)
    host_ps("Set-NetIPAddress -IPAddress 192.168.100.1 -PrefixLength 16")
    read = provider.read(created.id, created.outs)
    assert read.outs["prefix_length"] == 16
    diff = provider.diff(created.id, read.outs, inputs)
    assert diff.changes is True and diff.replaces == ["prefix_length"]
    host_ps("Remove-NetIPAddress -IPAddress 192.168.100.1 -Confirm:$false")
    assert provider.read(created.id, read.outs).id == ""
    provider.delete(created.id, read.outs)


def test_every_input_but_adoption_replaces(provider: NetIpAddressProvider) -> None:
    base = checked(provider, interface_alias="a", ip_address="192.168.1.1", prefix_length=24)
    olds = {**base, "interface_index": 7}
    for change, prop in (
        ({"interface_alias": "b"}, "interface_alias"),
        ({"ip_address": "192.168.1.2"}, "ip_address"),
        ({"prefix_length": 25}, "prefix_length"),
    ):
        assert provider.diff("x", olds, {**base, **change}).replaces == [prop]
    adopt = {**base, "adopt_existing": True}
    assert provider.diff("x", olds, adopt).replaces == []
    assert provider.update("x", olds, adopt).outs["interface_index"] == 7


@pytest.mark.parametrize(
    ("values", "prop", "reason"),
    [
        ({"ip_address": "192.168.1.0"}, "ip_address", "network address of 192.168.1.0/24"),
        ({"ip_address": "192.168.1.255"}, "ip_address", "broadcast address"),
        ({"ip_address": "192.168.1.300"}, "ip_address", "IPv4"),
        ({"prefix_length": 33}, "prefix_length", "less than or equal to 32"),
    ],
)
def test_check_names_the_field(
    provider: NetIpAddressProvider, values: dict[str, Any], prop: str, reason: str
) -> None:
    news = {"host": "l0", "interface_alias": "a", "ip_address": "192.168.1.1", "prefix_length": 24}
    result = provider.check({}, {**news, **values})
    assert [f.property for f in result.failures] == [prop]
    assert reason in result.failures[0].reason
