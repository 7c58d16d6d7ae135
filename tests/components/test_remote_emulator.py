"""The remote PowerShell client against the real emulator, through real WinRM (pywinrm)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.config import HostSettings
from components.remote import (
    POOL,
    HostAuthError,
    HostUnreachableError,
    OutcomeUnknownError,
    PowerShellError,
    RemotePowerShell,
    RemoteProtocolError,
)

REPO_ROOT = Path(__file__).resolve().parents[2]

ECHO = """param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json
@{ name = $in.name; count = $in.count } | ConvertTo-Json -Compress
"""
SLOW_ECHO = """param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json
Start-Sleep -Milliseconds 500
@{ name = $in.name; count = $in.count } | ConvertTo-Json -Compress
"""
COUNTER = (
    "param($InputJson) $global:Runs = $global:Runs + 1; "
    "@{ runs = $global:Runs } | ConvertTo-Json -Compress"
)
NASTY = (
    'it\'s \u2018quoted\u2019 \u201ctwice\u201d "x" $(Remove-VM *) `n back`tick'
    "\r\nnew line ünïcødé 名前 😀 @{a=1}; exit 7"
)


def settings_for(emu: Any, **overrides: Any) -> HostSettings:
    values: dict[str, Any] = {
        "name": "l0",
        "endpoint": emu.endpoint,
        "user": emu.user,
        "password": emu.password,
        "ca_bundle": emu.ca_path,
        "retries": 3,
        "backoff_s": 0.01,
        "script_timeout_s": 60,
    }
    values.update(overrides)
    return HostSettings(**values)


@pytest.fixture(autouse=True)
def _fresh_pool() -> Iterator[None]:
    """Each test starts and ends without warm sessions (shells are deleted on the host)."""
    POOL.close_all()
    yield
    POOL.close_all()


@pytest.fixture
def client(emulator: Any) -> RemotePowerShell:
    return RemotePowerShell(settings_for(emulator))


def test_nasty_strings_round_trip_unchanged(client: RemotePowerShell) -> None:
    assert client.run(ECHO, {"name": NASTY, "count": 3}, "echo") == {"name": NASTY, "count": 3}


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.text(min_size=1, max_size=60))
def test_any_text_reaches_powershell_and_comes_back(client: RemotePowerShell, name: str) -> None:
    assert client.run(ECHO, {"name": name, "count": 0}, "echo")["name"] == name


def test_values_never_execute(client: RemotePowerShell) -> None:
    script = """param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json
