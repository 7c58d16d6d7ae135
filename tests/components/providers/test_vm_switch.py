"""`VmSwitchProvider` against the running emulator through real WinRM (no mocks of the host)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.providers.base import ProviderError
from components.providers.vm_switch import VmSwitchProvider

NASTY = "sw \u2018q\u2019 \u201cdq\u201d \"dq\" 'sq' $(Stop-Computer) `t b\u00fcn \u540d\u524d [1]*"


def ps_literal(value: str) -> str:
    """A PowerShell single-quoted literal (for the out-of-band test scripts only)."""
    for quote in "'\u2018\u2019\u201a\u201b":
        value = value.replace(quote, quote + quote)
    return f"'{value}'"


@pytest.fixture
def provider(provider_factory: Callable[[type[Any]], Any]) -> VmSwitchProvider:
    made: VmSwitchProvider = provider_factory(VmSwitchProvider)
    return made


def checked(provider: VmSwitchProvider, **values: Any) -> dict[str, Any]:
    result = provider.check({}, {"host": "l0", **values})
    assert result.failures == [], [(f.property, f.reason) for f in result.failures]
    return result.inputs


def switches(host_json: Callable[[str], Any], name: str) -> list[dict[str, Any]]:
    """The switches of this exact name as plain PowerShell on the host sees them."""
    found = host_json(
        f"@(Get-VMSwitch | Where-Object {{ $_.Name -eq {ps_literal(name)} }} | ForEach-Object {{ "
        '@{ name = $_.Name; id = "$($_.Id)"; type = "$($_.SwitchType)" } })'
    )
    return [found] if isinstance(found, dict) else list(found or [])


def test_create_read_round_trip_stores_the_name_exactly(
    provider: VmSwitchProvider, host_json: Callable[[str], Any], unique: Callable[[str], str]
) -> None:
    name = unique(NASTY)
    inputs = checked(provider, name=name)
    created = provider.create(inputs)
    assert created.outs == {
        **inputs,
        "switch_type": "Internal",
        "switch_id": created.id,
        "host_adapter": f"vEthernet ({name})",
    }
    assert switches(host_json, name) == [{"name": name, "id": created.id, "type": "Internal"}]
    read = provider.read(created.id, created.outs)
    assert read.id == created.id
    assert read.outs == created.outs and read.inputs == inputs
    assert provider.diff(created.id, read.outs, inputs).changes is False
    provider.delete(created.id, created.outs)
    assert switches(host_json, name) == []


def test_private_switch_has_no_host_adapter(
    provider: VmSwitchProvider, unique: Callable[[str], str]
) -> None:
    inputs = checked(provider, name=unique("private"), switch_type="Private")
    created = provider.create(inputs)
    assert created.outs["host_adapter"] is None
    assert provider.read(created.id, created.outs).outs == created.outs
    provider.delete(created.id, created.outs)


def test_delete_of_a_missing_switch_succeeds(
    provider: VmSwitchProvider, unique: Callable[[str], str]
) -> None:
    inputs = checked(provider, name=unique("gone"))
    created = provider.create(inputs)
    provider.delete(created.id, created.outs)
    provider.delete(created.id, created.outs)
    assert provider.read(created.id, created.outs).id == ""


def test_existing_switch_fails_unless_adopted(
    provider: VmSwitchProvider,
    host_ps: Callable[[str], str],
    host_json: Callable[[str], Any],
    unique: Callable[[str], str],
) -> None:
    name = unique("adopt \u2018me\u2019")
    host_ps(f"New-VMSwitch -Name {ps_literal(name)} -SwitchType Internal | Out-Null")
    existing_id = switches(host_json, name)[0]["id"]
    inputs = checked(provider, name=name)
    with pytest.raises(ProviderError) as info:
        provider.create(inputs)
    assert str(info.value) == (
        f"VmSwitch '{name}' already exists on l0; set adopt_existing=True to manage it"
    )
    adopted = provider.create({**inputs, "adopt_existing": True})
    assert adopted.id == existing_id
    assert adopted.outs["host_adapter"] == f"vEthernet ({name})"
    assert len(switches(host_json, name)) == 1
    with pytest.raises(ProviderError, match="is Internal, not Private"):
        provider.create({**inputs, "switch_type": "Private", "adopt_existing": True})
    provider.delete(adopted.id, adopted.outs)
    assert switches(host_json, name) == []


def test_adopting_the_external_switch_reads_its_uplink(provider: VmSwitchProvider) -> None:
    inputs = checked(
        provider,
        name="External",
        switch_type="External",
        net_adapter_name="Ethernet",
        adopt_existing=True,
    )
    adopted = provider.create(inputs)
    assert adopted.outs["host_adapter"] == "vEthernet (External)"
    read = provider.read(adopted.id, adopted.outs)
    assert read.outs["net_adapter_name"] == "Ethernet"
    assert provider.diff(adopted.id, read.outs, inputs).changes is False
    # Not deleted: it is the emulator's own uplink.


def test_failed_create_leaves_nothing_behind(
    provider: VmSwitchProvider, host_json: Callable[[str], Any], unique: Callable[[str], str]
) -> None:
    name = unique("uplink")
    inputs = checked(provider, name=name, switch_type="External", net_adapter_name="No Such NIC")
    with pytest.raises(ProviderError) as info:
        provider.create(inputs)
    text = str(info.value)
    assert text.startswith("l0: create VmSwitch failed: ") and "No Such NIC" in text
    assert switches(host_json, name) == []


def test_drift_out_of_band_is_seen_and_forces_replacement(
    provider: VmSwitchProvider, host_ps: Callable[[str], str], unique: Callable[[str], str]
) -> None:
    name = unique("drift")
    inputs = checked(provider, name=name)
    created = provider.create(inputs)
    host_ps(
        f"Get-VMSwitch | Where-Object {{ $_.Name -eq {ps_literal(name)} }} | Remove-VMSwitch -Force\n"
        f"New-VMSwitch -Name {ps_literal(name)} -SwitchType Private | Out-Null"
    )
    read = provider.read(created.id, created.outs)
    assert read.outs["switch_type"] == "Private"
    assert read.outs["switch_id"] != created.id and read.outs["host_adapter"] is None
    diff = provider.diff(created.id, read.outs, inputs)
    assert diff.changes is True and diff.replaces == ["switch_type"]
    host_ps(
        f"Get-VMSwitch | Where-Object {{ $_.Name -eq {ps_literal(name)} }} | Remove-VMSwitch -Force"
    )
    assert provider.read(created.id, read.outs).id == ""
    provider.delete(created.id, read.outs)


def test_diff_replaces_for_type_and_name_but_not_for_adoption(provider: VmSwitchProvider) -> None:
    olds = {
        **checked(provider, name="a"),
        "switch_id": "X",
        "host_adapter": "vEthernet (a)",
    }
    assert provider.diff("X", olds, checked(provider, name="b")).replaces == ["name"]
    private = checked(provider, name="a", switch_type="Private")
    assert provider.diff("X", olds, private).replaces == ["switch_type"]
    adopt = provider.diff("X", olds, checked(provider, name="a", adopt_existing=True))
    assert adopt.changes is True and adopt.replaces == []
    updated = provider.update("X", olds, checked(provider, name="a", adopt_existing=True))
    assert updated.outs["switch_id"] == "X" and updated.outs["adopt_existing"] is True


@pytest.mark.parametrize(
    ("values", "prop", "reason"),
    [
        ({"switch_type": "External"}, "net_adapter_name", "needs the physical adapter"),
        (
            {"switch_type": "Private", "net_adapter_name": "Ethernet"},
            "net_adapter_name",
            "only an External switch",
        ),
        ({"switch_type": "internal"}, "switch_type", "'Internal', 'Private' or 'External'"),
        ({"colour": "red"}, "colour", "unknown property"),
    ],
)
def test_check_names_the_field(
    provider: VmSwitchProvider, values: dict[str, Any], prop: str, reason: str
) -> None:
    result = provider.check({}, {"host": "l0", "name": "x", **values})
    assert [f.property for f in result.failures] == [prop]
    assert reason in result.failures[0].reason


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    name=st.text(
        st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=30
    )
    .filter(lambda s: s == s.strip())
    # The emulated host's own switch (names compare ignoring case): taking it is refused.
    .filter(lambda s: s.casefold() != "external")
)
def test_any_name_reaches_the_host_unchanged_and_never_runs(
    provider: VmSwitchProvider, host_json: Callable[[str], Any], name: str
) -> None:
    inputs = checked(provider, name=name)
    created = provider.create(inputs)
    try:
        assert switches(host_json, name) == [{"name": name, "id": created.id, "type": "Internal"}]
        assert provider.read(created.id, created.outs).outs == created.outs
    finally:
        provider.delete(created.id, created.outs)
