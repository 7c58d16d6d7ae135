"""Shared fixtures for provider tests against the running emulator (tests/conftest.py).

lab_config        LabConfig with host "l0" = the session emulator (and a guest credential
                  "guest" for PowerShell Direct routes).
provider_factory  provider_factory(ProviderClass) -> a provider `configure()`d with that
                  config the way the Pulumi engine does it (stack config keys).
host_ps           host_ps(script) -> stdout: plain PowerShell on l0 through pywinrm's
                  `run_ps` (for out-of-band changes and independent checks).
host_json         host_json(script) -> the objects `script` outputs, as JSON data (sent back
                  as base64 UTF-8, so non-ASCII survives the console code page).
unique            unique("vm") -> a fresh name, so tests sharing the emulator never collide.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from pulumi.dynamic import ConfigureRequest

from components.config import CREDENTIALS_KEY, HOSTS_KEY, LabConfig
from components.providers.base import HostBoundProvider
from components.remote import POOL

GUEST_USER = "Administrator"
GUEST_PASSWORD = "Gu3st-\u2018pw\u2019-providers"

P = TypeVar("P", bound=HostBoundProvider)


class StackConfig:
    """What `ConfigureRequest.config` offers a provider: `.get(key)` of full config keys."""

    def __init__(self, values: dict[str, str]) -> None:
        self._values = values

    def get(self, key: str) -> str | None:
        return self._values.get(key)

    def require(self, key: str) -> str:
        return self._values[key]


@pytest.fixture
def stack_config(emulator: Any) -> StackConfig:
    hosts = {
        "l0": {
            "endpoint": emulator.endpoint,
            "user": emulator.user,
            "password": emulator.password,
            "backoff_s": 0.01,
            "script_timeout_s": 120,
        }
    }
    credentials = {"guest": {"user": GUEST_USER, "password": GUEST_PASSWORD}}
    return StackConfig({HOSTS_KEY: json.dumps(hosts), CREDENTIALS_KEY: json.dumps(credentials)})


@pytest.fixture
def lab_config(stack_config: StackConfig) -> LabConfig:
    return LabConfig.from_pulumi_config(stack_config, environ={})


@pytest.fixture
def provider_factory(stack_config: StackConfig) -> Iterator[Callable[[type[P]], P]]:
    def make(cls: type[P]) -> P:
        provider = cls()
        provider.configure(ConfigureRequest(stack_config))  # type: ignore[arg-type]
        return provider

    yield make
    POOL.close_all()


@pytest.fixture
def host_ps(emulator: Any) -> Callable[[str], str]:
    session = emulator.session()

    def run(script: str) -> str:
        result = session.run_ps(script)
        err = result.std_err.decode("utf-8", "replace")
        assert result.status_code == 0, f"PowerShell failed: {err}"
        return str(result.std_out.decode("utf-8").strip())

    return run


@pytest.fixture
def host_json(host_ps: Callable[[str], str]) -> Callable[[str], Any]:
    def run(script: str) -> Any:
        out = host_ps(
            "$result = & {\n" + script + "\n}\n"
            "$json = ConvertTo-Json -InputObject $result -Compress -Depth 5\n"
            "[Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($json))"
        )
        return json.loads(base64.b64decode(out).decode("utf-8"))

    return run


@pytest.fixture
def unique() -> Callable[[str], str]:
    def make(prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex[:8]}"

    return make


def ps_literal(value: str) -> str:
    """A PowerShell single-quoted literal (test scripts only; products pass data as JSON)."""
    for quote in "'\u2018\u2019\u201a\u201b":
        value = value.replace(quote, quote + quote)
    return f"'{value}'"


@pytest.fixture
def new_vm(host_json: Callable[[str], Any]) -> Iterator[Callable[..., str]]:
    made: list[str] = []

    def make(name: str, start: bool = False, switch: str | None = None) -> str:
        disk = "C:\\Images\\" + uuid.uuid4().hex + ".vhdx"
        script = (
            f"$vm = New-VM -Name {ps_literal(name)} -MemoryStartupBytes 1GB -Generation 2 "
            f"-NewVHDPath {ps_literal(disk)} -NewVHDSizeBytes 10GB"
            + (f" -SwitchName {ps_literal(switch)}" if switch else "")
            + "\n"
            + ("Start-VM -VM $vm\n" if start else "")
            + '"$($vm.Id)"'
        )
        vm_id = str(host_json(script))
        made.append(vm_id)
        return vm_id

    yield make
    for vm_id in made:
        host_json(
            f"$vm = Get-VM -Id {ps_literal(vm_id)} -ErrorAction SilentlyContinue\n"
            "if ($vm) { Stop-VM -VM $vm -TurnOff -Force; Remove-VM -VM $vm -Force }\n"
            "$true"
        )
