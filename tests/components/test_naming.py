"""The prefix that names host objects comes from the same sources the lab loaders validate."""

from __future__ import annotations

from collections.abc import Iterator

import pulumi
import pytest

from components.naming import PREFIX_ENV, lab_prefix, prefixed


@pytest.fixture(autouse=True)
def _no_config() -> Iterator[None]:
    pulumi.runtime.set_all_config({})
    yield
    pulumi.runtime.set_all_config({})


def test_prefix_from_environment_names_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PREFIX_ENV, "dev-env-")
    assert lab_prefix() == "dev-env-"
    assert prefixed("hv-l1") == "dev-env-hv-l1"


def test_stack_config_prefix_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PREFIX_ENV, "dev-env-")
    pulumi.runtime.set_all_config({"hyperv-lab:prefix": "dev-cfg-"})
    assert prefixed("hv-l1") == "dev-cfg-hv-l1"


def test_no_prefix_anywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PREFIX_ENV, raising=False)
    assert prefixed("hv-l1") == "hv-l1"
