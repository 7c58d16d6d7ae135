"""`PendingCreates`: the local note of creates whose outcome is unknown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.providers.base import ProviderError
from components.providers.pending_creates import PendingCreates, create_key, default_journal_dir


def test_key_names_kind_host_and_declared_inputs_only() -> None:
    base = create_key("NetNat", "ntlm:a@http://h/wsman", {"name": "n", "prefix": "10.0.0.0/24"})
    assert base == create_key(
        "NetNat", "ntlm:a@http://h/wsman", {"prefix": "10.0.0.0/24", "name": "n"}
    )
    assert base != create_key(
        "VmSwitch", "ntlm:a@http://h/wsman", {"name": "n", "prefix": "10.0.0.0/24"}
    )
    assert base != create_key(
        "NetNat", "ntlm:a@http://g/wsman", {"name": "n", "prefix": "10.0.0.0/24"}
    )
    assert base != create_key(
        "NetNat", "ntlm:a@http://h/wsman", {"name": "n", "prefix": "10.0.1.0/24"}
    )


def test_add_contains_discard(tmp_path: Path) -> None:
    pending = PendingCreates(tmp_path / "j")
    key = create_key("Vm", "h", {"name": "x"})
    assert not pending.contains(key)
    pending.discard(key)  # nothing to forget: fine
    pending.add(key, {"kind": "Vm", "host": "l0"})
    assert pending.contains(key)
    record = json.loads((tmp_path / "j" / f"{key}.json").read_text(encoding="utf-8"))
    assert record["kind"] == "Vm" and record["host"] == "l0" and record["since"]
    pending.discard(key)
    assert not pending.contains(key)
    assert list((tmp_path / "j").iterdir()) == []  # no temp files left behind


def test_an_unwritable_journal_only_loses_the_note(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    pending = PendingCreates(blocker / "j")
    pending.add("k", {"kind": "Vm"})
    assert not pending.contains("k")
    assert "could not note a pending create" in caplog.text


def test_default_directory_follows_xdg_state_home() -> None:
    assert default_journal_dir({"XDG_STATE_HOME": "/s"}) == Path("/s/hyperv-lab/pending-creates")


def test_provider_error_is_always_one_line() -> None:
    error = ProviderError("l0: create Vm failed: first\r\n   second  \n\nthird")
    assert str(error) == "l0: create Vm failed: first second third"


def test_a_made_create_is_kept_apart_until_discarded(tmp_path: Path) -> None:
    pending = PendingCreates(tmp_path / "j")
    key = create_key("VmSwitch", "h", {"name": "x"})
    pending.add(key, {"kind": "VmSwitch", "host": "l0"})
    pending.made(key, {"kind": "VmSwitch", "host": "l0"})
    assert pending.contains(key)  # the next create may adopt it
    assert list((tmp_path / "j").glob("*.json")) == []  # no longer of unknown outcome
    assert [p.name for p in (tmp_path / "j" / "unrecorded").iterdir()] == [f"{key}.json"]
    pending.discard(key)
    assert not pending.contains(key)
