"""A real Go WinRM client (masterzen/winrm, NTLM by Azure/go-ntlmssp) on hypervsim.

The same libraries the Terraform Hyper-V provider uses; the program under go_winrm/ is ours,
pinned by its go.sum. WinRM over HTTP with these clients needs AllowUnencrypted on Windows
too (they do not seal messages), so the emulator runs with --allow-unencrypted.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Emulator, EmulatorFactory
from tests.hypervsim.clients.go_build import build_go_program

SOURCE = Path(__file__).resolve().parent / "go_winrm"


@pytest.fixture(scope="module")
def go_winrm() -> Path:
    return build_go_program(SOURCE, "go-winrm")


def run_go(binary: Path, emu: Emulator, user: str, ntlm: bool, *commands: str) -> list[Any]:
    args = [str(binary), "-port", str(emu.port), "-user", user]
    if ntlm:
        args.append("-ntlm")
    done = subprocess.run(
        [*args, *commands],
        env=dict(os.environ, GOWINRM_PASSWORD=emu.password),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


COMMANDS = (
    "echo hello",
    "exit /b 3",
    'powershell -NoProfile -Command "[Environment]::MachineName"',
    # The Terraform provider's upload: base64 chunks appended by cmd.exe, then a script file.
    'echo V3JpdGUtT3V0cHV0ICd1cCc7IGV4aXQgNg==>> "%TEMP%\\up.b64"',
    "powershell -NoProfile -Command \"$b = [IO.File]::ReadAllText($env:TEMP + '\\up.b64');"
    " Set-Content ($env:TEMP + '\\up.ps1') ([Text.Encoding]::UTF8.GetString("
    '[Convert]::FromBase64String($b)))"',
    'powershell -NoProfile -ExecutionPolicy Bypass -File "%TEMP%\\up.ps1"',
)


def _check(results: list[Any]) -> None:
    assert [r.get("error", "") for r in results] == [""] * len(COMMANDS)
    assert (results[0]["exit_code"], results[0]["stdout"]) == (0, "hello\r\n")
    assert results[1]["exit_code"] == 3
    assert (results[2]["exit_code"], results[2]["stdout"]) == (0, "HV-HOST01\r\n")
    assert [r["exit_code"] for r in results[3:5]] == [0, 0]
    assert (results[5]["exit_code"], results[5]["stdout"]) == (6, "up\r\n")


@pytest.mark.parametrize("login", ["{user}", "HV-HOST01\\{user}"])
def test_go_client_over_ntlm(go_winrm: Path, emulator_factory: EmulatorFactory, login: str) -> None:
    emu = emulator_factory(allow_unencrypted=True)
    _check(run_go(go_winrm, emu, login.format(user=emu.user), True, *COMMANDS))


def test_go_client_over_basic(go_winrm: Path, emulator_factory: EmulatorFactory) -> None:
    emu = emulator_factory(allow_unencrypted=True)
    _check(run_go(go_winrm, emu, emu.user, False, *COMMANDS))


def test_go_client_wrong_password_is_refused(
    go_winrm: Path, emulator_factory: EmulatorFactory
) -> None:
    emu = emulator_factory(allow_unencrypted=True)
    emu.password = "not-the-password"
    results = run_go(go_winrm, emu, emu.user, True, "echo never")
    assert "401" in results[0]["error"]
