"""The project's provider launcher lifts the SDK's 4-call limit (FACTS.md section 5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import ProjectFactory

PROGRAM = Path(__file__).parent / "fixtures" / "concurrency_program"


def _max_concurrent_creates(
    pulumi_project: ProjectFactory, tmp_path: Path, workers: str, call_log: Path | None = None
) -> int:
    records = tmp_path / f"workers-{workers}"
    project = pulumi_project(PROGRAM)
    project.env["HYPERV_LAB_PROVIDER_WORKERS"] = workers
    if call_log is not None:
        project.env["HYPERV_LAB_PROVIDER_CALL_LOG"] = str(call_log)
    project.set_config("directory", str(records), secret=False)
    project.pulumi("up", "--yes", "--skip-preview", "--parallel", "16")
    seen = [int(p.read_text()) for p in records.glob("*.seen")]
    assert len(seen) == 8
    return max(seen)


@pytest.mark.e2e
def test_sdk_pool_of_four_caps_concurrent_creates(
    pulumi_project: ProjectFactory, tmp_path: Path
) -> None:
    assert _max_concurrent_creates(pulumi_project, tmp_path, "4") <= 4


@pytest.mark.e2e
def test_project_launcher_runs_more_than_four_creates_at_once_and_can_time_each_call(
    pulumi_project: ProjectFactory, tmp_path: Path
) -> None:
    call_log = tmp_path / "calls.jsonl"
    assert _max_concurrent_creates(pulumi_project, tmp_path, "32", call_log) > 4
    calls = [json.loads(line) for line in call_log.read_text(encoding="utf-8").splitlines()]
    creates = [c for c in calls if c["op"] == "Create"]
    assert len(creates) == 8 and len({c["urn"] for c in creates}) == 8
    assert all(c["urn"].startswith("urn:pulumi:") for c in creates)
    assert all(c["ok"] and c["start"] <= c["end"] for c in calls)
    assert {c["op"] for c in calls} == {"Check", "Create"}
    assert all(set(c) == {"op", "urn", "start", "end", "ok"} for c in calls)  # no values
