"""VMs boot from OS images with the lab's own credentials, with the real CLI against the
emulator: a guest whose password is not the credential's is reported once, clearly, naming
the credential (never the password), with nothing orphaned, and the next `up` with the right
password converges; an image whose Windows cannot run Hyper-V inside a VM is refused as a
nested host's image at preview, before anything exists."""

from __future__ import annotations

import json
from typing import Any

import yaml

from tests.e2e.conftest import EmulatorFactory, ProjectFactory
from tests.e2e.lab_stack import (
    GUEST_CREDENTIAL,
    IMAGES,
    host_inventory,
    outputs,
    set_passwords,
    small_lab,
    stack_file,
    state_inventory,
    vm_names,
    write_lab,
)

# A prepared (not generalized) image: its Administrator password is set, no answer file is read.
PREPARED_PATH = "C:\\Images\\WS2022-Prepared.vhdx"
PREPARED_PASSWORD = "Prepared-e2e-Passw0rd!"  # throwaway, tests only
WRONG_PASSWORD = "Wrong-e2e-Guest-Pw-9!"
OLD_PATH = "C:\\Images\\WS2012R2.vhdx"


def _image_arg(path: str, **description: Any) -> str:
    fields = ",".join(f"{k}={v}" for k, v in description.items())
    return f"{path}={fields}"


def _credential_settings(project: Any, stack: str, **settings: Any) -> None:
    """Extra settings of the guest credential in the stack file (e.g. a short login retry)."""
    path = stack_file(project, stack)
    doc = yaml.safe_load(path.read_text())
    doc["config"]["hyperv-lab:credentials"][GUEST_CREDENTIAL].update(settings)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def _guest_password(project: Any, value: str) -> None:
    project.pulumi(
        "config",
        "set",
        "--secret",
        "--path",
        f"hyperv-lab:passwords.{GUEST_CREDENTIAL}",
        input_text=value,
    )


def test_wrong_guest_password_is_named_then_the_right_one_converges(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    prepared = _image_arg(
        PREPARED_PATH,
        family="windows-server",
        build=20348,
        edition="server",
        generation=2,
        generalized="false",
        admin_password=PREPARED_PASSWORD,
    )
    emulator = hypervsim_server("--image", prepared)
    project = pulumi_project(stack="pw")
    images = {"prepared": {**IMAGES["ws2022"], "path": PREPARED_PATH, "generalized": False}}
    lab = small_lab()
    lab["nested_hosts"][0]["image"] = "prepared"
    lab["emulator_vms"] = []  # the L1's login is what this test is about
    write_lab(project, "pw", emulator, lab, prefix="pw-", images=images)
    _credential_settings(project, "pw", login_retry_s=4)
    set_passwords(project, emulator)
    _guest_password(project, WRONG_PASSWORD)

    failed = project.pulumi("up", "--yes", "--skip-preview", check=False)
    assert failed.returncode != 0, failed.output
    assert (
        f"refuses credential '{GUEST_CREDENTIAL}' (user 'Administrator'): "
        "The credential is invalid."
    ) in failed.output, failed.output
    assert "VM 'pw-l1' on l0" in failed.output
    assert f"pulumi config set --secret --path 'hyperv-lab:passwords.{GUEST_CREDENTIAL}'" in (
        failed.output
    )
    assert "Traceback" not in failed.output
    assert WRONG_PASSWORD not in failed.output and PREPARED_PASSWORD not in failed.output
    # Nothing orphaned: what exists under the stack's names is what the state records.
    state = json.loads(project.pulumi("stack", "export").stdout)
    assert host_inventory(emulator, "pw-", password=PREPARED_PASSWORD) == state_inventory(state)
    assert vm_names(emulator) == ["pw-l1"]

    _guest_password(project, PREPARED_PASSWORD)
    project.pulumi("up", "--yes", "--skip-preview")
    assert outputs(project)["nested_hosts"]["l1"]["state"] == "Running"
    project.pulumi("preview", "--expect-no-changes")
    project.pulumi("destroy", "--yes", "--skip-preview")
    assert vm_names(emulator) == []


def test_image_that_cannot_run_hyper_v_inside_is_refused_at_preview(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    old = _image_arg(
        OLD_PATH,
        family="windows-server",
        build=9600,
        edition="server",
        generation=1,
        generalized="true",
    )
    emulator = hypervsim_server("--image", old)
    project = pulumi_project(stack="old")
    images = {"ws2012r2": {**IMAGES["ws2022"], "path": OLD_PATH, "build": 9600, "generation": 1}}
    lab = small_lab()
    lab["nested_hosts"][0].update(image="ws2012r2", generation=1)
    lab["emulator_vms"] = []
    write_lab(project, "old", emulator, lab, prefix="old-", images=images)
    set_passwords(project, emulator)

    refused = project.pulumi("preview", check=False)
    assert refused.returncode != 0
    expected = (
        "hyperv-lab:lab.nested_hosts[0].image: image 'ws2012r2' is windows-server build 9600, "
        "which cannot run Hyper-V inside a VM (nested virtualization needs build 14393 or later)"
    )
    assert expected in refused.output, refused.output
    assert "Traceback" not in refused.output
    assert "hyperv-lab:index:NestedHost" not in refused.output  # nothing registered
    assert vm_names(emulator) == []
    state = json.loads(project.pulumi("stack", "export").stdout)
    assert not state["deployment"].get("resources")


def test_image_missing_on_its_host_is_refused_at_preview(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    emulator = hypervsim_server()
    project = pulumi_project(stack="gone")
    missing = "C:\\Images\\WS2022-Gone.vhdx"
    images = {"ws2022": {**IMAGES["ws2022"], "path": missing}}
    write_lab(project, "gone", emulator, small_lab(), prefix="gone-", images=images)
    set_passwords(project, emulator)

    refused = project.pulumi("preview", check=False)
    assert refused.returncode != 0
    expected = (
        f"image 'ws2022' not found on l0: no file '{missing}' (allowed: the path of an "
        "existing .vhdx in hyperv-lab:images)"
    )
    assert expected in refused.output, refused.output
    assert "Traceback" not in refused.output
    assert vm_names(emulator) == []
