"""The prefix that names host objects comes from the same sources the lab loaders validate; the
owner tag carries the stack's owner id when it has one."""

from __future__ import annotations

from collections.abc import Iterator

import pulumi
import pytest

from components.naming import PREFIX_ENV, OwnerIdError, lab_prefix, prefixed, stack_owner

OWNER_ID = "3f2b8c1e-0d4a-4c7e-9b1f-2a6d5e8c9f01"


@pytest.fixture(autouse=True)
def _no_config() -> Iterator[None]:
    pulumi.runtime.set_all_config({})
    project, stack = pulumi.get_project(), pulumi.get_stack()
    pulumi.runtime.settings._set_project("hyperv-lab")
    pulumi.runtime.settings._set_stack("dev-a")
    yield
    pulumi.runtime.settings._set_project(project)
    pulumi.runtime.settings._set_stack(stack)
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


def test_owner_without_owner_id_is_project_and_stack() -> None:
    assert stack_owner() == "hyperv-lab/dev-a"


def test_owner_id_makes_the_owner_tag_unique_across_backends() -> None:
    pulumi.runtime.set_all_config({"hyperv-lab:owner_id": OWNER_ID})
    assert stack_owner() == f"hyperv-lab/dev-a/{OWNER_ID}"


def test_owner_id_written_another_way_is_the_same_owner() -> None:
    pulumi.runtime.set_all_config({"hyperv-lab:owner_id": "{" + OWNER_ID.upper() + "}"})
    assert stack_owner() == f"hyperv-lab/dev-a/{OWNER_ID}"


@pytest.mark.parametrize("bad", ["dev-a", "3f2b8c1e-0d4a-4c7e-9b1f", "a/b", OWNER_ID + "\nx"])
def test_owner_id_that_is_not_a_uuid_is_a_one_line_config_error(bad: str) -> None:
    pulumi.runtime.set_all_config({"hyperv-lab:owner_id": bad})
    with pytest.raises(OwnerIdError) as raised:
        stack_owner()
    message = str(raised.value)
    assert message.startswith("hyperv-lab:owner_id: ")
    assert "is not a UUID" in message
    assert "\n" not in message
