"""`python -m hypervsim show` and the command line's argument checks."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hypervsim.__main__ import build_parser
from tests.conftest import REPO_ROOT, EmulatorFactory


def test_show_prints_world_and_live_counters(emulator_factory: EmulatorFactory) -> None:
    emu = emulator_factory()
    emu.session("ntlm").run_cmd("echo", ["x"])
    out = subprocess.run(
        [sys.executable, "-m", "hypervsim", "show", "--state", str(emu.state_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "counters:" in out
    assert "  commands: 1" in out
    assert "  shells_opened: 1" in out


def test_fault_spec_is_validated_by_the_parser() -> None:
    args = build_parser().parse_args(
        ["serve", "--user", "u", "--password", "p", "--fault", "drop-after:3"]
    )
    assert [f.value for f in args.fault] == [3.0]
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--user", "u", "--password", "p", "--fault", "boom"])


def test_time_scale_is_a_non_negative_number_and_defaults_to_instant() -> None:
    base = ["serve", "--user", "u", "--password", "p"]
    assert build_parser().parse_args(base).time_scale == 0.0
    assert build_parser().parse_args([*base, "--time-scale", "0.05"]).time_scale == 0.05
    for bad in ("-1", "fast", "nan"):
        with pytest.raises(SystemExit):
            build_parser().parse_args([*base, "--time-scale", bad])


def test_non_loopback_bind_is_refused() -> None:
    from hypervsim.wire.server import ServerConfig, WinRmServer
    from hypervsim.world.model import World

    with pytest.raises(ValueError, match="loopback"):
        WinRmServer(World.create(), ServerConfig(user="u", password="p", bind="0.0.0.0"))


def _hypervsim(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hypervsim", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_host_profile_list_describes_every_profile() -> None:
    from hypervsim.world.profiles import PROFILES

    run = _hypervsim("serve", "--host-profile", "list")
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert sorted(line.split(":")[0].split(" ")[0] for line in lines) == sorted(PROFILES)
    assert "server2022-intel (default): build 20348 server, Intel" in run.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--host-profile", "server2099"],
            "unknown host profile 'server2099' (allowed: server2016-amd,",
        ),
        (["--bind", "0.0.0.0"], "'0.0.0.0': the emulator binds to loopback only"),
        (["--bind", "my-laptop"], "'my-laptop': the emulator binds to loopback only"),
    ],
)
def test_command_line_mistakes_are_one_line_without_traceback(
    args: list[str], expected: str
) -> None:
    run = _hypervsim("serve", "--user", "u", "--password", "p", *args)
    assert run.returncode == 2
    assert expected in run.stderr
    assert "Traceback" not in run.stderr
    assert [line for line in run.stderr.splitlines() if "error:" in line] == [
        line for line in run.stderr.splitlines() if expected in line
    ]


def test_serve_without_user_is_refused_by_the_parser() -> None:
    run = _hypervsim("serve", "--password", "p")
    assert run.returncode == 2
    assert "--user is required" in run.stderr
    assert "Traceback" not in run.stderr


def test_bad_image_value_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    from hypervsim.__main__ import main

    code = main(
        ["serve", "--user", "u", "--password", "p", "--image", "C:\\x.vhdx=family=linux,build=1"]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("hypervsim: bad --image value ") and "family must be" in err
