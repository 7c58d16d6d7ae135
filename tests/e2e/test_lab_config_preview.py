"""A wrong lab value fails `pulumi preview` with one line naming the key and the allowed
values, before any resource is registered or any host contacted."""

from __future__ import annotations

from tests.e2e.conftest import EmulatorFactory, ProjectFactory
from tests.e2e.lab_stack import set_passwords, small_lab, vm_names, write_lab


def test_bad_gateway_fails_preview_with_one_clean_line(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    emulator = hypervsim_server()
    project = pulumi_project(stack="bad")
    lab = small_lab()
    lab["nat_networks"][0]["gateway"] = "10.0.0.1"
    write_lab(project, "bad", emulator, lab)
    set_passwords(project, emulator)
    result = project.pulumi("preview", check=False)
    assert result.returncode != 0
    expected = (
        "hyperv-lab:lab.nat_networks[0].gateway: 10.0.0.1 is outside 192.168.100.0/24 "
        "(allowed: 192.168.100.1 - 192.168.100.254)"
    )
    lines = [line.strip() for line in result.output.splitlines() if expected in line]
    assert lines, result.output
    assert "Traceback" not in result.output
    assert "hyperv-lab:index:NestedHost" not in result.output  # nothing registered
    assert vm_names(emulator) == []
