"""WinRM requests never touch os.environ's proxy settings (requests' set_environ race)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import winrm.transport
from winrm.protocol import Protocol

from components.remote import POOL, RemotePowerShell
from components.remote.direct_transport import DirectTransport
from components.remote.errors import HostAuthError, Scrubber
from components.remote.session import ShellSession
from tests.components.test_remote_emulator import ECHO, settings_for


class RecordingEnviron(dict[str, str]):
    """os.environ stand-in that records every write and delete (pytest writes its own
    PYTEST_CURRENT_TEST)."""

    def __init__(self, initial: dict[str, str]) -> None:
        super().__init__(initial)
        self.changes: list[tuple[str, str]] = []

    def __setitem__(self, key: str, value: str) -> None:
        self.changes.append(("set", key))
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.changes.append(("del", key))
        super().__delitem__(key)


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingEnviron]:
    recording = RecordingEnviron({k: v for k, v in os.environ.items() if k.lower() != "no_proxy"})
    POOL.close_all()
    monkeypatch.setattr(os, "environ", recording)
    yield recording
    POOL.close_all()


def plain_pywinrm(emulator: Any) -> Protocol:
    """pywinrm's own Protocol and transport (no DirectTransport) to the emulator, with every
    setting that reads the environment left at pywinrm's default but the proxy (none)."""
    host = settings_for(emulator)
    return Protocol(
        endpoint=str(host.endpoint),
        transport="ntlm",
        username=host.user,
        password=host.password.get_secret_value(),  # type: ignore[union-attr]
        message_encryption="always",
        proxy=None,
    )


def test_requests_never_write_the_environment_only_each_connections_set_up_does(
    emulator: Any, environ: RecordingEnviron
) -> None:
    client = RemotePowerShell(settings_for(emulator, max_sessions=4))

    def one(i: int) -> dict[str, Any]:
        return client.run(ECHO, {"name": f"e{i}", "count": i}, "echo")

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(one, range(24)))
    assert results == [{"name": f"e{i}", "count": i} for i in range(24)]
    sessions = list(POOL._all)
    # pywinrm's set-up looks proxies up once per connection (serialised by DirectTransport's
    # lock); the 48+ requests after it never consult the environment.
    proxy_changes = [c for c in environ.changes if "proxy" in c[1].lower()]
    assert proxy_changes == [("set", "no_proxy"), ("del", "no_proxy")] * len(sessions)
    assert sessions and all(
        isinstance(s._protocol.transport, DirectTransport)  # type: ignore[union-attr]
        and s._protocol.transport.session.trust_env is False  # type: ignore[union-attr]
        for s in sessions
    )


def test_plain_pywinrm_writes_no_proxy_on_every_request(
    emulator: Any, environ: RecordingEnviron
) -> None:
    """Why DirectTransport exists: the same login and shell through pywinrm's own transport
    set and delete os.environ['no_proxy'] (a race between threads)."""
    protocol = plain_pywinrm(emulator)
    shell = protocol.open_shell()
    protocol.close_shell(shell)
    assert ("del", "no_proxy") in environ.changes
    assert environ.changes.count(("set", "no_proxy")) >= 3  # set-up, login, each request


def test_a_refused_login_is_still_reported_as_such(emulator: Any) -> None:
    """The deferred encryption handshake still runs, and a refusal is an auth error."""
    host = settings_for(emulator, password="wrong-password", retries=0)
    session = ShellSession(host, Scrubber(["wrong-password"]))
    with pytest.raises(HostAuthError):
        session.open()
    session.close()


def test_the_session_never_falls_back_to_the_environments_ca_trust(
    emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pywinrm's default CA lookup reads REQUESTS_CA_BUNDLE (and warns that it will stop);
    the session passes its CA (or none) explicitly, so nothing of that runs or warns."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
    monkeypatch.setattr(winrm.transport, "DISPLAYED_CA_TRUST_WARNING", False)
    session = ShellSession(settings_for(emulator), Scrubber([]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        session.open()
        session.close()
    assert [str(w.message) for w in caught] == []
    plain = plain_pywinrm(emulator)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plain.close_shell(plain.open_shell())
    assert any("REQUESTS_CA_BUNDLE" in str(w.message) for w in caught)
