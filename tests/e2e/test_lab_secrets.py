"""Passwords come from `pulumi config set --secret` or the environment and never show in
plain text: not in `pulumi stack export`, not in the backend's files, not in any CLI output,
failures included."""

from __future__ import annotations

from tests.e2e.conftest import EmulatorFactory, ProjectFactory
from tests.e2e.lab_stack import GUEST_PASSWORD, outputs, set_passwords, small_lab, write_lab

WRONG_PASSWORD = "Wrong-e2e-Secret-7!"


def test_passwords_never_in_state_export_or_output(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    emulator = hypervsim_server()
    project = pulumi_project(stack="sec")
    write_lab(project, "sec", emulator, small_lab(), prefix="sec-")
    set_passwords(project, emulator)
    project.pulumi("preview")
    project.pulumi("up", "--yes", "--skip-preview")
    project.pulumi("preview", "--diff", "--expect-no-changes")
    before = outputs(project)

    # A failure: the host password is wrong (from the environment this time) while a change
    # has to reach the host. (`refresh` would still use the provider recorded in state.)
    project.pulumi("config", "rm", "--path", "hyperv-lab:passwords.l0")
    project.env["HYPERV_LAB_PASSWORD_L0"] = WRONG_PASSWORD
    lab = small_lab()
    lab["emulator_vms"][0]["ip_address"] = "192.168.100.30"
    write_lab(project, "sec", emulator, lab, prefix="sec-")
    failed = project.pulumi("up", "--yes", "--skip-preview", check=False)
    assert failed.returncode != 0, failed.output
    # The stack keeps its outputs, unchanged (and the CLI shows them so: the program registers
    # them as they resolve, components/sdk_stack_outputs.py; tests/e2e/test_failed_up_outputs.py).
    assert outputs(project) == before

    # Back to the right password from the environment: the change and the destroy work.
    project.env["HYPERV_LAB_PASSWORD_L0"] = emulator.password
    project.pulumi("up", "--yes", "--skip-preview")
    project.pulumi("destroy", "--yes", "--skip-preview")

    exported = project.pulumi("stack", "export").stdout
    stack_file = (project.directory / "stacks" / "Pulumi.sec.yaml").read_text()
    everything = "\n".join(
        [exported, project.state_text(), stack_file, *(r.output for r in project.history)]
    )
    for secret in (emulator.password, GUEST_PASSWORD, WRONG_PASSWORD):
        assert secret not in everything
