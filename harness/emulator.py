"""Launchers of the emulated Hyper-V host (`python -m hypervsim serve` as a child process),
shared by the tests and the benchmarks (which must not import test fixtures).

`Emulator`: a fresh world per instance, restartable on the same port, counters, pywinrm
sessions (tests/hypervsim, tests/components, tests/reliability, bench). `EmulatorProcess`:
the e2e tests' launcher with a state file and extra `serve` arguments.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import select
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

REPO_ROOT = Path(__file__).resolve().parent.parent
READY_PREFIX = "hypervsim listening on "
STARTUP_LIMIT_SECONDS = 60.0
# Throwaway WinRM credentials for the e2e emulators.
EMULATOR_USER = "Administrator"
EMULATOR_PASSWORD = "E2e-only-Passw0rd!"
_LISTENING = re.compile(r"hypervsim listening on (?P<url>http\S+?:(?P<port>\d+)/wsman)")
_STOP_ATTEMPTS = 60
_STOP_RETRY_SECONDS = 0.5


def port_outside_ephemeral_range() -> int:
    """A free loopback port below the kernel's ephemeral range.

    A restarted emulator must get its old port back. A port the kernel handed out (`--port 0`)
    lies in the ephemeral range, where any client socket on the machine (this run's own WinRM
    connections included) may take it while the emulator is down: "Address already in use"."""
    low = 32768
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        pass
    rng = secrets.SystemRandom()
    for _ in range(200):
        port = rng.randrange(max(1024, low - 12000), low)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return 0


@dataclass
class Emulator:
    """One running `python -m hypervsim serve` process and how to reach it."""

    user: str
    password: str
    state_path: Path
    https: bool = False
    cert_dir: Path | None = None
    allow_unencrypted: bool = False
    faults: tuple[str, ...] = ()
    latency_ms: float = 0.0
    ps_start_ms: float = 0.0
    time_scale: float = 0.0  # `serve --time-scale`: a real host's durations times this
    seed: int = 0
    host_profile: str | None = None
    # The product keeps the newest 5000 command names (`world.executed`); test servers keep
    # more, because tests/reliability's ExecutedLog still marks by list length. Once it marks
    # by the state's `executed_total` this can go back to None (the product default).
    executed_keep: int | None = 1_000_000
    verbose: bool = False
    port: int = 0
    process: subprocess.Popen[str] | None = field(default=None, repr=False)
    log_path: Path | None = None

    @property
    def endpoint(self) -> str:
        scheme = "https" if self.https else "http"
        return f"{scheme}://127.0.0.1:{self.port}/wsman"

    @property
    def base_url(self) -> str:
        return self.endpoint.rsplit("/wsman", 1)[0]

    @property
    def ca_path(self) -> Path | None:
        return self.cert_dir / "ca.pem" if self.cert_dir else None

    def command_line(self, port: int) -> list[str]:
        cmd = [
            sys.executable,
            "-m",
            "hypervsim",
            "serve",
            "--port",
            str(port),
            "--user",
            self.user,
            "--state",
            str(self.state_path),
            "--seed",
            str(self.seed),
        ]
        if self.https:
            cmd += ["--https", "--cert-dir", str(self.cert_dir)]
        if self.allow_unencrypted:
            cmd.append("--allow-unencrypted")
        if self.latency_ms:
            cmd += ["--latency-ms", str(self.latency_ms)]
        if self.ps_start_ms:
            cmd += ["--ps-start-ms", str(self.ps_start_ms)]
        if self.time_scale:
            cmd += ["--time-scale", str(self.time_scale)]
        if self.host_profile:
            cmd += ["--host-profile", self.host_profile]
        if self.executed_keep is not None:
            cmd += ["--executed-keep", str(self.executed_keep)]
        for spec in self.faults:
            cmd += ["--fault", spec]
        if self.verbose:
            cmd.append("--verbose")
        return cmd

    def start(self) -> Emulator:
        """Start the server (on the previous port after a restart) and wait for its ready line."""
        if self.port != 0:
            return self._start_on(self.port)
        for attempt in range(3):  # another run on the machine may take the port we picked
            try:
                return self._start_on(port_outside_ephemeral_range())
            except RuntimeError as exc:
                if attempt == 2 or "Address already in use" not in str(exc):
                    raise
        raise AssertionError("unreachable")

    def _start_on(self, port: int) -> Emulator:
        self.port = port
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        env["PYTHONUNBUFFERED"] = "1"
        env["HYPERVSIM_PASSWORD"] = self.password  # never on the command line (visible in ps)
        if self.log_path is None:
            self.log_path = self.state_path.with_suffix(".log")
        log = open(self.log_path, "a", encoding="utf-8")  # the child keeps its own copy
        self.process = subprocess.Popen(
            self.command_line(self.port),
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        log.close()
        self.port = self._wait_ready()
        return self

    def _wait_ready(self) -> int:
        assert self.process is not None and self.process.stdout is not None
        deadline = time.monotonic() + STARTUP_LIMIT_SECONDS
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.process.stdout], [], [], 0.5)
            if ready:
                line = self.process.stdout.readline()
                if line.startswith(READY_PREFIX):
                    url = line[len(READY_PREFIX) :].split()[0]
                    return int(url.rsplit(":", 1)[1].split("/", 1)[0])
                if not line and self.process.poll() is not None:
                    break
            elif self.process.poll() is not None:
                break
        self.kill()
        log = self.log_path.read_text(encoding="utf-8") if self.log_path else ""
        raise RuntimeError(f"hypervsim did not start:\n{log}")

    def counters(self, *, verify_tls: bool = True) -> dict[str, int]:
        """The server's counters (GET /hypervsim/counters); `verify_tls=False` reads them even
        from a server whose certificate does not verify (tests of refused certificates)."""
        context = None
        if self.https and self.ca_path:
            context = ssl.create_default_context(cafile=str(self.ca_path))
            if not verify_tls:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
        url = f"{self.base_url}/hypervsim/counters"
        with urllib.request.urlopen(url, timeout=10, context=context) as response:
            data: dict[str, int] = json.load(response)
        return data

    def advance_shell_clock(self, seconds: float) -> int:
        """Let `seconds` of idle time pass for the host's shells at once; how many expired."""
        request = urllib.request.Request(
            f"{self.base_url}/hypervsim/shell-clock",
            data=json.dumps({"advance_s": seconds}).encode(),
            method="POST",
        )
        context = ssl.create_default_context(cafile=str(self.ca_path)) if self.https else None
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            return int(json.load(response)["expired"])

    def kill(self) -> None:
        """SIGKILL, as a crash would: nothing gets a chance to flush."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self._close_pipe()

    def stop(self) -> None:
        """Orderly shutdown (SIGTERM)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._close_pipe()

    def restart(self, kill: bool = True) -> Emulator:
        """Kill (SIGKILL by default) and start again with the same state file and port."""
        if kill:
            self.kill()
        else:
            self.stop()
        return self.start()

    def _close_pipe(self) -> None:
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()

    def session(self, transport: str = "ntlm", **kwargs: Any) -> Any:
        """A pywinrm Session to this emulator (verifying TLS against ca.pem over HTTPS)."""
        import winrm

        if self.https:
            kwargs.setdefault("server_cert_validation", "validate")
            kwargs.setdefault("ca_trust_path", str(self.ca_path))
        return winrm.Session(
            self.endpoint, auth=(self.user, self.password), transport=transport, **kwargs
        )


