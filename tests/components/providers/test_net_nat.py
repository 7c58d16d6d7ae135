"""`NetNatProvider` against an emulator of its own (WinNAT allows one NAT per host, so these
tests never share a host with other tests), through real WinRM."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.providers.base import PREVIEW_INPUT, ProviderError
from components.providers.net_nat import NetNatProvider, ipv4_network
from tests.conftest import Emulator, _new_emulator

NASTY = "nat \u2018q\u2019 \u201cdq\u201d 'sq' $(Stop-Computer) `t b\u00fcn \u540d\u524d [1]*"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    emu = _new_emulator(Path(tmp_path_factory.mktemp("netnat")))
    yield emu
    emu.stop()


@pytest.fixture
def provider(
    provider_factory: Callable[[type[Any]], Any], host_ps: Callable[[str], str]
) -> Iterator[NetNatProvider]:
    made: NetNatProvider = provider_factory(NetNatProvider)
    yield made
    host_ps("Get-NetNat | Remove-NetNat -Confirm:$false")


def checked(provider: NetNatProvider, **values: Any) -> dict[str, Any]:
    result = provider.check({}, {"host": "l0", **values})
    assert result.failures == [], [(f.property, f.reason) for f in result.failures]
    return result.inputs


def nats(host_json: Callable[[str], Any]) -> list[dict[str, Any]]:
    found = host_json(
        "@(Get-NetNat | ForEach-Object { @{ name = $_.Name; "
        'prefix = "$($_.InternalIPInterfaceAddressPrefix)" } })'
    )
    return [found] if isinstance(found, dict) else list(found or [])


def test_create_read_round_trip_and_tolerant_delete(
    provider: NetNatProvider, host_json: Callable[[str], Any]
) -> None:
    inputs = checked(provider, name=NASTY, internal_prefix="192.168.100.0/24")
    created = provider.create(inputs)
    assert created.id == NASTY
    assert created.outs == {**inputs, "active": True}
    assert nats(host_json) == [{"name": NASTY, "prefix": "192.168.100.0/24"}]
    read = provider.read(created.id, created.outs)
    assert read.outs == created.outs and read.inputs == inputs
    provider.delete(created.id, created.outs)
    assert nats(host_json) == []
    provider.delete(created.id, created.outs)
    assert provider.read(created.id, created.outs).id == ""


def test_existing_nat_fails_unless_adopted_with_the_same_prefix(
    provider: NetNatProvider, host_ps: Callable[[str], str], host_json: Callable[[str], Any]
) -> None:
    host_ps("New-NetNat -Name LocalNAT -InternalIPInterfaceAddressPrefix 192.168.100.0/24")
    inputs = checked(provider, name="LocalNAT", internal_prefix="192.168.100.0/24")
    with pytest.raises(ProviderError) as info:
        provider.create(inputs)
    assert str(info.value) == (
        "NetNat 'LocalNAT' already exists on l0; set adopt_existing=True to manage it"
    )
    with pytest.raises(ProviderError, match=r"has prefix 192\.168\.100\.0/24, not 10\.9\.0\.0/16"):
        provider.create({**inputs, "internal_prefix": "10.9.0.0/16", "adopt_existing": True})
    adopted = provider.create({**inputs, "adopt_existing": True})
    assert adopted.outs["active"] is True
    assert nats(host_json) == [{"name": "LocalNAT", "prefix": "192.168.100.0/24"}]


def test_second_nat_is_refused_with_the_existing_one_named_and_nothing_left(
    provider: NetNatProvider, host_json: Callable[[str], Any], emulator: Emulator
) -> None:
    first = provider.create(checked(provider, name="one", internal_prefix="192.168.100.0/24"))
    # At preview: the check reads the host and names the NAT already there.
    second = provider.check(
        {}, {"host": "l0", "name": "two", "internal_prefix": "192.168.101.0/24"}
    )
    assert [(f.property, f.reason) for f in second.failures] == [
        (
            "name",
            "l0 already has a NetNat: 'one' (192.168.100.0/24); Windows allows one NAT network "
            "per host, so 'two' cannot be made there (remove the other one with Remove-NetNat, "
            "or put this NAT on another host)",
        )
    ]
    # A NAT in state is not looked up again; create still refuses with Windows' own error.
    again = {"host": "l0", "name": "one", "internal_prefix": "192.168.100.0/24"}
    assert provider.check(first.outs, again).failures == []
    # In an update the check reads nothing: create.ps1 names the NAT already there itself.
    before = emulator.counters()["requests"]
    update = provider.check(
        {},
        {"host": "l0", "name": "two", "internal_prefix": "192.168.101.0/24", PREVIEW_INPUT: False},
    )
    assert update.failures == [] and emulator.counters()["requests"] == before
    with pytest.raises(ProviderError) as info:
        provider.create(update.inputs)
    text = str(info.value)
    assert text.startswith("l0: create NetNat failed: New-NetNat refused prefix 192.168.101.0/24")
    assert "The parameter is incorrect." in text and "'one' (192.168.100.0/24)" in text
    assert nats(host_json) == [{"name": "one", "prefix": "192.168.100.0/24"}]
    provider.delete(first.id, first.outs)


def test_prefix_overlapping_the_host_network_is_refused(provider: NetNatProvider) -> None:
    lan = provider.check({}, {"host": "l0", "name": "lan", "internal_prefix": "10.0.0.0/16"})
    assert [f.property for f in lan.failures] == ["internal_prefix"]
    assert lan.failures[0].reason.startswith("10.0.0.0/16 overlaps 10.0.0.0/24, a network l0 ")
    with pytest.raises(ProviderError, match="The parameter is incorrect"):
        provider.create(lan.inputs)


def test_a_prefix_or_name_change_that_replaces_the_nat_is_checked_without_it(
    provider: NetNatProvider, host_json: Callable[[str], Any]
) -> None:
    """Issue 15: a replacement is checked like a new NAT, except that the NAT it replaces
    (deleted before the new one is made) is not "another NAT on the host"."""
    first = provider.create(checked(provider, name="one", internal_prefix="192.168.100.0/24"))
    overlapping = provider.check(
        first.outs, {"host": "l0", "name": "one", "internal_prefix": "10.0.0.0/16"}
    )
    assert [f.property for f in overlapping.failures] == ["internal_prefix"]
    assert overlapping.failures[0].reason.startswith(
        "10.0.0.0/16 overlaps 10.0.0.0/24, a network l0 already uses"
    )
    for changed in ({"internal_prefix": "192.168.101.0/24"}, {"name": "renamed"}):
        new = {"host": "l0", "name": "one", "internal_prefix": "192.168.100.0/24", **changed}
        assert provider.check(first.outs, new).failures == [], changed
    assert nats(host_json) == [{"name": "one", "prefix": "192.168.100.0/24"}]
    provider.delete(first.id, first.outs)


def test_drift_out_of_band_is_seen_and_forces_replacement(
    provider: NetNatProvider, host_ps: Callable[[str], str]
) -> None:
    inputs = checked(provider, name="drift", internal_prefix="192.168.100.0/24")
    created = provider.create(inputs)
    host_ps(
        "Get-NetNat -Name drift | Remove-NetNat -Confirm:$false\n"
        "New-NetNat -Name drift -InternalIPInterfaceAddressPrefix 172.16.5.0/24"
    )
    read = provider.read(created.id, created.outs)
    assert read.outs["internal_prefix"] == "172.16.5.0/24"
    diff = provider.diff(created.id, read.outs, inputs)
    assert diff.changes is True and diff.replaces == ["internal_prefix"]
    assert diff.delete_before_replace is True  # one NAT per host: the old one must go first


def test_adoption_flag_changes_in_place(provider: NetNatProvider) -> None:
    olds = {**checked(provider, name="n", internal_prefix="192.168.7.0/24"), "active": True}
    news = checked(provider, name="n", internal_prefix="192.168.7.0/24", adopt_existing=True)
    diff = provider.diff("n", olds, news)
    assert diff.changes is True and diff.replaces == []
    assert provider.update("n", olds, news).outs == {**news, "active": True}
    renamed = provider.diff(
        "n", olds, checked(provider, name="m", internal_prefix="192.168.7.0/24")
    )
    assert renamed.replaces == ["name"]


@pytest.mark.parametrize(
    ("prefix", "reason"),
    [
        ("192.168.100.1/24", "has host bits set; the network is 192.168.100.0/24"),
        ("192.168.100.0", "is not in CIDR form"),
        ("300.1.1.0/24", "is not an IPv4 network"),
        ("fd00::/64", "is not an IPv4 network"),
    ],
)
def test_check_validates_the_prefix(provider: NetNatProvider, prefix: str, reason: str) -> None:
    result = provider.check({}, {"host": "l0", "name": "n", "internal_prefix": prefix})
    assert [f.property for f in result.failures] == ["internal_prefix"]
    assert reason in result.failures[0].reason


def test_prefix_is_stored_in_canonical_form() -> None:
    assert ipv4_network(" 10.1.0.0/16 ") == "10.1.0.0/16"


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.text(
        st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=30
    ).filter(lambda s: s == s.strip())
)
def test_any_name_reaches_the_host_unchanged_and_never_runs(
    provider: NetNatProvider, host_json: Callable[[str], Any], name: str
) -> None:
    created = provider.create(checked(provider, name=name, internal_prefix="192.168.100.0/24"))
    try:
        assert nats(host_json) == [{"name": name, "prefix": "192.168.100.0/24"}]
        assert provider.read(created.id, created.outs).outs == created.outs
    finally:
        provider.delete(created.id, created.outs)
