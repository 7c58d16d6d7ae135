"""Fixtures for reliability tests: a private emulator per module, configured providers,
independent checks with plain pywinrm, and the emulator's record of executed commands.

rel_emulator      module-scoped fresh emulator (its own world, so the record of executed
                  commands and the object listings only see this module's work).
rel_config        stack config (host "l0" = rel_emulator, guest credential "guest").
make_provider     make_provider(ProviderClass, config=None) -> a configure()d provider.
rel_json          rel_json(script) -> the objects `script` outputs on l0, as JSON data.
executed_log      ExecutedLog: marks and reads `world.executed` from the state file.
private_journal   (autouse) pending creates are noted in the test's own temp directory.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from pulumi.dynamic import ConfigureRequest

from components.config import CREDENTIALS_KEY, HOSTS_KEY, JOURNAL_DIR_ENV
from components.providers.base import HostBoundProvider
from components.remote import POOL
from tests.conftest import Emulator, _new_emulator

P = TypeVar("P", bound=HostBoundProvider)

GUEST_USER = "Administrator"
GUEST_PASSWORD = "Gu3st-reliability-\u00e9"


class StackConfig:
    """What `ConfigureRequest.config` offers a provider: `.get(key)` of full config keys."""

    def __init__(self, values: dict[str, str]) -> None:
        self._values = values

    def get(self, key: str) -> str | None:
        return self._values.get(key)

    def require(self, key: str) -> str:
        return self._values[key]


def stack_config(
    emulator: Emulator,
    *,
    password: str | None = None,
    guest_password: str = GUEST_PASSWORD,
    **host_options: Any,
) -> StackConfig:
    """Config with host "l0" = `emulator` and guest credential "guest"."""
    host: dict[str, Any] = {
        "endpoint": emulator.endpoint,
        "user": emulator.user,
        "password": emulator.password if password is None else password,
        "backoff_s": 0.01,
        "script_timeout_s": 120,
    }
    if emulator.https and emulator.ca_path is not None:
        host["ca_bundle"] = str(emulator.ca_path)
    host.update(host_options)
    credentials = {"guest": {"user": GUEST_USER, "password": guest_password}}
    return StackConfig(
        {HOSTS_KEY: json.dumps({"l0": host}), CREDENTIALS_KEY: json.dumps(credentials)}
    )


def configure(cls: type[P], config: StackConfig) -> P:
    """A provider configured the way the Pulumi engine does it."""
    provider = cls()
    provider.configure(ConfigureRequest(config))  # type: ignore[arg-type]
    return provider


@pytest.fixture(autouse=True)
def private_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "pending-creates"
    monkeypatch.setenv(JOURNAL_DIR_ENV, str(directory))
    return directory


@pytest.fixture(scope="module")
def rel_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    emu = _new_emulator(tmp_path_factory.mktemp("rel-emu"))
    yield emu
    POOL.close_all()
    emu.stop()


@pytest.fixture
def rel_config(rel_emulator: Emulator) -> StackConfig:
    return stack_config(rel_emulator)


@pytest.fixture
def make_provider(rel_config: StackConfig) -> Iterator[Callable[..., Any]]:
    def make(cls: type[P], config: StackConfig | None = None) -> P:
        return configure(cls, config or rel_config)

    yield make
    POOL.close_all()


def json_runner(emulator: Emulator) -> Callable[[str], Any]:
    """Plain PowerShell through pywinrm `run_ps` (independent of the product's client)."""
    session = emulator.session()

    def run(script: str) -> Any:
        result = session.run_ps(
            "$result = & {\n" + script + "\n}\n"
            "$json = ConvertTo-Json -InputObject $result -Compress -Depth 5\n"
            "[Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($json))"
        )
        err = result.std_err.decode("utf-8", "replace")
        assert result.status_code == 0, f"PowerShell failed: {err}"
        return json.loads(base64.b64decode(result.std_out.strip()).decode("utf-8"))

    return run


@pytest.fixture(scope="module")
def rel_json(rel_emulator: Emulator) -> Callable[[str], Any]:
    return json_runner(rel_emulator)


class ExecutedLog:
    """The emulator's `world.executed` (every cmdlet/function run), read from its state file,
    which the server rewrites after every PowerShell line it runs. The file keeps only the
    newest names plus `executed_total` (every name ever recorded), so marks are totals."""

    def __init__(self, state_path: Path) -> None:
        self.state_path = state_path

    def _read(self) -> tuple[list[str], int]:
        data = json.loads(self.state_path.read_text(encoding="utf-8"))
        names = [str(name) for name in data.get("executed", [])]
        return names, int(data.get("executed_total", len(names)))

    def all(self) -> list[str]:
        return self._read()[0]

    def mark(self) -> int:
        return self._read()[1]

    def since(self, mark: int) -> list[str]:
        names, total = self._read()
        new = total - mark
        assert 0 <= new <= len(names), f"the record no longer holds all {new} names since the mark"
        return names[len(names) - new :] if new else []


@pytest.fixture(scope="module")
def executed_log(rel_emulator: Emulator) -> ExecutedLog:
    return ExecutedLog(rel_emulator.state_path)
