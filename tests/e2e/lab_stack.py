"""Helpers for the product e2e tests: a stack of the project's own program pointed at one
emulator, its lab description written into the stack file, passwords set as secrets, and
plain PowerShell against the emulator (pywinrm) for out-of-band changes and listings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import winrm
import yaml

from tests.e2e.conftest import EmulatorProcess, PulumiProject

GUEST_CREDENTIAL = "lab-admin"
GUEST_USER = "Administrator"
GUEST_PASSWORD = "Guest-e2e-Passw0rd!"  # throwaway, tests only


def small_lab(prefix_ip: str = "192.168.100") -> dict[str, Any]:
    """The seed topology, as small as it gets: one L1, a NAT inside it, one guest."""
    return {
        "nested_hosts": [
            {
                "name": "l1",
                "host": "l0",
                "credential": GUEST_CREDENTIAL,
                "switch": "External",
                "memory_startup_mb": 4096,
            }
        ],
        "nat_networks": [
            {
                "name": "nat",
                "host": "l1",
                "prefix": f"{prefix_ip}.0/24",
                "dns_servers": ["8.8.8.8"],
            }
        ],
        "emulator_vms": [{"name": "guest", "nat_network": "nat", "ip_address": f"{prefix_ip}.10"}],
    }


def stack_file(project: PulumiProject, stack: str) -> Path:
    return project.directory / "stacks" / f"Pulumi.{stack}.yaml"


def write_lab(
    project: PulumiProject,
    stack: str,
    emulator: EmulatorProcess,
    lab: dict[str, Any],
    *,
    prefix: str = "",
) -> None:
    """Put hosts, credentials, prefix and the lab into the stack file (keeping what the CLI
    wrote there, e.g. the encryption salt and secrets)."""
    path = stack_file(project, stack)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = yaml.safe_load(path.read_text()) if path.is_file() else None
    doc = doc or {}
    config = doc.setdefault("config", {})
    config["hyperv-lab:hosts"] = {"l0": {"endpoint": emulator.url, "user": emulator.user}}
    config["hyperv-lab:credentials"] = {GUEST_CREDENTIAL: {"user": GUEST_USER}}
    config["hyperv-lab:lab"] = lab
    if prefix:
        config["hyperv-lab:prefix"] = prefix
    else:
        config.pop("hyperv-lab:prefix", None)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def set_passwords(project: PulumiProject, emulator: EmulatorProcess) -> None:
    """Both passwords as `--secret` config values (read from stdin, never on a command line)."""
    for name, value in (("l0", emulator.password), (GUEST_CREDENTIAL, GUEST_PASSWORD)):
        project.pulumi(
            "config", "set", "--secret", "--path", f"hyperv-lab:passwords.{name}", input_text=value
        )


def run_ps(emulator: EmulatorProcess, script: str) -> str:
    """Plain PowerShell on the emulated L0 over WinRM (NTLM), as an admin would by hand."""
    session = winrm.Session(emulator.url, auth=(emulator.user, emulator.password), transport="ntlm")
    result = session.run_ps(script)
    if result.status_code != 0:
        raise AssertionError(
            f"PowerShell failed ({result.status_code}): {result.std_err.decode(errors='replace')}"
        )
    return result.std_out.decode("utf-8", errors="replace").strip()


def ps_json(emulator: EmulatorProcess, script: str) -> Any:
    """Run `script` (which ends in ConvertTo-Json) and parse it; "" -> None."""
    text = run_ps(emulator, script)
    return json.loads(text) if text else None


def vm_names(emulator: EmulatorProcess) -> list[str]:
    """VM names on the L0."""
    names = ps_json(emulator, "ConvertTo-Json -InputObject @(Get-VM | ForEach-Object { $_.Name })")
    return sorted(names or [])


def in_guest(emulator: EmulatorProcess, vm_name: str, script: str) -> str:
    """Run `script` inside the L1 `vm_name` by PowerShell Direct, as an admin would."""
    wrapper = (
        f"$pw = ConvertTo-SecureString '{GUEST_PASSWORD}' -AsPlainText -Force\n"
        f"$cred = New-Object System.Management.Automation.PSCredential -ArgumentList '{GUEST_USER}', $pw\n"
        f"Invoke-Command -VMName '{vm_name}' -Credential $cred -ScriptBlock {{ {script} }}"
    )
    return run_ps(emulator, wrapper)


def outputs(project: PulumiProject) -> dict[str, Any]:
    return json.loads(project.pulumi("stack", "output", "--json").stdout)


def world_snapshot(emulator: EmulatorProcess) -> str:
    """`hypervsim show` of the saved world: stops the emulator and starts it again."""
    emulator.stop()
    shown = emulator.show()
    emulator.start()
    return shown


__all__ = [
    "GUEST_CREDENTIAL",
    "GUEST_PASSWORD",
    "in_guest",
    "outputs",
    "ps_json",
    "run_ps",
    "set_passwords",
    "small_lab",
    "vm_names",
    "world_snapshot",
    "write_lab",
]
