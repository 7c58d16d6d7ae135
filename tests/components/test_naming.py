"""The prefix that names host objects comes from the same sources the lab loaders validate; the
owner tag carries the stack's owner id when it has one."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from components.naming import (
    PREFIX_ENV,
    STATE_OWNER_ID_RESOURCE,
    OwnerIdError,
    lab_prefix,
    prefixed,
    stack_owner,
)
from components.providers.stack_owner_id import StackOwnerIdProvider

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


class _Mocks(pulumi.runtime.Mocks):
    """The engine's side of a registration: what a create in a real run returns."""

    def __init__(self) -> None:
        self.registered: list[tuple[str, str]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.registered.append((args.typ, args.name))
        return STATE_ID, {**args.inputs, "owner_id": STATE_ID}

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[Any]]:
        return {}, []


STATE_ID = "0b5d7f3e-2c1a-4e8b-9d6f-7a3c5e1b9f20"


def test_owner_without_owner_id_is_an_id_kept_in_the_stacks_state() -> None:
    mocks = _Mocks()
    pulumi.runtime.set_mocks(mocks, project="hyperv-lab", stack="dev-b", preview=False)

    @pulumi.runtime.test
    def check() -> Any:
        first, second = stack_owner(), stack_owner()
        assert isinstance(first, pulumi.Output) and isinstance(second, pulumi.Output)
        return pulumi.Output.all(first, second).apply(check_values)

    def check_values(values: list[str]) -> None:
        assert values == [f"hyperv-lab/dev-b/{STATE_ID}"] * 2
        # One id resource per stack, however many components ask for the owner.
        assert mocks.registered == [
            ("pulumi-python:dynamic/lab:StackOwnerId", STATE_OWNER_ID_RESOURCE)
        ]

    check()


def test_the_state_id_is_made_once_and_never_changes() -> None:
    provider = StackOwnerIdProvider()
    made = provider.create({})
    assert str(uuid.UUID(made.id)) == made.id and made.outs == {"owner_id": made.id}
    assert provider.create({}).id != made.id  # another stack, another id
    assert provider.read(made.id, made.outs).outs == {"owner_id": made.id}
    assert provider.diff(made.id, made.outs, {}).changes is False


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
