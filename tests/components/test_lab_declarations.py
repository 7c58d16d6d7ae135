"""A `VmArgs` declaration with `lab=` is a lab setting too: YAML key, Python arg, same rule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pytest
from pydantic import ValidationError
from pydantic.fields import FieldInfo

from components.emulator_vm import EmulatorVmArgs
from components.lab_config import EmulatorVmSpec, NestedHostSpec
from components.lab_messages import one_line
from components.lab_models import EmulatorVmSettings, NestedHostSettings, lab_fields, lab_vm
from components.nested_host import NestedHostArgs
from components.providers.properties import PropertySet, declared
from components.providers.vm import (
    CREATE,
    EMULATOR_VM,
    LAB_VMS,
    NESTED_HOST,
    UPDATE,
    VM_PROPERTIES,
    VmArgs,
)

MODELS = {
    NESTED_HOST: [NestedHostSettings, NestedHostSpec, NestedHostArgs],
    EMULATOR_VM: [EmulatorVmSettings, EmulatorVmSpec, EmulatorVmArgs],
}
WRITTEN_OUT = {"memory_startup_mb"}
"""Lab fields whose rule is the lab's own (a nested host needs 512 MB or more)."""


@pytest.mark.parametrize("component", LAB_VMS)
def test_every_declared_lab_setting_is_in_the_component_models_as_declared(
    component: str,
) -> None:
    declared_fields = lab_fields(VM_PROPERTIES, component)
    assert declared_fields, component
    for model in MODELS[component]:
        for name, (type_, default) in declared_fields.items():
            field = model.model_fields[name]
            expected = FieldInfo.from_annotated_attribute(type_, default)
            assert field.default == default, (model, name)
            assert field.annotation == expected.annotation, (model, name)
            assert field.metadata == expected.metadata, (model, name)


def test_a_setting_not_declared_for_a_component_is_not_its_key() -> None:
    assert "dynamic_memory" not in NestedHostSettings.model_fields  # static memory for Hyper-V
    assert "version" not in EmulatorVmSettings.model_fields
    assert "image_path" not in NestedHostSpec.model_fields  # the provider's, not a lab's


def test_lab_fields_written_out_are_only_the_lab_rules() -> None:
    for component in LAB_VMS:
        assert not WRITTEN_OUT & set(lab_fields(VM_PROPERTIES, component))


@dataclass
class _ScratchVmArgs(VmArgs):
    """VmArgs with one property more, added the way docs/development.md shows."""

    checkpoint_type: Any = declared(
        Literal["Standard", "Production", "ProductionOnly", "Disabled"],
        "Production",
        scripts=[CREATE, UPDATE],
        described=True,
        lab=LAB_VMS,
    )


SCRATCH = PropertySet.from_args("Vm", _ScratchVmArgs)


@lab_vm(NESTED_HOST, SCRATCH)
class _ScratchNestedHostSpec(NestedHostSpec):
    """A nested host entry of a lab with the scratch property."""


def test_one_declaration_makes_a_yaml_key_a_provider_check_and_a_script_input() -> None:
    entry = {"name": "l1", "host": "l0", "image": "ws", "credential": "admin"}
    spec = _ScratchNestedHostSpec.model_validate({**entry, "checkpoint_type": "Standard"})
    assert spec.checkpoint_type == "Standard"
    assert _ScratchNestedHostSpec.model_validate(entry).checkpoint_type == "Production"
    with pytest.raises(ValidationError) as caught:
        _ScratchNestedHostSpec.model_validate({**entry, "checkpoint_type": "Snapshot"})
    message = one_line(caught.value, "hyperv-lab:lab.nested_hosts[0]", _ScratchNestedHostSpec)
    assert message.startswith("hyperv-lab:lab.nested_hosts[0].checkpoint_type: 'Snapshot'"), message
    assert "'Production'" in message

    _, failures = SCRATCH.check({"host": "l0", "name": "v", "checkpoint_type": "Snapshot"})
    assert [f.prop for f in failures] == ["checkpoint_type"]
    checked, failures = SCRATCH.check({"host": "l0", "name": "v"})
    assert not failures and checked["checkpoint_type"] == "Production"

    inputs = spec.vm_inputs(_ScratchNestedHostSpec, SCRATCH)
    assert SCRATCH.script_inputs(UPDATE, inputs)["checkpoint_type"] == "Standard"
    assert SCRATCH.script_inputs(CREATE, inputs)["checkpoint_type"] == "Standard"
    assert SCRATCH.described({"checkpoint_type": "Standard"})["checkpoint_type"] == "Standard"
    assert "checkpoint_type" not in NestedHostSpec.model_fields  # the real model is untouched