$global:Hacked = $false
@{ name = $in.name; hacked = $global:Hacked } | ConvertTo-Json -Compress
"""
    payload = "'; $global:Hacked = $true; '$(  $global:Hacked = $true )"
    assert client.run(script, {"name": payload}, "echo") == {"name": payload, "hacked": False}


def test_thrown_error_becomes_powershell_error_with_its_message(client: RemotePowerShell) -> None:
    with pytest.raises(PowerShellError) as info:
        client.run("param($InputJson) throw 'Kaputt: ü “x”'", {}, "explode")
    err = info.value
    assert (err.host, err.operation, err.message) == ("l0", "explode", "Kaputt: ü “x”")
    assert str(err) == "[l0] explode: Kaputt: ü “x”"


def test_non_terminating_cmdlet_error_stops_the_operation(client: RemotePowerShell) -> None:
    script = "param($InputJson) Write-Error 'first problem'; @{ reached = $true } | ConvertTo-Json"
    with pytest.raises(PowerShellError, match="first problem"):
        client.run(script, {}, "write-error")


def test_windows_message_of_a_hyperv_cmdlet(client: RemotePowerShell) -> None:
    script = "param($InputJson) Get-VM -Name ($InputJson | ConvertFrom-Json).name"
    with pytest.raises(PowerShellError) as info:
        client.run(script, {"name": "no-such-vm"}, "read Vm")
    assert "Hyper-V was unable to find a virtual machine with name" in info.value.message
    assert "no-such-vm" in info.value.message


def test_each_operation_runs_in_a_fresh_scope(client: RemotePowerShell) -> None:
    set_it = "param($InputJson) $leak = 'set'; @{ leak = $leak } | ConvertTo-Json -Compress"
    read_it = "param($InputJson) @{ leak = $leak } | ConvertTo-Json -Compress"
    assert client.run(set_it, {}, "set") == {"leak": "set"}
    assert client.run(read_it, {}, "read") == {"leak": None}


def test_leaked_pipeline_output_is_a_clear_script_bug(client: RemotePowerShell) -> None:
    script = "param($InputJson) 'stray'; @{ a = 1 } | ConvertTo-Json -Compress"
    with pytest.raises(RemoteProtocolError, match="wrote 2 objects"):
        client.run(script, {}, "leaky")


def test_warm_operations_cost_two_round_trips_and_no_powershell_start(emulator: Any) -> None:
    client = RemotePowerShell(settings_for(emulator))
    client.run(ECHO, {"name": "warm-up", "count": 0}, "echo")
    before = emulator.counters()
    for i in range(5):
        assert client.run(ECHO, {"name": f"n{i}", "count": i}, "echo") == {
            "name": f"n{i}",
            "count": i,
        }
    after = emulator.counters()
    delta = {k: after[k] - before.get(k, 0) for k in after}
    assert delta["powershell_starts"] == 0
    assert delta["logins"] == 0
    assert delta["shells_opened"] == 0
    assert delta["requests"] == 2 * 5, delta  # one Send + one Receive per operation


def test_a_cold_operation_logs_in_with_ntlm_in_one_extra_round_trip(emulator: Any) -> None:
    """Negotiate sent up front (challenge), then the shell's Create carrying the authenticate
    message (sealed with its keys), PowerShell started, and the operation's Send and Receive:
    five requests, one login."""
    before = emulator.counters()
    client = RemotePowerShell(settings_for(emulator))
    assert client.run(ECHO, {"name": "cold", "count": 1}, "echo") == {"name": "cold", "count": 1}
    after = emulator.counters()
    delta = {k: after[k] - before.get(k, 0) for k in after}
    assert delta["logins"] == 1 and delta["shells_opened"] == 1, delta
    assert delta["requests"] == 1 + 1 + 1 + 2, delta


def test_a_host_without_an_opening_challenge_gets_the_usual_login() -> None:
    """A 401 that carries no NTLM challenge (the host ignores an opening negotiate) or a
    reply that is not a 401 leaves the login to pywinrm's own three-step handshake."""
    from components.remote.ntlm_login import _challenge_token

    def reply(status: int, header: str) -> requests.Response:
        response = requests.Response()
        response.status_code = status
        response.headers["WWW-Authenticate"] = header
        return response

    assert _challenge_token(reply(401, "Negotiate")) is None
    assert _challenge_token(reply(401, 'Basic realm="WSMAN"')) is None
    assert _challenge_token(reply(200, "Negotiate TlRMTVNTUAAC")) is None
    assert _challenge_token(reply(401, "Negotiate TlRMTVNTUAAC")) == b"NTLMSSP\x00\x02"


def test_a_host_that_wants_the_login_on_its_own_gets_it_after_one_refusal(
    emulator_factory: Any,
) -> None:
    """A host that refuses the authenticate message riding with the first request: the client
    logs in with an empty request of its own on a new connection, runs the operation once,
    and from then on logs in that way to that host; a wrong password is still refused."""
    emu = emulator_factory(faults=("login-alone:1",))
    client = RemotePowerShell(settings_for(emu))
    before = emu.counters()
    assert client.run(ECHO, {"name": "a", "count": 1}, "echo") == {"name": "a", "count": 1}
    first = emu.counters()
    # negotiate + the refused request, then negotiate + authenticate, Create, Command, Send,
    # Receive; the operation ran once.
    assert first["requests"] - before["requests"] == 2 + 2 + 1 + 1 + 2
    assert first["commands"] - before["commands"] == 1
    POOL.close_all()  # a new connection: the host's way is remembered (no refused request)
    assert client.run(ECHO, {"name": "b", "count": 2}, "echo") == {"name": "b", "count": 2}
    second = emu.counters()
    assert second["requests"] - first["requests"] == 1 + 2 + 1 + 1 + 2  # + the old Delete
    wrong = RemotePowerShell(settings_for(emu, password="not-the-password"))
    with pytest.raises(HostAuthError):
        wrong.run(ECHO, {"name": "x"}, "echo")


