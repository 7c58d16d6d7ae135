"""`scripts/new-dev-stack`, run as a developer would: the stack file it writes is the example's
lab with the developer's prefix and a fresh owner id, a valid lab for the loader; an existing
file is never overwritten; a name that cannot make a prefix is refused."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.lab_config import parse_lab

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "new-dev-stack"
EXAMPLE = REPO_ROOT / "stacks" / "Pulumi.dev-example.yaml"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, timeout=60, check=False
    )


def config_of(path: Path) -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load(path.read_text())["config"]
    return config


def test_writes_the_example_with_the_developers_prefix_and_a_new_owner_id(tmp_path: Path) -> None:
    made = run("alice", "--stacks-dir", str(tmp_path))
    assert made.returncode == 0, made.stderr
    written = tmp_path / "Pulumi.dev-alice.yaml"
    config = config_of(written)
    owner_id = config.pop("hyperv-lab:owner_id")
    assert str(uuid.UUID(owner_id)) == owner_id
    assert config.pop("hyperv-lab:prefix") == "dev-alice-"
    example = config_of(EXAMPLE)
    example.pop("hyperv-lab:prefix")
    assert config == example
    parse_lab(
        config["hyperv-lab:lab"],
        hosts=config["hyperv-lab:hosts"],
        credentials=config["hyperv-lab:credentials"],
        images=config["hyperv-lab:images"],
        prefix="dev-alice-",
    )
    # The next steps: the stack, then every password the file names, as secrets.
    assert "pulumi stack init dev-alice" in made.stdout
    for name in ("l0", "dev-admin"):
        assert f"pulumi config set --secret --path 'hyperv-lab:passwords.{name}'" in made.stdout


def test_each_stack_gets_its_own_owner_id(tmp_path: Path) -> None:
    for name in ("alice", "bob"):
        assert run(name, "--stacks-dir", str(tmp_path)).returncode == 0
    ids = {
        config_of(tmp_path / f"Pulumi.dev-{n}.yaml")["hyperv-lab:owner_id"]
        for n in ("alice", "bob")
    }
    assert len(ids) == 2


def test_an_existing_stack_file_is_never_overwritten(tmp_path: Path) -> None:
    assert run("alice", "--stacks-dir", str(tmp_path)).returncode == 0
    written = tmp_path / "Pulumi.dev-alice.yaml"
    before = written.read_text()
    again = run("alice", "--stacks-dir", str(tmp_path))
    assert again.returncode != 0
    assert "already exists; it is not overwritten" in again.stderr
    assert written.read_text() == before


@pytest.mark.parametrize("name", ["", "a b", "o'brien", "x" * 28, "a/b"])
def test_a_name_that_cannot_make_a_prefix_is_refused(tmp_path: Path, name: str) -> None:
    refused = run(name, "--stacks-dir", str(tmp_path))
    assert refused.returncode == 1
    assert "cannot name a developer stack" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_longest_allowed_name_makes_a_32_character_prefix(tmp_path: Path) -> None:
    assert run("x" * 27, "--stacks-dir", str(tmp_path)).returncode == 0
    assert config_of(tmp_path / f"Pulumi.dev-{'x' * 27}.yaml")["hyperv-lab:prefix"] == (
        f"dev-{'x' * 27}-"
    )