@dataclass
class EmulatorProcess:
    """A `python -m hypervsim serve` child with its state file; restartable on the same port."""

    state_path: Path
    env: dict[str, str]
    extra_args: tuple[str, ...] = ()
    user: str = EMULATOR_USER
    password: str = EMULATOR_PASSWORD
    port: int = 0
    url: str = ""
    process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        """Start serving (on a free port the first time, the same port after a restart)."""
        argv = [
            sys.executable, "-m", "hypervsim", "serve",
            "--port", str(self.port), "--user", self.user,
            "--state", str(self.state_path), *self.extra_args,
        ]  # fmt: skip
        log_path = self.state_path.with_suffix(".log")
        with log_path.open("a") as log:
            # The password travels in the environment, never on a command line (`ps`).
            env = {**self.env, "HYPERVSIM_PASSWORD": self.password}
            self.process = subprocess.Popen(
                argv, env=env, stdout=subprocess.PIPE, stderr=log, text=True
            )
        assert self.process.stdout is not None
        seen: list[str] = []
        for line in self.process.stdout:  # ends at EOF if the emulator exits
            seen.append(line)
            match = _LISTENING.search(line)
            if match is not None:
                self.url = match["url"]
                self.port = int(match["port"])
                _drain_in_background(self.process.stdout, log_path)
                return
        self.kill()
        raise AssertionError(
            f"hypervsim did not start:\n{''.join(seen)}{log_path.read_text(errors='replace')}"
        )

    def stop(self) -> None:
        """Graceful stop (SIGINT), so the emulator saves its world.

        SIGINT is repeated until the process ends: a process-wide signal may land on a worker
        thread while the main thread sleeps in an untimed wait, which then never wakes."""
        if self.process is not None:
            for _ in range(_STOP_ATTEMPTS):
                if self.process.poll() is not None:
                    break
                self.process.send_signal(signal.SIGINT)
                try:
                    self.process.wait(timeout=_STOP_RETRY_SECONDS)
                except subprocess.TimeoutExpired:
                    continue
            else:
                self.kill()
                raise AssertionError("hypervsim did not stop after repeated SIGINT")
        self.process = None

    def kill(self) -> None:
        """Abrupt stop (SIGKILL), as in a crash or power loss."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        self.process = None

    def show(self) -> str:
        """`python -m hypervsim show --state FILE` (stop the server first for a settled view)."""
        return subprocess.run(
            [sys.executable, "-m", "hypervsim", "show", "--state", str(self.state_path)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout


def _drain_in_background(stream: IO[str], log_path: Path) -> None:
    """Keep reading the emulator's stdout into its log, so a chatty emulator never blocks."""

    def drain() -> None:
        with log_path.open("a") as log:
            for line in stream:
                log.write(line)

    threading.Thread(target=drain, name="hypervsim-stdout", daemon=True).start()