def test_wrong_password_is_an_auth_error_without_the_secret(emulator: Any) -> None:
    wrong = "Wr0ng-\u2018pw\u2019-sentinel"
    client = RemotePowerShell(settings_for(emulator, password=wrong))
    with pytest.raises(HostAuthError) as info:
        client.run(ECHO, {"name": "x"}, "echo")
    text = f"{info.value} {info.value!r} {info.value.args}"
    assert wrong not in text and emulator.password not in text
    assert "refused user" in text and "password" in text
    # The variable the provider really reads for host "l0", and the secret config path.
    assert "HYPERV_LAB_PASSWORD_L0" in text and "<NAME>" not in text
    assert "pulumi config set --secret --path 'hyperv-lab:passwords.l0'" in text


def test_broken_shell_is_replaced_transparently(emulator: Any) -> None:
    client = RemotePowerShell(settings_for(emulator))
    client.run(ECHO, {"name": "a", "count": 1}, "echo")
    # Delete the warm shell behind the client's back (as an idle-timeout or reboot would).
    (session,) = [s for sessions in POOL._idle.values() for s in sessions]
    assert session._protocol is not None and session.shell_id is not None
    session._protocol.close_shell(session.shell_id, close_session=False)
    assert client.run(ECHO, {"name": "b", "count": 2}, "echo") == {"name": "b", "count": 2}


def test_powershell_that_exits_mid_operation_is_reported_and_replaced(emulator: Any) -> None:
    client = RemotePowerShell(settings_for(emulator))
    with pytest.raises(OutcomeUnknownError, match="outcome is unknown"):
        client.run("param($InputJson) exit 3", {}, "quit")
    assert client.run(ECHO, {"name": "after", "count": 0}, "echo")["name"] == "after"


def test_http_500_faults_are_retried_but_powershell_errors_are_not(emulator_factory: Any) -> None:
    emu = emulator_factory(faults=("http500:0.3",), seed=7)
    client = RemotePowerShell(settings_for(emu, retries=8))
    for i in range(6):
        assert client.run(ECHO, {"name": f"x{i}", "count": i}, "echo")["count"] == i
    counter = 'param($InputJson) $global:Runs = $global:Runs + 1; throw "run $global:Runs"'
    with pytest.raises(PowerShellError, match=r"^\[l0\] count: run 1$"):  # ran exactly once
        client.run(counter, {}, "count")
    assert emu.counters()["faults"] > 0


def test_lost_replies_neither_repeat_nor_lose_an_operation(emulator_factory: Any) -> None:
    # Requests are carried out but some replies never arrive (Send, Receive, or the login's).
    emu = emulator_factory(faults=("drop-reply:0.25",), seed=5)
    client = RemotePowerShell(settings_for(emu, retries=8))
    counter = (
        "param($InputJson) $global:Runs = $global:Runs + 1; "
        "@{ runs = $global:Runs } | ConvertTo-Json -Compress"
    )
    runs = [client.run(counter, {}, "count")["runs"] for _ in range(8)]
    assert runs == list(range(1, 9))  # each ran exactly once, in one PowerShell, none lost
    assert emu.counters()["faults"] > 0


def test_unreachable_host_after_bounded_retries(emulator_factory: Any) -> None:
    emu = emulator_factory(faults=("drop-after:2",))
    client = RemotePowerShell(settings_for(emu, retries=2))
    with pytest.raises(HostUnreachableError) as info:
        client.run(ECHO, {"name": "x"}, "echo")
    assert "did not answer after 3 attempt(s)" in str(info.value)
    assert not isinstance(info.value, OutcomeUnknownError)  # nothing was sent: it did not run
    assert emu.password not in str(info.value)


def test_host_silent_after_the_operation_was_sent_means_outcome_unknown(
    emulator_factory: Any,
) -> None:
    healthy = emulator_factory()
    RemotePowerShell(settings_for(healthy)).run(ECHO, {"name": "x", "count": 0}, "echo")
    total = healthy.counters()["requests"]
    POOL.close_all()
    # Every request from the last one (the Receive carrying the result) on goes unanswered.
    emu = emulator_factory(faults=(f"drop-after:{total - 1}",))
    client = RemotePowerShell(settings_for(emu, retries=1))
    with pytest.raises(OutcomeUnknownError) as info:
        client.run(ECHO, {"name": "x", "count": 0}, "echo")
    assert str(info.value).startswith("[l0] echo: ")
    assert "stopped answering after the operation was sent" in str(info.value)
    assert "outcome is unknown" in str(info.value)
    assert emu.password not in str(info.value)


