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
from tests.e2e.conftest import ProjectFactory
from tests.e2e.lab_stack import GUEST_CREDENTIAL, GUEST_PASSWORD, IMAGE_PATH, stack_file

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
    either = [x for x in diagnostics if "did not answer either" in x]
    assert len(either) == 1, output
    assert f"host {other} (http://127.0.0.1:{listeners[other].port}/wsman: ReadTimeout" in either[0]
    # Both hosts were tried at once, each for two timeouts (not `retries + 1`), and no check
    # contacted a host again after that.
    for listener in listeners.values():
        assert listener.accepted == SILENT_ATTEMPTS
