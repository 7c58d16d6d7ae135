"""Hosts that accept TCP connections but never answer (issue 16, item 2): `preview` fails
(exit code non-zero) instead of passing with warnings, with one line per host that did not answer;
only the first operation on each host waits (two timeouts, whatever `retries` says), every
later check on that host fails at once. Nothing here measures time: the listeners count the
connections the provider opened."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from components.remote.session import SILENT_ATTEMPTS
from tests.components.test_remote_silent_host import SilentListener
from tests.e2e.conftest import EmulatorFactory, ProjectFactory
from tests.e2e.lab_stack import (
    GUEST_CREDENTIAL,
    GUEST_PASSWORD,
    IMAGE_PATH,
    set_passwords,
    small_lab,
    stack_file,
    write_lab,
)

HOST_PASSWORD = "Silent-e2e-Passw0rd!"  # throwaway, tests only


@pytest.fixture
def listeners() -> Iterator[dict[str, SilentListener]]:
    made = {"l0": SilentListener(), "l0b": SilentListener()}
    yield made
    for listener in made.values():
        listener.close()


def _host(listener: SilentListener) -> dict[str, Any]:
    return {
        "endpoint": f"http://127.0.0.1:{listener.port}/wsman",
        "user": "lab-admin",
        "connect_timeout_s": 2,
        "read_timeout_s": 3,
        "operation_timeout_s": 2,
        "retries": 3,
        "backoff_s": 0.05,
    }


def _image(host: str) -> dict[str, Any]:
    return {
        "host": host,
        "path": IMAGE_PATH,
        "os": "windows-server",
        "build": 20348,
        "generation": 2,
    }


def _nested(name: str, host: str) -> dict[str, Any]:
    return {
        "name": name,
        "host": host,
        "credential": GUEST_CREDENTIAL,
        "image": f"img-{host}",
        "switch": "External",
        "memory_startup_mb": 4096,
    }


def test_preview_fails_fast_and_non_zero_when_hosts_never_answer(
    pulumi_project: ProjectFactory, listeners: dict[str, SilentListener]
) -> None:
    project = pulumi_project(stack="silent")
    for name in ("l0", "l0b", GUEST_CREDENTIAL):
        value = GUEST_PASSWORD if name == GUEST_CREDENTIAL else HOST_PASSWORD
        project.pulumi(
            "config", "set", "--secret", "--path", f"hyperv-lab:passwords.{name}", input_text=value
        )
    path = stack_file(project, "silent")
    doc = yaml.safe_load(path.read_text())
    doc["config"].update(
        {
            "hyperv-lab:hosts": {name: _host(listener) for name, listener in listeners.items()},
            "hyperv-lab:credentials": {GUEST_CREDENTIAL: {"user": "Administrator"}},
            "hyperv-lab:images": {f"img-{name}": _image(name) for name in listeners},
            "hyperv-lab:lab": {
                "nested_hosts": [
                    _nested("a1", "l0"),
                    _nested("a2", "l0"),
                    _nested("a3", "l0"),
                    _nested("b1", "l0b"),
                    _nested("b2", "l0b"),
                ]
            },
        }
    )
    path.write_text(yaml.safe_dump(doc, sort_keys=False))

    result = project.pulumi("preview", check=False)
    output = result.output
    assert result.returncode != 0, output
    assert "Traceback" not in output
    assert HOST_PASSWORD not in output and GUEST_PASSWORD not in output

    # The engine stops at the first failed check: that one line names its VM and host, and
    # one more line names the other host that did not answer either.
    diagnostics = output.split("Diagnostics:", 1)[1].splitlines()
    failed = [x for x in diagnostics if "could not read the host to check VM '" in x]
    assert len(failed) == 1, output
    first = "l0" if "[l0] check Vm:" in failed[0] else "l0b"
    other = "l0b" if first == "l0" else "l0"
    assert f"http://127.0.0.1:{listeners[first].port}/wsman" in failed[0]
    assert "check that the host is up" in failed[0]
    assert f"did not answer after {SILENT_ATTEMPTS} attempt(s) (ReadTimeout)" in failed[0]
    either = [x for x in diagnostics if "either: check that it is up" in x]
    assert len(either) == 1, output
    port = listeners[other].port
    assert (
        f"host {other} (http://127.0.0.1:{port}/wsman) did not answer after "
        f"{SILENT_ATTEMPTS} attempt(s) (ReadTimeout) either" in either[0]
    )
    # Both hosts were tried at once, each for two timeouts (not `retries + 1`), and no check
    # contacted a host again after that.
    for listener in listeners.values():
        assert listener.accepted == SILENT_ATTEMPTS


def test_refresh_of_a_lab_whose_host_went_silent_fails_fast_for_every_resource(
    pulumi_project: ProjectFactory, hypervsim_server: EmulatorFactory
) -> None:
    """Reads run concurrently in a refresh: the first contact with the host goes alone, the
    others wait for its verdict, so the silent host costs one round of timeouts in all."""
    emulator = hypervsim_server()
    project = pulumi_project(stack="gone")
    set_passwords(project, emulator)
    write_lab(project, "gone", emulator, small_lab(), prefix="gone-")
    path = stack_file(project, "gone")
    doc = yaml.safe_load(path.read_text())
    doc["config"]["hyperv-lab:hosts"]["l0"].update(
        {"connect_timeout_s": 2, "read_timeout_s": 3, "operation_timeout_s": 2}
    )
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    project.pulumi("up", "--yes", "--skip-preview")

    port = int(emulator.url.rsplit(":", 1)[1].split("/", 1)[0])
    emulator.kill()
    silent = SilentListener(port)  # the host still takes connections, and says nothing
    try:
        result = project.pulumi("refresh", "--yes", "--skip-preview", check=False)
        output = result.output
        assert result.returncode != 0, output
        assert "Traceback" not in output
        diagnostics = output.split("Diagnostics:", 1)[1].splitlines()
        errors = [x.strip() for x in diagnostics if x.strip().startswith("error: [l0] read ")]
        assert errors, output
        for line in errors:
            assert (
                f"{emulator.url} did not answer after {SILENT_ATTEMPTS} attempt(s) (ReadTimeout)"
                in line
            ), line
        assert silent.accepted == SILENT_ATTEMPTS
    finally:
        silent.close()