def test_host_reboot_drops_shells_and_the_next_operation_gets_a_new_one(
    emulator_factory: Any,
) -> None:
    emu = emulator_factory()
    client = RemotePowerShell(settings_for(emu))
    client.run(ECHO, {"name": "before", "count": 0}, "echo")
    emu.restart()  # all shells gone, same port and state
    assert client.run(ECHO, {"name": "after", "count": 1}, "echo") == {"name": "after", "count": 1}


def test_after_winrm_restarts_the_retry_opens_a_new_shell_not_another_dead_one(
    emulator_factory: Any,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    emu = emulator_factory()
    client = RemotePowerShell(settings_for(emu))
    barrier = threading.Barrier(3)

    def overlapping(i: int) -> dict[str, Any]:
        barrier.wait()  # three operations at once: three warm shells
        return client.run(SLOW_ECHO, {"name": f"w{i}", "count": i}, "echo")

    with ThreadPoolExecutor(max_workers=3) as pool:
        assert [r["count"] for r in pool.map(overlapping, range(3))] == [0, 1, 2]
    assert sum(len(v) for v in POOL._idle.values()) == 3
    emu.restart()  # WinRM comes back on the same port: every shell is gone
    assert client.run(ECHO, {"name": "after", "count": 9}, "echo") == {"name": "after", "count": 9}
    assert emu.counters()["shells_opened"] == 1  # one new shell, no second dead one tried


def test_replies_cut_midway_neither_repeat_nor_lose_an_operation(emulator_factory: Any) -> None:
    # Requests are carried out, but some replies stop halfway (an incomplete read).
    emu = emulator_factory(faults=("cut-reply:0.25",), seed=5)
    client = RemotePowerShell(settings_for(emu, retries=8))
    runs = [client.run(COUNTER, {}, "count")["runs"] for _ in range(8)]
    assert runs == list(range(1, 9))  # each ran exactly once, in one PowerShell, none lost
    assert emu.counters()["faults"] > 0


def test_a_cut_reply_that_is_not_retried_is_a_clear_error_never_a_raw_one(
    emulator_factory: Any,
) -> None:
    """Without retries, a cut reply ends the operation: 'outcome unknown' once the operation
    was sent (the journal and the re-read take over), 'did not answer' before."""
    emu = emulator_factory(faults=("cut-reply:0.3",), seed=11)
    client = RemotePowerShell(settings_for(emu, retries=0))
    seen: set[type[BaseException]] = set()
    for _ in range(12):
        try:
            client.run(COUNTER, {}, "count")
        except (OutcomeUnknownError, HostUnreachableError) as exc:
            seen.add(type(exc))
            message = str(exc)
            assert "\n" not in message and message.startswith("[l0] "), message
            assert "reply cut off" in message or "outcome is unknown" in message, message
    assert OutcomeUnknownError in seen


def test_a_login_lost_to_a_restart_is_renewed_but_a_refused_renewal_is_an_auth_error(
    emulator_factory: Any,
) -> None:
    emu = emulator_factory()
    client = RemotePowerShell(settings_for(emu))
    client.run(ECHO, {"name": "before", "count": 0}, "echo")
    emu.password = "Changed-" + emu.password  # the host comes back with another password
    emu.restart()
    with pytest.raises(HostAuthError, match="refused user"):
        client.run(ECHO, {"name": "after", "count": 1}, "echo")


def test_ntlm_over_https_verifies_the_ca_bundle(https_emulator: Any) -> None:
    client = RemotePowerShell(settings_for(https_emulator))
    assert client.run(ECHO, {"name": NASTY, "count": 1}, "echo")["name"] == NASTY


def test_basic_over_https(https_emulator: Any) -> None:
    client = RemotePowerShell(settings_for(https_emulator, transport="basic"))
    assert client.run(ECHO, {"name": "basic", "count": 2}, "echo") == {"name": "basic", "count": 2}


def test_https_without_the_ca_is_an_auth_error_naming_ca_bundle(https_emulator: Any) -> None:
    client = RemotePowerShell(settings_for(https_emulator, ca_bundle=None))
    with pytest.raises(HostAuthError, match="ca_bundle"):
        client.run(ECHO, {"name": "x"}, "echo")


def test_concurrent_threads_each_get_their_own_warm_session(emulator: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    client = RemotePowerShell(settings_for(emulator))

    def one(i: int) -> dict[str, Any]:
        return client.run(ECHO, {"name": f"t{i} ü", "count": i}, "echo")

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(one, range(16)))
    assert results == [{"name": f"t{i} ü", "count": i} for i in range(16)]
    assert 1 <= sum(len(v) for v in POOL._idle.values()) <= 4


def test_sessions_per_host_are_capped_and_callers_wait_for_one(emulator: Any) -> None:
    """More threads than `max_sessions` share that many shells (a host's MaxShellsPerUser is a
    hard quota: opening more would only fail and retry)."""
    from concurrent.futures import ThreadPoolExecutor

    client = RemotePowerShell(settings_for(emulator, max_sessions=2))
    before = emulator.counters()

    def one(i: int) -> dict[str, Any]:
        return client.run(ECHO, {"name": f"c{i}", "count": i}, "echo")

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(one, range(24)))
    assert results == [{"name": f"c{i}", "count": i} for i in range(24)]
    assert emulator.counters()["shells_opened"] - before["shells_opened"] <= 2


