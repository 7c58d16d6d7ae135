"""Shared fixtures: the emulated Hyper-V host (`python -m hypervsim serve`) as a subprocess.

Fixtures:
  emulator           session-scoped, HTTP + NTLM (message encryption), fresh world, temp state.
  https_emulator     session-scoped, HTTPS (self-signed CA in a temp cert dir; see .ca_path).
  emulator_factory   function-scoped factory: emulator_factory(**options) -> Emulator, each
                     with its own world/state; all of them are stopped after the test.
"""

from __future__ import annotations

import json
import os
import secrets
import select
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
READY_PREFIX = "hypervsim listening on "
STARTUP_LIMIT_SECONDS = 60.0


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


EmulatorFactory = Callable[..., Emulator]


def _new_emulator(tmp: Path, **options: Any) -> Emulator:
    https = bool(options.pop("https", False))
    faults = options.pop("faults", ())
    if isinstance(faults, str):
        faults = (faults,)
    emulator = Emulator(
        user=options.pop("user", "lab-admin"),
        password=options.pop("password", "Pw-" + secrets.token_urlsafe(12)),
        state_path=Path(options.pop("state_path", tmp / "world.json")),
        https=https,
        cert_dir=Path(options.pop("cert_dir", tmp / "certs")) if https else None,
        faults=tuple(faults),
        **options,
    )
    return emulator.start()


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """A shared HTTP emulator (NTLM with message encryption). Do not kill or restart it."""
    with tempfile.TemporaryDirectory(prefix="hypervsim-") as tmp:
        emu = _new_emulator(Path(tmp))
        yield emu
        emu.stop()


@pytest.fixture(scope="session")
def https_emulator() -> Iterator[Emulator]:
    """A shared HTTPS emulator; clients verify its certificate with `.ca_path` (ca.pem)."""
    with tempfile.TemporaryDirectory(prefix="hypervsim-tls-") as tmp:
        emu = _new_emulator(Path(tmp), https=True)
        yield emu
        emu.stop()


@pytest.fixture
def emulator_factory(tmp_path: Path) -> Iterator[EmulatorFactory]:
    """emulator_factory(https=False, cert_dir=None, allow_unencrypted=False, faults=(),
    latency_ms=0, ps_start_ms=0, seed=0, host_profile=None, executed_keep=..., user=...,
    password=...) -> a fresh Emulator (over HTTPS it reuses certificates found in cert_dir)."""
    started: list[Emulator] = []

    def factory(**options: Any) -> Emulator:
        sub = tmp_path / f"emu{len(started)}"
        sub.mkdir()
        emu = _new_emulator(sub, **options)
        started.append(emu)
        return emu

    yield factory
    for emu in started:
        emu.stop()
