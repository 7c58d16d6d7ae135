"""Helpers for the product e2e tests: a stack of the project's own program pointed at one
emulator, its lab description written into the stack file (or a shipped stack file used as
is), passwords set as secrets, plain PowerShell against the emulator (pywinrm) for
out-of-band changes, and the two inventories an orphan check compares: what carries the
stack's names on the emulated hosts, and what `pulumi stack export` says exists."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import winrm
import yaml

from harness.emulator import EmulatorProcess
from harness.stack import (
    GUEST_CREDENTIAL,
    GUEST_PASSWORD,
    GUEST_USER,
    IMAGE,
    IMAGE_PATH,
    IMAGES,
    REPO_ROOT,
    PulumiProject,
    set_passwords,
    stack_file,
    write_lab,
)

__all__ = [
    "GUEST_CREDENTIAL",
    "GUEST_PASSWORD",
    "GUEST_USER",
    "IMAGE",
    "IMAGES",
    "IMAGE_PATH",
    "set_passwords",
    "stack_file",
    "write_lab",
]


def small_lab(prefix_ip: str = "192.168.100") -> dict[str, Any]:
    """The seed topology, as small as it gets: one L1, a NAT inside it, one guest."""
    return {
        "nested_hosts": [
            {
                "name": "l1",
                "host": "l0",
                "credential": GUEST_CREDENTIAL,
                "image": IMAGE,
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
        "emulator_vms": [
            {
                "name": "guest",
                "nat_network": "nat",
                "image": IMAGE,
                "ip_address": f"{prefix_ip}.10",
            }
        ],
    }


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


# -- shipped stack files ---------------------------------------------------------------------

SHIPPED_STACKS = REPO_ROOT / "stacks"
NAMESPACE = "hyperv-lab"


def shipped_config(stack: str) -> dict[str, Any]:
    """The `config:` section of the shipped `stacks/Pulumi.<stack>.yaml`, as written there."""
    doc = yaml.safe_load((SHIPPED_STACKS / f"Pulumi.{stack}.yaml").read_text())
    config: dict[str, Any] = doc["config"]
    return config


def with_endpoint_port(endpoint: str, port: int) -> str:
    """`endpoint` with only its port changed (scheme, host and path stay as shipped)."""
    parts = urlsplit(endpoint)
    assert parts.hostname is not None, endpoint
    return urlunsplit(parts._replace(netloc=f"{parts.hostname}:{port}"))


def write_shipped_stack(project: PulumiProject, stack: str, emulator: EmulatorProcess) -> None:
    """Use the shipped stack file for `stack` unchanged except for each host's endpoint port,
    which becomes the test emulator's; the CLI's own encryption salt (from `stack init`)
    is kept, so the test's passphrase opens its secrets."""
    config = shipped_config(stack)
    hosts = config[f"{NAMESPACE}:hosts"]
    for host in hosts.values():
        host["endpoint"] = with_endpoint_port(host["endpoint"], emulator.port)
    path = stack_file(project, stack)
    written = yaml.safe_load(path.read_text()) if path.is_file() else None
    doc = {key: value for key, value in (written or {}).items() if key != "config"}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"config": config, **doc}, sort_keys=False))


def set_shipped_passwords(
    project: PulumiProject, stack: str, emulator: EmulatorProcess, guest_password: str
) -> None:
    """Secrets for every host (the emulator's password) and every guest login the shipped
    stack names, read from stdin by the CLI."""
    config = shipped_config(stack)
    names = [(name, emulator.password) for name in config[f"{NAMESPACE}:hosts"]] + [
        (name, guest_password) for name in config.get(f"{NAMESPACE}:credentials", {})
    ]
    for name, value in names:
        project.pulumi(
            "config", "set", "--secret", "--path", f"{NAMESPACE}:passwords.{name}", input_text=value
        )


# -- PowerShell Direct through a chain of VMs --------------------------------------------------


def in_vm_chain(
    emulator: EmulatorProcess,
    chain: Sequence[str],
    script: str,
    *,
    user: str = GUEST_USER,
    password: str = GUEST_PASSWORD,
) -> str:
    """Run `script` inside the last VM of `chain` (an L1 on the L0, an L2 inside it, ...) by
    nested `Invoke-Command -VMName ... -Credential`, as an admin would by hand; an empty
    chain runs it on the L0 itself. The names must not contain a single quote."""
    body = script
    for vm in reversed(chain):
        assert "'" not in vm, vm
        body = (
            f"Invoke-Command -VMName '{vm}' -Credential $cred -ScriptBlock "
            f"{{ $cred = $using:cred\n{body} }}"
        )
    prelude = (
        f"$pw = ConvertTo-SecureString '{password}' -AsPlainText -Force\n"
        "$cred = New-Object System.Management.Automation.PSCredential "
        f"-ArgumentList '{user}', $pw\n"
    )
    return run_ps(emulator, prelude + body)


# -- inventories for orphan checks -------------------------------------------------------------