def test_shells_are_deleted_at_exit_even_after_the_connection_was_closed(emulator: Any) -> None:
    """At provider exit the keep-alive connection may be gone: the cleanup still reaches the
    host (a new connection, logging in again if the host answers 401) and deletes the shell."""
    client = RemotePowerShell(settings_for(emulator))
    before = emulator.counters()["shells_open"]
    client.run(ECHO, {"name": "x", "count": 1}, "echo")
    assert emulator.counters()["shells_open"] == before + 1
    for session in list(POOL._all):
        assert session._protocol is not None
        # The TCP connection (and the NTLM login bound to it) is gone; the client object
        # would send its next request on a fresh, unauthenticated connection.
        session._protocol.transport.session.close()
    POOL.close_all()
    assert emulator.counters()["shells_open"] == before


def test_closing_a_warm_session_is_one_request_and_ends_its_powershell(emulator: Any) -> None:
    """Deleting the shell ends the PowerShell inside it (as WinRM does): no Signal first."""
    client = RemotePowerShell(settings_for(emulator))
    before = emulator.counters()
    client.run(ECHO, {"name": "x", "count": 1}, "echo")
    running = emulator.counters()
    assert running["processes_running"] == before["processes_running"] + 1
    POOL.close_all()
    after = emulator.counters()
    assert after["requests"] - running["requests"] == 1
    assert after["shells_open"] == before["shells_open"]
    assert after["processes_running"] == before["processes_running"]


EXITING_PROCESS = """
import json, os, sys
from components.config import HostSettings
from components.remote import RemotePowerShell
settings = HostSettings(**json.loads(os.environ["HOST_SETTINGS_JSON"]))
RemotePowerShell(settings).run(sys.stdin.read(), {"name": "x", "count": 1}, "echo")
# No explicit close: the process exits and the pool's atexit hook must delete the shell.
"""


def test_a_process_exiting_deletes_its_shell_on_its_still_logged_in_connection(
    emulator: Any,
) -> None:
    """urllib3 closes pooled sockets from weakref finalizers at exit; the shell cleanup must
    run before them, so it reuses the login instead of paying a new one (3 round trips)."""
    settings = settings_for(emulator).model_dump(mode="json")
    settings["password"] = emulator.password
    before = emulator.counters()
    env = {**os.environ, "HOST_SETTINGS_JSON": json.dumps(settings)}
    done = subprocess.run(
        [sys.executable, "-c", EXITING_PROCESS],
        input=ECHO,
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    after = emulator.counters()
    assert after["shells_open"] == before["shells_open"]
    assert after["logins"] - before["logins"] == 1
    assert after["auth_failures"] == before["auth_failures"]
