"""A lab written in Python (examples/python-lab) is checked as a stack-YAML lab is: it previews
under the real CLI, and a wrong value or a name the stack config lacks is refused with the same
one line, before anything is registered."""

from __future__ import annotations

import yaml  # type: ignore[import-untyped]

from tests.e2e.conftest import REPO_ROOT, EmulatorFactory, ProjectFactory, PulumiResult
from tests.e2e.lab_stack import set_passwords, small_lab, stack_file, vm_names, write_lab

EXAMPLE = REPO_ROOT / "examples" / "python-lab"
RULE = "memory_startup_mb: 4095 is not allowed (allowed: a multiple of 2)"


def _refused_once(result: PulumiResult, expected: str) -> None:
    assert result.returncode != 0, result.output
    assert [line for line in result.output.splitlines() if expected in line], result.output
    assert "Traceback" not in result.output
    assert "hyperv-lab:index:NestedHost" not in result.output  # nothing registered


def test_python_lab_previews_and_refuses_what_the_yaml_refuses(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    emulator = hypervsim_server()

    python = pulumi_project(EXAMPLE, stack="py", name="python-lab")
    write_lab(python, "py", emulator, {})
    path = stack_file(python, "py")
    doc = yaml.safe_load(path.read_text())
    del doc["config"]["hyperv-lab:lab"]  # the lab is the program
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    set_passwords(python, emulator)
    preview = python.pulumi("preview", check=False)
    assert preview.returncode == 0, preview.output
    assert "hyperv-lab:index:NestedHost" in preview.output and "l1-vm" in preview.output

    main = python.directory / "__main__.py"
    main.write_text(main.read_text().replace("memory_startup_mb=4096", "memory_startup_mb=4095"))
    _refused_once(python.pulumi("preview", check=False), f"NestedHostArgs.{RULE}")

    # Names the stack config lacks are refused at declaration, as parse_lab refuses them.
    code = main.read_text().replace("memory_startup_mb=4095", "memory_startup_mb=4096")
    main.write_text(code.replace('credential="lab-admin"', 'credential="nobody"', 1))
    _refused_once(
        python.pulumi("preview", check=False),
        "NestedHostArgs.credential: unknown credential 'nobody' (allowed: ",
    )

    stack_yaml = pulumi_project(stack="yaml", name="yaml-lab")
    lab = small_lab()
    lab["nested_hosts"][0]["memory_startup_mb"] = 4095
    write_lab(stack_yaml, "yaml", emulator, lab)
    set_passwords(stack_yaml, emulator)
    _refused_once(
        stack_yaml.pulumi("preview", check=False), f"hyperv-lab:lab.nested_hosts[0].{RULE}"
    )
    assert vm_names(emulator) == []
