"""WinRM round trips per second against the emulator, over NTLM with message encryption.

Starts `python -m hypervsim serve` as a subprocess (as tests do), then measures with pywinrm:
  1. keep-alive: one Protocol and one shell; per operation Command + Receive + Signal;
  2. per-call sessions: `Session.run_cmd` (new TCP connection + NTLM login each time).
Results are printed, not asserted.  Usage: python bench/bench_winrm.py [--ops N] [--latency-ms N]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import winrm
from winrm.protocol import Protocol

REPO_ROOT = Path(__file__).resolve().parent.parent


def start_server(tmp: Path, password: str, latency_ms: float) -> tuple[subprocess.Popen[str], int]:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), PYTHONUNBUFFERED="1")
    cmd = [
        sys.executable,
        "-m",
        "hypervsim",
        "serve",
        "--port",
        "0",
        "--user",
        "lab-admin",
        "--state",
        str(tmp / "world.json"),
        "--latency-ms",
        str(latency_ms),
    ]
    env = {**env, "HYPERVSIM_PASSWORD": password}
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("hypervsim listening on "):
        proc.kill()
        raise SystemExit(f"server did not start: {line!r}")
    return proc, int(line.split(":")[2].split("/")[0])


def counters(port: int) -> dict[str, int]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/hypervsim/counters", timeout=10) as r:
        data: dict[str, int] = json.load(r)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ops", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    password = secrets.token_urlsafe(12)
    with tempfile.TemporaryDirectory() as tmp:
        proc, port = start_server(Path(tmp), password, args.latency_ms)
        endpoint = f"http://127.0.0.1:{port}/wsman"
        try:
            p = Protocol(endpoint, transport="ntlm", username="lab-admin", password=password)
            shell_id = p.open_shell()
            before = counters(port)["requests"]
            start = time.perf_counter()
            for _ in range(args.ops):
                command_id = p.run_command(shell_id, "echo", ["x"])
                p.get_command_output(shell_id, command_id)
                p.cleanup_command(shell_id, command_id)
            elapsed = time.perf_counter() - start
            trips = counters(port)["requests"] - before
            p.close_shell(shell_id)
            print(
                f"keep-alive shell : {trips} round trips in {elapsed:.2f} s = "
                f"{trips / elapsed:.0f} round trips/s, {args.ops / elapsed:.0f} commands/s"
            )

            calls = max(1, args.ops // 5)
            session = winrm.Session(endpoint, auth=("lab-admin", password), transport="ntlm")
            before = counters(port)["requests"]
            start = time.perf_counter()
            for _ in range(calls):
                session.run_cmd("echo", ["x"])
            elapsed = time.perf_counter() - start
            trips = counters(port)["requests"] - before
            print(
                f"run_cmd per call : {trips} round trips in {elapsed:.2f} s = "
                f"{trips / elapsed:.0f} round trips/s, {calls / elapsed:.1f} calls/s "
                f"({trips / calls:.1f} round trips per call)"
            )
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
