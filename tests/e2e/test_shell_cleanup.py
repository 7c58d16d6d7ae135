"""Provider processes delete the shells they opened when a pulumi command ends: each shell
counts against the host's MaxShellsPerUser until its idle timeout otherwise."""

from __future__ import annotations

import json
import urllib.request

from tests.e2e.conftest import EmulatorFactory, ProjectFactory
from tests.e2e.lab_stack import set_passwords, small_lab, write_lab


def _shells_open(url: str) -> int:
    base = url.rsplit("/wsman", 1)[0]
    with urllib.request.urlopen(f"{base}/hypervsim/counters", timeout=10) as reply:
        return int(json.load(reply)["shells_open"])


def test_no_shell_is_left_open_after_up_and_destroy(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    emulator = hypervsim_server()
    project = pulumi_project(stack="shells")
    set_passwords(project, emulator)
    write_lab(project, "shells", emulator, small_lab())
    project.pulumi("up", "--yes", "--skip-preview")
    assert _shells_open(emulator.url) == 0
    project.pulumi("destroy", "--yes", "--skip-preview")
    assert _shells_open(emulator.url) == 0
