"""Where the emulator's password goes: never on the command line when the preferred sources
(--password-file, HYPERVSIM_PASSWORD) are used, and the NTLM credential file pyspnego needs
is private (0700 dir, 0600 file, hashes only), removed on exit, and cleaned up after a crash."""

from __future__ import annotations

import argparse
import os
import secrets
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import winrm

from hypervsim.__main__ import PASSWORD_ENV, PasswordError, build_parser, resolve_password
from hypervsim.wire.auth import (
    private_runtime_dir,
    remove_legacy_user_files,
    remove_stale_user_files,
)
from hypervsim.wire.server import ServerConfig, WinRmServer
from hypervsim.world.model import World
from tests.conftest import REPO_ROOT, Emulator, EmulatorFactory


def serve_args(*extra: str) -> argparse.Namespace:
    return build_parser().parse_args(["serve", "--user", "u", *extra])


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def user_files_of(pid: int) -> list[Path]:
    return sorted(private_runtime_dir().glob(f"ntlm-{pid}-*.txt"))


# --- where the password comes from --------------------------------------------------------


def test_password_file_first_line_without_its_line_break(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("s3cret with spaces:and colon\r\nignored\n", encoding="utf-8")
    args = serve_args("--password-file", str(secret))
    assert resolve_password(args, {}) == "s3cret with spaces:and colon"


def test_password_file_wins_over_the_environment(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("from-file", encoding="utf-8")
    args = serve_args("--password-file", str(secret))
    assert resolve_password(args, {PASSWORD_ENV: "from-env"}) == "from-file"


def test_password_from_the_environment() -> None:
    assert resolve_password(serve_args(), {PASSWORD_ENV: "from-env"}) == "from-env"


def test_command_line_password_still_works_and_wins_over_the_environment() -> None:
    args = serve_args("--password", "legacy")
    assert resolve_password(args, {PASSWORD_ENV: "from-env"}) == "legacy"


@pytest.mark.parametrize(
    ("extra", "env", "message"),
    [
        ((), {}, "no password"),
        ((), {PASSWORD_ENV: ""}, "no password"),
        (("--password", ""), {}, "is empty"),
    ],
)
def test_missing_or_empty_password_is_refused(
    extra: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    with pytest.raises(PasswordError, match=message):
        resolve_password(serve_args(*extra), env)


def test_unreadable_or_empty_password_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PasswordError, match="cannot read"):
        resolve_password(serve_args("--password-file", str(tmp_path / "absent")), {})
    empty = tmp_path / "empty"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(PasswordError, match="is empty"):
        resolve_password(serve_args("--password-file", str(empty)), {})


def test_password_and_password_file_are_exclusive() -> None:
    with pytest.raises(SystemExit):
        serve_args("--password", "a", "--password-file", "b")


def test_serve_without_any_password_exits_2() -> None:
    env = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}
    env["PYTHONPATH"] = str(REPO_ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "hypervsim", "serve", "--user", "u", "--port", "0"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert PASSWORD_ENV in done.stderr and "--password-file" in done.stderr


def command_line(emu: Emulator) -> str:
    assert emu.process is not None
    raw = Path(f"/proc/{emu.process.pid}/cmdline").read_bytes()
    return raw.replace(b"\0", b" ").decode()


def test_test_servers_get_the_password_from_the_environment(emulator: Emulator) -> None:
    assert emulator.password not in command_line(emulator)
    assert emulator.session("ntlm").run_cmd("echo", ["in"]).std_out == b"in\r\n"


def test_serve_with_password_file_keeps_it_out_of_ps(
    emulator_factory: EmulatorFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "winrm-password"
    secret.write_text("File-Passw0rd!\n", encoding="utf-8")
    secret.chmod(0o600)
    original = Emulator.command_line

    def with_file(self: Emulator, port: int) -> list[str]:
        return [*original(self, port), "--password-file", str(secret)]

    monkeypatch.setattr(Emulator, "command_line", with_file)
    emu = emulator_factory(password="File-Passw0rd!")
    assert "File-Passw0rd!" not in command_line(emu)
    assert emu.session("ntlm").run_cmd("echo", ["ok"]).std_out == b"ok\r\n"
    wrong = winrm.Session(emu.endpoint, auth=(emu.user, "nope"), transport="ntlm")
    with pytest.raises(winrm.exceptions.InvalidCredentialsError):
        wrong.run_cmd("echo", ["x"])


# --- the NTLM credential file ------------------------------------------------------------


def test_user_file_is_private_hash_only_and_removed_on_stop() -> None:
    password = "Pl41n-text-never-on-disk"
    server = WinRmServer(World.create(), ServerConfig(user="lab-admin", password=password))
    server.start()
    try:
        path = Path(os.environ["NTLM_USER_FILE"])
        assert path.parent == private_runtime_dir()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        text = path.read_text(encoding="utf-8")
        assert password not in text and "lab-admin" in text
        session = winrm.Session(server.url, auth=("lab-admin", password), transport="ntlm")
        assert session.run_cmd("echo", ["hashed"]).std_out == b"hashed\r\n"
        also_domain = winrm.Session(
            server.url, auth=("HV-HOST01\\lab-admin", password), transport="ntlm"
        )
        assert also_domain.run_cmd("echo", ["dom"]).std_out == b"dom\r\n"
    finally:
        server.stop()
    assert not path.exists()


def test_stale_files_of_dead_servers_are_removed_live_ones_kept(tmp_path: Path) -> None:
    folder = private_runtime_dir(tmp_path)
    stale = folder / f"ntlm-{dead_pid()}-abc.txt"
    live = folder / f"ntlm-{os.getpid()}-def.txt"
    other = folder / "unrelated.txt"
    for f in (stale, live, other):
        f.write_text("x", encoding="utf-8")
    assert remove_stale_user_files(folder) == [stale]
    assert not stale.exists() and live.exists() and other.exists()


def test_private_dir_refuses_a_planted_symlink(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir()
    (tmp_path / f"hypervsim-{os.getuid()}").symlink_to(target)
    with pytest.raises(PermissionError):
        private_runtime_dir(tmp_path)


def test_private_dir_mode_is_repaired(tmp_path: Path) -> None:
    loose = tmp_path / f"hypervsim-{os.getuid()}"
    loose.mkdir(mode=0o755)
    loose.chmod(0o755)
    assert stat.S_IMODE(private_runtime_dir(tmp_path).stat().st_mode) == 0o700


def test_sigkilled_server_file_is_cleaned_by_the_next_start_and_stop_removes_it(
    emulator_factory: EmulatorFactory,
) -> None:
    emu = emulator_factory()
    assert emu.process is not None
    first_pid = emu.process.pid
    assert len(user_files_of(first_pid)) == 1
    emu.kill()  # SIGKILL: no chance to clean up
    assert len(user_files_of(first_pid)) == 1
    emu.start()
    assert emu.process is not None
    assert user_files_of(first_pid) == []  # removed by the new server's start
    second = user_files_of(emu.process.pid)
    assert len(second) == 1
    assert emu.session("ntlm").run_cmd("echo", ["back"]).std_out == b"back\r\n"
    emu.stop()  # orderly exit (SIGTERM) deletes it
    assert not second[0].exists()


def test_plaintext_files_of_earlier_versions_are_removed_once_old(tmp_path: Path) -> None:
    old = tmp_path / "hypervsim-ntlm-abc123.txt"
    recent = tmp_path / "hypervsim-ntlm-def456.txt"
    for f in (old, recent):
        f.write_text(":u:plaintext\n", encoding="utf-8")
    now = time.time()
    os.utime(old, (now - 2 * 24 * 3600, now - 2 * 24 * 3600))
    assert remove_legacy_user_files(tmp_path, now=now) == [old]
    assert recent.exists()


def test_verbose_log_names_each_wsman_action_but_no_command_text(
    emulator_factory: EmulatorFactory,
) -> None:
    """`--verbose` shows which WS-Man action ran on which shell and connection (to count round
    trips per operation) and never the command text, which may hold secrets."""
    emu = emulator_factory(verbose=True)
    marker = "Marker-" + secrets.token_hex(8)  # command text; the password never goes in it
    result = emu.session("ntlm").run_ps(f"'{marker}'.Length")
    assert result.status_code == 0
    emu.stop()
    assert emu.log_path is not None
    log = emu.log_path.read_text(encoding="utf-8")
    actions = [
        line.split(" wsman ", 1)[1].split()[0] for line in log.splitlines() if " wsman " in line
    ]
    assert actions[:1] == ["Create"] and "Command" in actions and "Receive" in actions
    assert "Delete" in actions
    assert "port " in log  # each HTTP line names the client's connection
    assert marker not in log and emu.password not in log
