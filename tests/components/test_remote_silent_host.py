"""A host that accepts TCP connections but never answers (issue 16, item 2): the first
operation waits out its retries, then the rest of the run fails at once for that host, in
every thread, with one clear error; the next run (a reset pool) tries the host again.

Nothing here measures time: the listener counts the connections the client opens.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from components.config import HostSettings
from components.remote import POOL, HostUnreachableError, RemotePowerShell
from components.remote.session import SILENT_ATTEMPTS

ECHO = "param([string]$InputJson) '{}'"


class SilentListener:
    """Accepts connections on 127.0.0.1 and keeps them open without reading or answering."""

    def __init__(self, port: int = 0) -> None:
        self._socket = socket.create_server(("127.0.0.1", port))
        self.port = int(self._socket.getsockname()[1])
        self._held: list[socket.socket] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._socket.accept()
            except OSError:
                return
            with self._lock:
                self._held.append(conn)

    @property
    def accepted(self) -> int:
        with self._lock:
            return len(self._held)

    def close(self) -> None:
        self._socket.close()
        with self._lock:
            for conn in self._held:
                conn.close()


@pytest.fixture
def silent() -> Iterator[SilentListener]:
    listener = SilentListener()
    POOL.close_all()
    yield listener
    POOL.close_all()
    listener.close()


def silent_host(listener: SilentListener, name: str = "mute") -> HostSettings:
    values: dict[str, Any] = {
        "name": name,
        "endpoint": f"http://127.0.0.1:{listener.port}/wsman",
        "user": "lab-admin",
        "password": "Silent-host-pw-1",
        "connect_timeout_s": 2,
        "read_timeout_s": 2,
        "operation_timeout_s": 1,
        "retries": 1,
        "backoff_s": 0.01,
    }
    return HostSettings(**values)


def test_after_a_host_failed_to_answer_the_rest_of_the_run_fails_fast_for_it(
    silent: SilentListener,
) -> None:
    client = RemotePowerShell(silent_host(silent))
    with pytest.raises(HostUnreachableError) as first:
        client.run(ECHO, {}, "read Vm")
    assert "did not answer after 2 attempt(s) (ReadTimeout)" in str(first.value)
    tried = silent.accepted
    assert tried >= 1

    # Later operations, sequential or from several threads at once, do not try again.
    def one(i: int) -> str:
        try:
            RemotePowerShell(silent_host(silent)).run(ECHO, {"i": i}, f"read Vm {i}")
        except HostUnreachableError as exc:
            return str(exc)
        return "ran"

    with ThreadPoolExecutor(max_workers=4) as pool:
        messages = list(pool.map(one, range(8)))
    for i, message in enumerate(messages):
        assert message.startswith(f"[mute] read Vm {i}: http://127.0.0.1:{silent.port}/wsman ")
        assert (
            "did not answer after 2 attempt(s) (ReadTimeout); not waiting for it again" in message
        )
        assert "check that the host is up" in message and "\n" not in message
        assert "Silent-host-pw-1" not in message
    assert silent.accepted == tried


def test_a_silent_host_costs_two_timeouts_whatever_the_retries(silent: SilentListener) -> None:
    """Many retries are for hosts that fail fast (refused, reset, 5xx); a host that let two
    whole timeouts pass without a word is not waited for again (the total wait is bounded)."""
    settings = silent_host(silent).model_copy(update={"retries": 6})
    with pytest.raises(HostUnreachableError) as first:
        RemotePowerShell(settings).run(ECHO, {}, "check Vm")
    assert f"{SILENT_ATTEMPTS} attempt(s) (ReadTimeout)" in str(first.value)
    assert silent.accepted == SILENT_ATTEMPTS  # one connection per attempt, no more


def test_the_memory_of_a_silent_host_ends_with_the_run(silent: SilentListener) -> None:
    client = RemotePowerShell(silent_host(silent))
    with pytest.raises(HostUnreachableError, match="did not answer after"):
        client.run(ECHO, {}, "read Vm")
    tried = silent.accepted
    POOL.close_all()  # the end of the run (the provider process exits)
    with pytest.raises(HostUnreachableError, match="did not answer after"):
        client.run(ECHO, {}, "read Vm")
    assert silent.accepted > tried


def test_other_hosts_are_not_affected(silent: SilentListener, emulator: object) -> None:
    from tests.components.test_remote_emulator import ECHO as REAL_ECHO
    from tests.components.test_remote_emulator import settings_for

    with pytest.raises(HostUnreachableError):
        RemotePowerShell(silent_host(silent)).run(ECHO, {}, "read Vm")
    healthy = RemotePowerShell(settings_for(emulator))
    assert healthy.run(REAL_ECHO, {"name": "x", "count": 1}, "echo") == {"name": "x", "count": 1}


def test_warming_finds_every_silent_host_in_one_round(silent: SilentListener) -> None:
    """Checks reach hosts in turn; warming them together lets the breaker know every silent
    host after one round, and an operation on a warmed host uses the warm-up's verdict."""
    second = SilentListener()
    try:
        hosts = [silent_host(silent, "mute"), silent_host(second, "mute2")]
        POOL.warm(hosts)
        POOL.warm(hosts)  # once per run
        down = POOL.hosts_down(hosts, wait_s=30)
        assert down == [
            f"{name} (http://127.0.0.1:{listener.port}/wsman) did not answer after "
            f"{SILENT_ATTEMPTS} attempt(s) (ReadTimeout)"
            for name, listener in (("mute", silent), ("mute2", second))
        ]
        with pytest.raises(HostUnreachableError, match="not waiting for it again in this run"):
            RemotePowerShell(hosts[0]).run(ECHO, {}, "check Vm")
        assert silent.accepted == second.accepted == SILENT_ATTEMPTS
    finally:
        second.close()
