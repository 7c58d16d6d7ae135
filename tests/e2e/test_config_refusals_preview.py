"""Issue 16, item 7 at the CLI: a value a provider would refuse is reported under its stack
config path (not as a resource property), and a missing CA file fails `preview` with one line
naming the host key; neither registers a resource nor reaches a host."""

from __future__ import annotations

import yaml

from tests.e2e.conftest import EmulatorFactory, ProjectFactory
from tests.e2e.lab_stack import set_passwords, small_lab, stack_file, vm_names, write_lab


def _one_clean_line(output: str, expected: str) -> None:
    lines = [line.strip() for line in output.splitlines() if expected in line]
    assert lines, output
    assert "Traceback" not in output
    assert "pulumi-python:dynamic" not in output  # no resource registered
    assert "property memory_startup_mb" not in output


def test_a_value_a_provider_refuses_is_named_by_its_config_path(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    emulator = hypervsim_server()
    project = pulumi_project(stack="odd")
    lab = small_lab()
    lab["emulator_vms"][0]["memory_startup_mb"] = 2049  # Hyper-V wants a multiple of 2 MB
    write_lab(project, "odd", emulator, lab)
    set_passwords(project, emulator)
    result = project.pulumi("preview", check=False)
    assert result.returncode != 0, result.output
    _one_clean_line(
        result.output,
        "hyperv-lab:lab.emulator_vms[0].memory_startup_mb: 2049 is not allowed "
        "(allowed: a multiple of 2)",
    )
    assert vm_names(emulator) == []


def test_a_missing_ca_file_fails_preview_naming_the_host(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    emulator = hypervsim_server()
    project = pulumi_project(stack="noca")
    write_lab(project, "noca", emulator, small_lab())
    set_passwords(project, emulator)
    missing = project.directory / "no-such-ca.pem"
    path = stack_file(project, "noca")
    doc = yaml.safe_load(path.read_text())
    doc["config"]["hyperv-lab:hosts"]["l0"].update(
        {"endpoint": emulator.url.replace("http://", "https://"), "ca_bundle": str(missing)}
    )
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    result = project.pulumi("preview", check=False)
    assert result.returncode != 0, result.output
    _one_clean_line(result.output, f"hyperv-lab:hosts.l0: 'ca_bundle' {missing} is not a file")
    assert vm_names(emulator) == []
