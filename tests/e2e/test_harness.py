"""The e2e harness itself: the emulator fixture starts, restarts on its port, and persists."""

from __future__ import annotations

import socket

from tests.e2e.conftest import EmulatorFactory, ProjectFactory


def test_emulator_starts_on_a_free_port_and_restarts_on_the_same_one(
    hypervsim_server: EmulatorFactory,
) -> None:
    emulator = hypervsim_server()
    assert emulator.url == f"http://127.0.0.1:{emulator.port}/wsman"
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=10):
        pass
    first_port = emulator.port
    emulator.stop()
    assert emulator.state_path.is_file()
    emulator.start()
    assert emulator.port == first_port
    emulator.stop()
    assert emulator.show().strip()


def test_project_program_copy_has_its_own_backend_and_stack(
    pulumi_project: ProjectFactory,
) -> None:
    project = pulumi_project(stack="harness")
    copied = sorted(p.name for p in project.directory.iterdir())
    assert copied == ["Pulumi.yaml", "__main__.py", "stacks"]  # stacks/: made by `stack init`
    project.pulumi("config", "set", "hyperv-lab:prefix", "t1")
    assert (project.directory / "stacks" / "Pulumi.harness.yaml").is_file()
    stacks = project.pulumi("stack", "ls", "--json")
    assert '"name": "harness"' in stacks.stdout
    assert (project.backend_dir / ".pulumi" / "stacks").is_dir()
