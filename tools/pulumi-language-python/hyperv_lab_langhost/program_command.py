"""Build the process that runs a Pulumi Python program for one `Run` request.

The command line mirrors what Pulumi's own Go host passes to `pulumi-language-python-exec`
(flag names, order, and which are left out when empty), so the SDK-side script needs no change.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

CONFIG_ENV_VAR = "PULUMI_CONFIG"
CONFIG_SECRET_KEYS_ENV_VAR = "PULUMI_CONFIG_SECRET_KEYS"


class ProgramInfoLike(Protocol):
    """The fields of `pulumirpc.ProgramInfo` we read."""

    @property
    def root_directory(self) -> str: ...
    @property
    def program_directory(self) -> str: ...
    @property
    def entry_point(self) -> str: ...


class RunRequestLike(Protocol):
    """The fields of `pulumirpc.RunRequest` we read (names as generated from the .proto)."""

    @property
    def monitor_address(self) -> str: ...
    @property
    def project(self) -> str: ...
    @property
    def stack(self) -> str: ...
    @property
    def pwd(self) -> str: ...
    @property
    def dryRun(self) -> bool: ...  # noqa: N802 - protobuf field name
    @property
    def parallel(self) -> int: ...
    @property
    def organization(self) -> str: ...
    @property
    def args(self) -> Sequence[str]: ...
    @property
    def config(self) -> Mapping[str, str]: ...
    @property
    def configSecretKeys(self) -> Sequence[str]: ...  # noqa: N802 - protobuf field name
    @property
    def info(self) -> ProgramInfoLike: ...


@dataclass(frozen=True)
class ProgramCommand:
    """Everything needed to start the program process."""

    argv: list[str]
    env: dict[str, str]
    cwd: str | None


def exec_arguments(request: RunRequestLike, engine_address: str, tracing: str) -> list[str]:
    """Arguments after the exec script, in the Go host's order; empty values are omitted."""
    pairs = [
        ("monitor", request.monitor_address),
        ("engine", engine_address),
        ("project", request.project),
        ("root_directory", request.info.root_directory),
        ("stack", request.stack),
        ("pwd", request.pwd),
        ("dry_run", "true" if request.dryRun else "false"),
        ("parallel", str(int(request.parallel))),
        ("tracing", tracing),
        ("organization", request.organization),
    ]
    args: list[str] = []
    for name, value in pairs:
        if value:
            args.extend([f"--{name}", value])
    args.append(request.info.entry_point or ".")
    args.extend(request.args)
    return args


def program_environment(request: RunRequestLike, base: Mapping[str, str]) -> dict[str, str]:
    """The inherited environment plus the stack config, as the exec script reads it."""
    env = dict(base)
    env[CONFIG_ENV_VAR] = json.dumps(dict(request.config))
    env[CONFIG_SECRET_KEYS_ENV_VAR] = json.dumps(list(request.configSecretKeys))
    return env


def build_program_command(
    request: RunRequestLike,
    *,
    python: str,
    executor: str,
    engine_address: str,
    tracing: str,
    base_env: Mapping[str, str] | None = None,
) -> ProgramCommand:
    """The full command: `<python> <exec script> <flags> <entry point> <args>`."""
    env = program_environment(request, os.environ if base_env is None else base_env)
    cwd = request.pwd or request.info.program_directory or None
    argv = [python, executor, *exec_arguments(request, engine_address, tracing)]
    return ProgramCommand(argv=argv, env=env, cwd=cwd)
