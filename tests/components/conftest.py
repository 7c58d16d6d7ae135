"""Fixtures for every component test.

private_journal  (autouse) each test notes its pending creates in its own temp directory,
                 never in the user's state directory.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from components.config import JOURNAL_DIR_ENV


@pytest.fixture(autouse=True)
def private_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "pending-creates"
    monkeypatch.setenv(JOURNAL_DIR_ENV, str(directory))
    return directory
