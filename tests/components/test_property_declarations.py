"""A provider's Args dataclass is the declaration of its properties: what derives from it."""

from __future__ import annotations

from dataclasses import dataclass, fields

import pytest

from components.providers.properties import PropertySet, declared
from components.providers.vm import CREATE, UPDATE, VM_PROPERTIES, VmArgs


def test_every_vm_args_field_is_a_declared_input_in_order() -> None:
    assert VM_PROPERTIES.input_names() == [f.name for f in fields(VmArgs)]
    defaults = {f.name: f.default for f in fields(VmArgs)}
    assert VM_PROPERTIES.props["memory_startup_mb"].default == defaults["memory_startup_mb"]


def test_script_inputs_are_what_each_operation_takes() -> None:
    inputs = {"name": "a", "memory_startup_mb": 1024, "stop_policy": "stop-and-restore"}
    create = VM_PROPERTIES.script_inputs(CREATE, inputs)
    update = VM_PROPERTIES.script_inputs(UPDATE, inputs)
    assert create["memory_startup_mb"] == 1024 and create["disk"] == "differencing"
    assert "stop_policy" not in create and "credential" not in create  # a name, not a secret
    assert update == {
        "memory_startup_mb": 1024,
        "dynamic_memory": False,
        "stop_policy": "stop-and-restore",
    }


def test_described_splits_inputs_and_outputs() -> None:
    got = {"vm_id": "1", "state": "Off", "vhd_path": "p", "actual_version": "9.0",
           "generation": 2, "memory_startup_mb": 512, "dynamic_memory": True, "notes_text": ""}  # fmt: skip
    assert VM_PROPERTIES.described(got, computed=False) == {
        "generation": 2,
        "memory_startup_mb": 512,
        "dynamic_memory": True,
    }
    assert set(VM_PROPERTIES.described(got, computed=True)) == {
        "vm_id",
        "state",
        "vhd_path",
        "actual_version",
    }


def test_the_declared_check_is_the_one_the_provider_applies() -> None:
    _, failures = VM_PROPERTIES.check({"host": "l0", "name": "a", "memory_startup_mb": 4095})
    assert [(f.prop, f.reason) for f in failures] == [
        ("memory_startup_mb", "Input should be a multiple of 2")
    ]


def test_an_undeclared_args_field_is_refused() -> None:
    @dataclass
    class Args:
        size: int = declared(int, 1)
        other: int = 2

    with pytest.raises(ValueError, match="field 'other' of Args is not declared"):
        PropertySet.from_args("X", Args)
