"""The project's provider launcher lifts the SDK's 4-call limit (FACTS.md section 5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import ProjectFactory

PROGRAM = Path(__file__).parent / "fixtures" / "concurrency_program"


def _max_concurrent_creates(pulumi_project: ProjectFactory, tmp_path: Path, workers: str) -> int:
    records = tmp_path / f"workers-{workers}"
    project = pulumi_project(PROGRAM)
    project.env["HYPERV_LAB_PROVIDER_WORKERS"] = workers
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
def test_project_launcher_runs_more_than_four_creates_at_once(
    pulumi_project: ProjectFactory, tmp_path: Path
) -> None:
    assert _max_concurrent_creates(pulumi_project, tmp_path, "32") > 4
