"""Provider framework: properties described once drive check, diff and full outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import dill
import pytest
from pulumi.dynamic import CheckFailure, ConfigureRequest
from pulumi.dynamic.config import Config

from components.providers.base import (
    HOST_PROP,
    PREVIEW_INPUT,
    STOP_POLICY_PROP,
    HostBoundProvider,
    ProviderError,
)
from components.providers.properties import UNKNOWN, Prop, PropertySet, equivalent

SECRET = "pw-Ünïque-42"
HOSTS = {"l0": {"endpoint": "http://127.0.0.1:1/wsman", "user": "u", "password": SECRET}}

SWITCHY = PropertySet(
    "Switchy",
    [
        HOST_PROP,
        Prop("name", str, replaces=True),
        Prop("switch_type", Literal["Internal", "Private"], default="Internal", replaces=True),
        Prop("notes", str, default=""),
        Prop("memory_mb", int, default=512, needs_off=True),
        Prop("dns", list[str], default=[]),
        STOP_POLICY_PROP,
        Prop("vm_id", str, computed=True),
    ],
)


class Switchy(HostBoundProvider):
    """A toy provider (no host calls) to exercise the base."""

    properties = SWITCHY

    def read_object(self, op: Any, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        return None


def test_check_fills_defaults_and_keeps_pulumi_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYPERV_LAB_HOSTS", json.dumps(HOSTS))
    result = Switchy().check({}, {"host": "l0", "name": "sw \u20181\u2019", "__provider": "abc"})
    assert result.failures == []
    assert result.inputs == {
        "host": "l0",
        "name": "sw \u20181\u2019",
        "switch_type": "Internal",
        "notes": "",
        "memory_mb": 512,
        "dns": [],
        "stop_policy": "fail",
        "__provider": "abc",
    }


def test_check_failures_name_each_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYPERV_LAB_HOSTS", json.dumps(HOSTS))
    result = Switchy().check(
        {}, {"host": "l0", "switch_type": "External", "memory_mb": "lots", "vm_id": "x", "extra": 1}
    )
    by_prop = {f.property: f.reason for f in result.failures}
    assert set(by_prop) == {"name", "switch_type", "memory_mb", "vm_id", "extra"}
    assert "'Internal' or 'Private'" in by_prop["switch_type"]
    assert by_prop["extra"] == "unknown property"


def test_check_names_an_unknown_host_without_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYPERV_LAB_HOSTS", json.dumps(HOSTS))
    result = Switchy().check({}, {"host": "nope", "name": "a"})
    assert [(f.property, f.reason) for f in result.failures] == [
        ("host", "hyperv-lab:hosts: unknown host 'nope' (known: l0)")
    ]


def test_check_passes_unknown_values_of_preview_through(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYPERV_LAB_HOSTS", json.dumps(HOSTS))
    result = Switchy().check(
        {}, {"host": UNKNOWN, "name": "a", "memory_mb": UNKNOWN, "dns": ["1.1.1.1", UNKNOWN]}
    )
    assert result.failures == []
    assert result.inputs["memory_mb"] == UNKNOWN and result.inputs["dns"] == ["1.1.1.1", UNKNOWN]


seen: list[tuple[dict[str, Any], bool]] = []
"""What `Looking.check_inputs` was given: (inputs, preview)."""


class Looking(Switchy):
    """Records what its further check is given; fails it on a name."""

    def check_inputs(
        self, olds: dict[str, Any], inputs: dict[str, Any], preview: bool
    ) -> list[CheckFailure]:
        seen.append((dict(inputs), preview))
        return [CheckFailure("name", "taken")] if inputs["name"] == "taken" else []


@pytest.mark.parametrize(("mark", "preview"), [({}, True), ({PREVIEW_INPUT: False}, False)])
def test_check_takes_the_preview_mark_out_and_hands_it_to_the_further_check(
    monkeypatch: pytest.MonkeyPatch, mark: dict[str, Any], preview: bool
) -> None:
    monkeypatch.setenv("HYPERV_LAB_HOSTS", json.dumps(HOSTS))
    seen.clear()
    result = Looking().check({}, {"host": "l0", "name": "taken", **mark})
    assert PREVIEW_INPUT not in result.inputs
    assert [(f.property, f.reason) for f in result.failures] == [("name", "taken")]
    assert [(inputs["name"], p, PREVIEW_INPUT in inputs) for inputs, p in seen] == [
        ("taken", preview, False)
    ]


def test_the_further_check_sees_only_inputs_that_pass_their_declarations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HYPERV_LAB_HOSTS", json.dumps(HOSTS))
    seen.clear()
    assert Looking().check({}, {"host": "nope", "name": "taken"}).failures[0].property == "host"
    assert Looking().check({}, {"host": "l0", "memory_mb": "lots"}).failures
    assert seen == []


OLD_OUTS = {
    "host": "l0",
    "name": "a",
    "switch_type": "Internal",
    "notes": "",
    "memory_mb": 512,
    "dns": [],
    "stop_policy": "fail",
    "vm_id": "1234",
}


@pytest.mark.parametrize(
    ("change", "changes", "replaces"),
    [
        ({}, False, []),
        ({"notes": "n"}, True, []),
        ({"memory_mb": 1024}, True, []),
        ({"switch_type": "Private"}, True, ["switch_type"]),
        ({"host": {"parent": "l0", "vm_name": "L1", "credential": "g"}}, True, ["host"]),
        ({"name": UNKNOWN}, True, ["name"]),
        ({"dns": ["8.8.8.8", UNKNOWN]}, True, []),
    ],
)
def test_diff_from_descriptions(change: dict, changes: bool, replaces: list[str]) -> None:
    news = {k: v for k, v in {**OLD_OUTS, **change}.items() if k != "vm_id"}
    result = Switchy().diff("id", OLD_OUTS, news)
    assert result.changes is changes
    assert result.replaces == replaces
    assert result.delete_before_replace is bool(replaces)


def test_diff_treats_missing_defaults_as_defaults_and_reports_needs_off() -> None:
    news = {"host": "l0", "name": "a", "memory_mb": 2048}
    d = SWITCHY.diff(OLD_OUTS, news)
    assert d.changes == ["memory_mb"] and d.needs_off == ["memory_mb"] and d.replaces == []


def test_outputs_are_full_and_reject_undeclared_values() -> None:
    outs = SWITCHY.outputs({"host": "l0", "name": "a"}, {"vm_id": "42"})
    assert outs == {**OLD_OUTS, "vm_id": "42"}
    assert SWITCHY.inputs_from(outs) == {k: v for k, v in outs.items() if k != "vm_id"}
    with pytest.raises(ValueError, match="undeclared output"):
        SWITCHY.outputs({"host": "l0", "name": "a"}, {"surprise": 1})


def test_a_property_described_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="described twice"):
        PropertySet("Dup", [Prop("a", int), Prop("a", str)])


def test_configured_secrets_never_travel_in_the_pickled_provider() -> None:
    provider = Switchy()
    provider.configure(ConfigureRequest(Config({"hyperv-lab:hosts": json.dumps(HOSTS)}, "proj")))
    assert provider.lab().host("l0").password is not None
    blob = dill.dumps(provider)
    assert SECRET.encode() not in blob
    again = dill.loads(blob)
    assert again._lab is None


def test_configure_error_is_one_clean_line() -> None:
    provider = Switchy()
    bad = {"hyperv-lab:hosts": json.dumps({"l0": {**HOSTS["l0"], "transport": "carrier-pigeon"}})}
    with pytest.raises(
        ProviderError, match=r"^hyperv-lab:hosts.l0.transport: must be one of 'ntlm' or 'basic'$"
    ):
        provider.configure(ConfigureRequest(Config(bad, "proj")))


def test_read_of_a_gone_object_drops_it_from_state(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYPERV_LAB_HOSTS", json.dumps(HOSTS))
    result = Switchy().read("id", dict(OLD_OUTS))
    assert result.id == "" and result.outs == {}


def test_equivalent_treats_none_fields_as_absent_but_not_other_values() -> None:
    assert equivalent({"a": 1, "b": None, "c": {"d": None}}, {"c": {}, "a": 1})
    assert equivalent([{"x": None}], ({},))
    assert not equivalent({"a": 1}, {"a": 2})
    assert not equivalent({"a": 0}, {})  # 0 and False are values, not absences
    assert not equivalent({"a": False}, {})


def test_a_provider_subclass_elsewhere_keeps_its_base_scripts_and_a_new_one_names_its_own() -> None:
    from components.providers.windows_feature import WindowsFeatureProvider

    class Wrapped(WindowsFeatureProvider):
        pass

    class Fresh(HostBoundProvider):
        pass

    shipped = Path(__file__).resolve().parents[2] / "components" / "providers" / "scripts"
    assert Wrapped().script_path("get") == shipped / "windows_feature" / "get.ps1"
    own = Fresh().script_path("get")
    assert own == Path(__file__).resolve().parent / "scripts" / "test_provider_base" / "get.ps1"
