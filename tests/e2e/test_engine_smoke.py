"""The engine works end to end: real CLI, our language host, a dynamic provider, file backend."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.conftest import ProjectFactory


def test_preview_up_preview_destroy_with_dynamic_provider(
    pulumi_project: ProjectFactory, smoke_program: Path, tmp_path: Path
) -> None:
    records = tmp_path / "records"
    project = pulumi_project(smoke_program)
    project.set_config("recordDir", str(records))
    project.set_config("text", "hello")

    preview = project.pulumi("preview")
    assert "+ 3 to create" in preview.stdout  # the stack and two records
    assert not records.exists(), "preview must not create anything"

    up = project.pulumi("up", "--yes", "--skip-preview")
    assert "3 created" in up.stdout
    greeting = records / "greeting.json"
    assert json.loads(greeting.read_text()) == {"text": "hello"}
    assert json.loads((records / "follower.json").read_text()) == str(greeting)
    outputs = json.loads(project.pulumi("stack", "output", "--json").stdout)
    assert outputs == {"greeting_path": str(greeting)}

    unchanged = project.pulumi("preview", "--expect-no-changes")
    assert "3 unchanged" in unchanged.stdout

    project.set_config("text", "changed")
    update = project.pulumi("up", "--yes", "--skip-preview")
    assert "1 updated" in update.stdout
    assert json.loads(greeting.read_text()) == {"text": "changed"}

    state = json.loads(project.pulumi("stack", "export").stdout)
    types = sorted(r["type"] for r in state["deployment"]["resources"])
    assert types.count("pulumi-python:dynamic:Resource") == 2

    destroy = project.pulumi("destroy", "--yes", "--skip-preview")
    assert "3 deleted" in destroy.stdout
    assert sorted(records.iterdir()) == []
