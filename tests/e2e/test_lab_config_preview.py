"""A wrong lab value fails `pulumi preview` with one line naming the key and the allowed
values, before any resource is registered or any host contacted."""

from __future__ import annotations

from tests.e2e.conftest import EmulatorFactory, ProjectFactory, PulumiResult
from tests.e2e.lab_stack import (
    GUEST_CREDENTIAL,
    GUEST_PASSWORD,
    set_passwords,
    small_lab,
    vm_names,
    write_lab,
)


def _refused_once(result: PulumiResult, expected: str) -> None:
    """Preview failed with `expected` as its own line, nothing registered, no traceback."""
    assert result.returncode != 0, result.output
    lines = [line.strip() for line in result.output.splitlines() if expected in line]
    assert lines, result.output
    assert "Traceback" not in result.output
    assert "hyperv-lab:index:NestedHost" not in result.output  # nothing registered


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
    _refused_once(
        result,
        "hyperv-lab:lab.nat_networks[0].gateway: 10.0.0.1 is outside 192.168.100.0/24 "
        "(allowed: 192.168.100.1 - 192.168.100.254)",
    )
    assert vm_names(emulator) == []


def test_typo_in_a_key_and_plain_text_password_fail_preview(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    emulator = hypervsim_server()
    project = pulumi_project(stack="strict")
    write_lab(project, "strict", emulator, small_lab())
    set_passwords(project, emulator)

    # `prefx` for `prefix`: silently ignored, it would drop the prefix that keeps stacks apart.
    project.pulumi("config", "set", "hyperv-lab:prefx", "dev-a-")
    _refused_once(
        project.pulumi("preview", check=False),
        "hyperv-lab:prefx: unknown key (known: hyperv-lab:credentials, hyperv-lab:hosts, ",
    )
    assert "did you mean hyperv-lab:prefix?" in project.history[-1].output
    project.pulumi("config", "rm", "hyperv-lab:prefx")

    # A plain-text entry beside the secret ones (the whole key counts as secret to the
    # engine): refused with the command that stores it as a secret, the value never shown.
    project.pulumi(
        "config",
        "set",
        "--plaintext",
        "--path",
        f"hyperv-lab:passwords.{GUEST_CREDENTIAL}",
        GUEST_PASSWORD,
    )
    result = project.pulumi("preview", check=False)
    _refused_once(
        result,
        f"hyperv-lab:passwords.{GUEST_CREDENTIAL}: plain-text passwords are refused (allowed: "
        f"a secret: pulumi config set --secret --path 'hyperv-lab:passwords.{GUEST_CREDENTIAL}' "
        "reads it from stdin; or the environment variable HYPERV_LAB_PASSWORD_LAB_ADMIN)",
    )
    assert GUEST_PASSWORD not in result.output

    # The command the message names fixes it.
    set_passwords(project, emulator)
    project.pulumi("preview")
    assert vm_names(emulator) == []
