"""Unit tests for our `pulumi-language-python`: argument parsing, the exec command line, exit
status mapping, and the gRPC server answering as the engine expects."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest
from google.protobuf import empty_pb2
from hyperv_lab_langhost.arguments import parse_host_arguments
from hyperv_lab_langhost.program_command import build_program_command, exec_arguments
from hyperv_lab_langhost.program_runs import ProgramRuns, outcome_of
from pulumi.runtime.proto import language_pb2, language_pb2_grpc

from tests.tools.conftest import LANGHOST_DIR


@dataclass
class FakeInfo:
    root_directory: str = "/proj"
    program_directory: str = "/proj"
    entry_point: str = "."


@dataclass
class FakeRunRequest:
    monitor_address: str = "127.0.0.1:1234"
    project: str = "hyperv-lab"
    stack: str = "dev"
    pwd: str = "/proj"
    dryRun: bool = True  # noqa: N815 - mirrors the protobuf field
    parallel: int = 16
    organization: str = "organization"
    args: list[str] = field(default_factory=list)
    config: dict[str, str] = field(default_factory=dict)
    configSecretKeys: list[str] = field(default_factory=list)  # noqa: N815
    info: FakeInfo = field(default_factory=FakeInfo)


def test_engine_address_is_the_positional_after_go_style_flags() -> None:
    parsed = parse_host_arguments(
        ["--logtostderr", "-v=9", "--tracing", "http://t", "127.0.0.1:5555"], "/bin/exec"
    )
    assert parsed.engine_address == "127.0.0.1:5555"
    assert parsed.tracing == "http://t"
    assert parsed.executor == "/bin/exec"
    assert not parsed.show_version


def test_use_executor_and_version_flags() -> None:
    parsed = parse_host_arguments(["-use-executor=/x/exec", "--version"], "/bin/exec")
    assert parsed.executor == "/x/exec"
    assert parsed.show_version
    assert parsed.engine_address == ""


def test_exec_arguments_follow_the_go_host_order() -> None:
    args = exec_arguments(FakeRunRequest(args=["extra"]), "127.0.0.1:9", tracing="")
    assert args == [
        "--monitor", "127.0.0.1:1234",
        "--engine", "127.0.0.1:9",
        "--project", "hyperv-lab",
        "--root_directory", "/proj",
        "--stack", "dev",
        "--pwd", "/proj",
        "--dry_run", "true",
        "--parallel", "16",
        "--organization", "organization",
        ".", "extra",
    ]  # fmt: skip


def test_empty_values_are_left_out_but_dry_run_and_parallel_always_sent() -> None:
    request = FakeRunRequest(organization="", pwd="", dryRun=False, parallel=0)
    args = exec_arguments(request, engine_address="", tracing="")
    assert "--organization" not in args and "--pwd" not in args and "--engine" not in args
    assert args[args.index("--dry_run") + 1] == "false"
    assert args[args.index("--parallel") + 1] == "0"


def test_config_and_secret_keys_go_to_the_program_as_json() -> None:
    request = FakeRunRequest(config={"p:pw": "s3cret", "p:n": "1"}, configSecretKeys=["p:pw"])
    command = build_program_command(
        request, python="/py", executor="/exec", engine_address="e", tracing="", base_env={"A": "1"}
    )
    assert command.argv[:2] == ["/py", "/exec"]
    assert command.cwd == "/proj"
    assert command.env["A"] == "1"
    assert json.loads(command.env["PULUMI_CONFIG"]) == {"p:pw": "s3cret", "p:n": "1"}
    assert json.loads(command.env["PULUMI_CONFIG_SECRET_KEYS"]) == ["p:pw"]


@pytest.mark.parametrize(
    ("code", "error", "bail"),
    [
        (0, "", False),
        (32, "", True),
        (3, "program exited with non-zero exit code: 3", False),
        (-9, "program exited unexpectedly: signal 9", False),
    ],
)
def test_exit_status_mapping(code: int, error: str, bail: bool) -> None:
    outcome = outcome_of(code)
    assert (outcome.error, outcome.bail) == (error, bail)


def test_program_runs_report_the_real_exit_status(tmp_path: Path) -> None:
    from hyperv_lab_langhost.program_command import ProgramCommand

    runs = ProgramRuns()
    bail = runs.run(ProgramCommand([sys.executable, "-c", "raise SystemExit(32)"], {}, None))
    failed = runs.run(ProgramCommand([sys.executable, "-c", "raise SystemExit(4)"], {}, None))
    missing = runs.run(ProgramCommand([str(tmp_path / "nope")], {}, None))
    assert bail.bail and not bail.error
    assert failed.error == "program exited with non-zero exit code: 4"
    assert "could not run language executor" in missing.error


def test_server_announces_port_and_answers_engine_calls(tmp_path: Path) -> None:
    executor = tmp_path / "pulumi-language-python-exec"
    executor.write_text("")
    host = subprocess.Popen(
        [sys.executable, str(LANGHOST_DIR), "--use-executor", str(executor), "127.0.0.1:1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert host.stdout is not None
        port = int(host.stdout.readline())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = language_pb2_grpc.LanguageRuntimeStub(channel)
            info = stub.GetPluginInfo(empty_pb2.Empty(), timeout=10)
            assert info.version == "3.272.0"
            plugins = stub.GetRequiredPlugins(language_pb2.GetRequiredPluginsRequest(), timeout=10)
            assert list(plugins.plugins) == []
            packages = stub.GetRequiredPackages(
                language_pb2.GetRequiredPackagesRequest(), timeout=10
            )
            assert list(packages.packages) == []
            stub.Handshake(language_pb2.LanguageHandshakeRequest(engine_address="x"), timeout=10)
            about = stub.About(language_pb2.AboutRequest(), timeout=10)
            assert about.executable == sys.executable
            deps = stub.GetProgramDependencies(
                language_pb2.GetProgramDependenciesRequest(), timeout=10
            )
            assert "pulumi" in {d.name for d in deps.dependencies}
            installs = stub.InstallDependencies(
                language_pb2.InstallDependenciesRequest(), timeout=10
            )
            assert list(installs) == []
            with pytest.raises(grpc.RpcError) as unimplemented:
                stub.Pack(language_pb2.PackRequest(), timeout=10)
            assert unimplemented.value.code() == grpc.StatusCode.UNIMPLEMENTED
    finally:
        host.terminate()
        assert host.wait(timeout=10) == 0


def test_missing_executor_is_refused(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(LANGHOST_DIR), "--use-executor", str(tmp_path / "nope"), "x"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "missing executor" in result.stderr