# One machine's objects as JSON: VMs, switches and NATs, and its manually assigned IPv4
# addresses (DHCP and well-known ones are not ours to make). A machine without the Hyper-V
# or NetNat cmdlets (an L2 guest) has none of those; any other failure fails the listing.
_MACHINE_LISTING = """
function Get-LabNames {
    param([scriptblock]$List)
    try { @(& $List) }
    catch {
        if ($_.Exception.Message -notlike '*is not recognized as the name of a cmdlet*') { throw }
        @()
    }
}
$listing = @{
    vms = @(Get-LabNames { Get-VM | ForEach-Object { $_.Name } })
    switches = @(Get-LabNames { Get-VMSwitch | ForEach-Object { $_.Name } })
    nats = @(Get-LabNames {
        Get-NetNat | ForEach-Object { $_.Name + '|' + $_.InternalIPInterfaceAddressPrefix }
    })
    addresses = @(Get-NetIPAddress -AddressFamily IPv4 |
        Where-Object { $_.PrefixOrigin -eq 'Manual' } |
        ForEach-Object { $_.InterfaceAlias + '|' + $_.IPAddress + '/' + $_.PrefixLength })
}
ConvertTo-Json -InputObject $listing -Compress
"""

Item = tuple[str, ...]
"""One named object: (kind, where, ...) with `where` the VM chain from the L0 joined by '/'."""


def _where(chain: Sequence[str]) -> str:
    return "/".join(chain)


def host_inventory(
    emulator: EmulatorProcess,
    prefix: str,
    *,
    user: str = GUEST_USER,
    password: str = GUEST_PASSWORD,
) -> set[Item]:
    """Every object on the emulated hosts that carries the stack's names (`prefix`): VMs,
    switches and NetNats named `prefix...` on the L0 and, recursively, inside each such VM;
    manual IPv4 addresses on a `vEthernet (prefix...)` interface on the L0, and every manual
    IPv4 address inside one of our VMs (everything in there is ours)."""
    found: set[Item] = set()
    pending: list[tuple[str, ...]] = [()]
    while pending:
        chain = pending.pop()
        listing = json.loads(
            in_vm_chain(emulator, chain, _MACHINE_LISTING, user=user, password=password)
        )
        where = _where(chain)
        for vm in listing["vms"]:
            if vm.startswith(prefix):
                found.add(("vm", where, vm))
                pending.append((*chain, vm))
        found |= {("switch", where, s) for s in listing["switches"] if s.startswith(prefix)}
        for nat in listing["nats"]:
            name, internal_prefix = nat.split("|", 1)
            if name.startswith(prefix):
                found.add(("netnat", where, name, internal_prefix))
        for address in listing["addresses"]:
            alias, ip = address.split("|", 1)
            if chain or alias.startswith(f"vEthernet ({prefix}"):
                found.add(("ip", where, alias, ip))
    return found


_RESOURCE = "pulumi-python:dynamic/hyperv:"


def _chain_of(host: Any) -> tuple[str, ...]:
    """The VM chain a provider's `host` input names: "" for an L0, else parent + vm_name."""
    if isinstance(host, str) or host.get("host") is not None:
        return ()
    return (*_chain_of(host["parent"]), host["vm_name"])


def dynamic_resources(state: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(kind, outputs) of every hyperv dynamic resource in a `pulumi stack export`."""
    return [
        (r["type"].removeprefix(_RESOURCE), r.get("outputs") or {})
        for r in state["deployment"].get("resources") or []
        if r["type"].startswith(_RESOURCE)
    ]


def state_inventory(state: Mapping[str, Any]) -> set[Item]:
    """What `pulumi stack export` says exists, in `host_inventory`'s terms."""
    found: set[Item] = set()
    for kind, out in dynamic_resources(state):
        chain = _chain_of(out["host"])
        where = _where(chain)
        if kind == "Vm":
            found.add(("vm", where, out["name"]))
        elif kind == "VmSwitch":
            found.add(("switch", where, out["name"]))
        elif kind == "NetNat":
            found.add(("netnat", where, out["name"], out["internal_prefix"]))
        elif kind == "NetIpAddress":
            address = f"{out['ip_address']}/{out['prefix_length']}"
            found.add(("ip", where, out["interface_alias"], address))
        elif kind == "GuestNetworkConfig":
            address = f"{out['ip_address']}/{out['prefix_length']}"
            found.add(("ip", _where((*chain, out["vm_name"])), out["adapter_name"], address))
    return found


def vm_references(state: Mapping[str, Any]) -> set[Item]:
    """Every VM a resource in state works on (its `vm_name`, or the VM it runs inside), as
    ("vm", where, name) items: each must be a VM the state also creates."""
    refs: set[Item] = set()
    for _kind, out in dynamic_resources(state):
        chain = _chain_of(out["host"])
        if chain:
            refs.add(("vm", _where(chain[:-1]), chain[-1]))
        if "vm_name" in out:
            refs.add(("vm", _where(chain), out["vm_name"]))
    return refs


__all__ = [
    "GUEST_CREDENTIAL",
    "GUEST_PASSWORD",
    "IMAGE",
    "IMAGES",
    "IMAGE_PATH",
    "dynamic_resources",
    "host_inventory",
    "in_guest",
    "in_vm_chain",
    "outputs",
    "ps_json",
    "run_ps",
    "set_passwords",
    "set_shipped_passwords",
    "shipped_config",
    "small_lab",
    "state_inventory",
    "vm_names",
    "vm_references",
    "with_endpoint_port",
    "world_snapshot",
    "write_lab",
    "write_shipped_stack",
]
