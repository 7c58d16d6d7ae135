"""The program's lab description (`hyperv-lab:lab`), typed and checked before anything exists.

A stack file describes the lab as data: nested hosts, NAT networks and the VMs on them.
Everything that can be known wrong without asking a host is refused here, at `pulumi preview`,
as ONE line naming the config key and the allowed values (a `pulumi.RunError`, which the
Python runtime prints without a traceback): unknown keys, out-of-range sizes, a host or
credential that is not configured, NAT prefixes that are not IPv4 networks, gateways and guest
addresses outside their prefix or on its network/broadcast address, duplicate names or
addresses, two NATs on one host (Windows allows one NetNat per host), and NAT prefixes that
overlap along a nesting chain (an L1's NAT inside its L0's NAT cannot route).

Also refused there: a `hyperv-lab:*` key nothing reads, a value of the wrong type (strict
models: `"4"` is not 4), a plain-text password, and host settings the providers would refuse
(`components.config` checks them, here without the password values). A lab field that becomes
a provider property takes that property's declared type and bounds (`*_PROPERTIES`), so what
the provider would refuse mid-update is refused here, under its stack-config path.

Also refused: VM images that are not configured, on another host, of another generation, or
(for a nested host) of a Windows build that cannot run Hyper-V inside a VM.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import pulumi
import yaml  # type: ignore[import-untyped]
from pulumi.runtime.config import CONFIG, get_config_env, is_config_secret
from pydantic import Field, ValidationError

from components.config import (
    CREDENTIALS_KEY,
    HOSTS_KEY,
    IMAGES_KEY,
    NAMESPACE,
    PASSWORD_ENV_PREFIX,
    PREFIX_KEY,
    ConfigError,
    ConfigSources,
    ImageSpec,
    LabConfig,
    as_object,
    check_stack_config_keys,
    parse_images,
    password_env_var,
    set_secret_command,
)
from components.lab_messages import (
    LabConfigError,
    known,
    one_line,
    overlaps_on_chain,
    unknown_credential,
    unknown_host,
)
from components.lab_models import (
    EmulatorVmSettings,
    LabModel,
    NatGuestSettings,
    NatNetworkSettings,
    NestedHostSettings,
    SwitchName,
    record_configured,
)
from components.naming import PREFIX_PATTERN, owner_id
from components.nat_addressing import AddressError, first_overlap, parse_member, plan_nat

LAB_KEY = f"{NAMESPACE}:lab"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,47}$"


class NestedHostSpec(NestedHostSettings):
    """An L1: a VM on an L0 host with nested virtualization and Hyper-V inside (its settings
    are `NestedHostSettings`, the same model `NestedHostArgs` uses)."""

    name: str = Field(pattern=NAME_PATTERN, description="VM name before the stack prefix")
    host: str = Field(description="an L0 host name from hyperv-lab:hosts")
    image: str = Field(description="a base image name from hyperv-lab:images on the same host")
    switch: SwitchName = Field(default=None, description="switch on the L0 for its adapter")


class NatGuestSpec(NatGuestSettings):
    """A VM that already exists on the NAT's host and is attached to its switch (its settings
    are `NatGuestSettings`, the same model `NatGuest` uses)."""

    vm_name: str = Field(min_length=1, description="the VM's exact name on the host")


class NatNetworkSpec(NatNetworkSettings):
    """Internal switch + gateway + NetNat on an L0 host or on a nested host (its settings are
    `NatNetworkSettings`, the same model `NatNetworkArgs` uses)."""

    name: str = Field(pattern=NAME_PATTERN, description="switch/NAT name before the prefix")
    host: str = Field(description="an L0 name from hyperv-lab:hosts or a nested host's name")
    guests: list[NatGuestSpec] = Field(default_factory=list)


class EmulatorVmSpec(EmulatorVmSettings):
    """An L2 VM the program creates on a nested host's NAT, with a static address (its settings
    are `EmulatorVmSettings`, the same model `EmulatorVmArgs` uses)."""

    name: str = Field(pattern=NAME_PATTERN, description="VM name before the stack prefix")
    nat_network: str = Field(description="name of a NAT network on a nested host")
    ip_address: str
    credential: str | None = Field(default=None, description="default: the nested host's")
    image: str = Field(
        description="a base image name from hyperv-lab:images on the nested host's L0 (it is "
        "copied into the nested host)"
    )


class LabSpec(LabModel):
    """The whole lab: nested hosts, NAT networks on L0 or L1 hosts, VMs on those NATs."""

    nested_hosts: list[NestedHostSpec] = Field(default_factory=list)
    nat_networks: list[NatNetworkSpec] = Field(default_factory=list)
    emulator_vms: list[EmulatorVmSpec] = Field(default_factory=list)

    def nested_host(self, name: str) -> NestedHostSpec | None:
        return next((h for h in self.nested_hosts if h.name == name), None)

    def nat_network(self, name: str) -> NatNetworkSpec | None:
        return next((n for n in self.nat_networks if n.name == name), None)


@dataclass(frozen=True)
class Lab:
    """A checked lab description plus the stack-wide name prefix and the base images."""

    spec: LabSpec
    prefix: str
    images: Mapping[str, ImageSpec] = field(default_factory=dict)


def parse_lab(
    raw: Any,
    *,
    hosts: Iterable[str],
    credentials: Iterable[str],
    images: Mapping[str, ImageSpec | Mapping[str, Any]] | str | None = None,
    prefix: str = "",
) -> Lab:
    """Validate `raw` (the `hyperv-lab:lab` value, JSON text or object) against the names
    configured in `hyperv-lab:hosts` / `hyperv-lab:credentials` / `hyperv-lab:images`.
    Raises LabConfigError."""
    if not PREFIX_PATTERN.match(prefix):
        raise LabConfigError(
            f"{PREFIX_KEY}: '{prefix}' is not allowed "
            "(allowed: up to 32 letters, digits, '_' or '-', e.g. dev-a-)"
        )
    data = _as_object(LAB_KEY, raw)
    try:
        spec = LabSpec.model_validate(data)
    except ValidationError as exc:
        raise LabConfigError(one_line(exc, LAB_KEY, LabSpec)) from None
    image_specs = _images(images)
    _check_references_and_addresses(spec, set(hosts), set(credentials))
    _check_images(spec, image_specs)
    return Lab(spec=spec, prefix=prefix, images=image_specs)


def _images(raw: Mapping[str, Any] | str | None) -> dict[str, ImageSpec]:
    if isinstance(raw, Mapping) and all(isinstance(v, ImageSpec) for v in raw.values()):
        return dict(raw)
    try:
        return parse_images(raw)
    except ConfigError as exc:
        raise LabConfigError(str(exc)) from None


@dataclass(frozen=True)
class StackSettings:
    """The checked stack settings a lab is built against (names only: no password)."""

    hosts: Mapping[str, Any]
    credentials: Mapping[str, Any]
    images: Any
    prefix: str
    lab: Any


def check_stack_config(environ: Mapping[str, str] | None = None) -> StackSettings:
    """Check the running program's stack config (and environment) as the YAML program does
    before its lab: no unknown `hyperv-lab:*` key, no plain-text password, a valid owner id
    and prefix, hosts and credentials the providers will accept (each password only seen to
    be there). A lab written in Python calls it first (README, "Writing a lab in Python")."""
    env = os.environ if environ is None else environ
    try:
        check_stack_config_keys(_stack_config_keys())
    except ConfigError as exc:
        raise LabConfigError(str(exc)) from None
    sources = ConfigSources.of_program(env)
    hosts = _as_object(HOSTS_KEY, sources.hosts)
    creds = _as_object(CREDENTIALS_KEY, sources.credentials)
    passwords = _as_object(f"{NAMESPACE}:passwords", sources.passwords)
    written = _stack_file_config()
    refuse_plain_passwords(
        {"hosts": hosts, "credentials": creds, "passwords": passwords},
        is_secret=lambda path: _is_secret(path, written),
    )
    if not PREFIX_PATTERN.match(sources.prefix):
        raise LabConfigError(
            f"{PREFIX_KEY}: '{sources.prefix}' is not allowed "
            "(allowed: up to 32 letters, digits, '_' or '-', e.g. dev-a-)"
        )
    owner_id()  # a wrong hyperv-lab:owner_id fails here, before anything is registered
    _check_connections(hosts, creds, passwords, env, sources.prefix, sources.journal_dir)
    record_configured(hosts, creds)  # a Python lab's args are held to these names
    return StackSettings(hosts, creds, sources.images, sources.prefix, sources.lab)


def load_lab(environ: Mapping[str, str] | None = None) -> Lab:
    """Read and check the lab from the running program's stack config (and environment)."""
    settings = check_stack_config(environ)
    if settings.lab is None:
        raise LabConfigError(
            f"{LAB_KEY}: required (allowed: an object with nested_hosts, nat_networks, "
            "emulator_vms; see stacks/Pulumi.demo.yaml)"
        )
    return parse_lab(
        settings.lab,
        hosts=settings.hosts,
        credentials=settings.credentials,
        images=settings.images,
        prefix=settings.prefix,
    )


_SET = "(set)"
"""Stands in for a password in the program's checks: the providers alone read the values."""


def _check_connections(
    hosts: Mapping[str, Any],
    creds: Mapping[str, Any],
    passwords: Mapping[str, Any],
    env: Mapping[str, str],
    prefix: str,
    journal_dir: str | None,
) -> None:
    """What the providers will build from hosts and credentials, checked now: an unknown or
    mistyped setting, a missing password or CA file fails the preview instead of each
    resource. Passwords are only seen to be there."""

    def masked(entries: Mapping[str, Any]) -> dict[str, Any]:
        return {
            name: {**body, "password": _SET}
            if isinstance(body, Mapping) and body.get("password") is not None
            else body
            for name, body in entries.items()
        }

    try:
        LabConfig.from_sources(
            hosts=masked(hosts),
            credentials=masked(creds),
            passwords=dict.fromkeys(passwords, _SET),
            prefix=prefix,
            environ={k: _SET if k.startswith(PASSWORD_ENV_PREFIX) else v for k, v in env.items()},
            journal_dir=journal_dir,
        )
    except ConfigError as exc:
        raise LabConfigError(str(exc)) from None


def refuse_plain_passwords(
    sections: Mapping[str, Mapping[str, Any]],
    *,
    is_secret: Callable[[tuple[str, ...]], bool],
) -> None:
    """A password in stack config must be a secret (`pulumi config set --secret`).

    Plain-text ones would sit readable in the stack file and in state, so they are refused
    before anything runs, with the command that stores them properly. `sections` holds the
    `hosts`, `credentials` (a `password` in an entry) and `passwords` (each entry) values;
    `is_secret` answers for one path below the namespace, e.g. ("passwords", "l0").
    """
    for section, entries in sections.items():
        for name, body in entries.items():
            if section == "passwords":
                path: tuple[str, ...] = (section, name)
            elif isinstance(body, Mapping) and body.get("password") is not None:
                path = (section, name, "password")
            else:
                continue
            if not is_secret(path):
                raise LabConfigError(
                    f"{NAMESPACE}:{'.'.join(path)}: plain-text passwords are refused "
                    f"(allowed: a secret: {set_secret_command(*path)} reads it from stdin; "
                    f"or the environment variable {password_env_var(name)})"
                )


def _stack_config_keys() -> set[str]:
    """Every key of the running program's stack config (`project:key`)."""
    return set(CONFIG.get()) | set(get_config_env())


def _is_secret(path: tuple[str, ...], written: Mapping[str, Any]) -> bool:
    """Whether the value at `hyperv-lab:<path>` was stored as a secret.

    The engine marks a whole key secret when any value inside it is (`passwords` with one
    `--secret` entry and one plain one is "secret"), so the stack file, where each secret
    value is written as `{secure: ...}`, decides for the entries it holds."""
    key = f"{NAMESPACE}:{path[0]}"
    if not is_config_secret(key):
        return False
    node: Any = written.get(key, written.get(path[0]))
    for part in path[1:]:
        if not isinstance(node, Mapping) or part not in node:
            return True  # not in the stack file (e.g. from an environment): the key decides
        node = node[part]
    return node is None or (isinstance(node, Mapping) and set(node) == {"secure"})


def _stack_file_config() -> Mapping[str, Any]:
    """The `config:` of the stack file `Pulumi.<stack>.yaml` (in the project's
    `stackConfigDir`), as written; empty when it cannot be read."""
    try:
        root = Path(pulumi.get_root_directory() or ".")
        project = yaml.safe_load((root / "Pulumi.yaml").read_text(encoding="utf-8")) or {}
        folder = root / str(project.get("stackConfigDir") or ".")
        stack_file = folder / f"Pulumi.{pulumi.get_stack()}.yaml"
        doc = yaml.safe_load(stack_file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}
    config = doc.get("config") if isinstance(doc, Mapping) else None
    return config if isinstance(config, Mapping) else {}


def _as_object(key: str, value: Any) -> dict[str, Any]:
    try:
        return as_object(key, value, "an object")
    except ConfigError as exc:
        raise LabConfigError(str(exc)) from None


# -- checks across entries -------------------------------------------------------------------


def _fail(key: str, message: str) -> LabConfigError:
    return LabConfigError(f"{LAB_KEY}.{key}: {message}")


def _unique(kind: str, names: list[str]) -> None:
    """Ignoring case: nested host names become VM names on a shared L0, which Hyper-V compares
    ignoring case, and names that differ only in case would make references between entries
    (`host`, `nat_network`) easy to get wrong."""
    seen: dict[str, int] = {}
    for index, name in enumerate(names):
        folded = name.lower()  # as components.vm_name_claims and Hyper-V compare
        if folded in seen:
            first = seen[folded]
            same = (
                ""
                if names[first] == name
                else f" as '{names[first]}' (names are compared ignoring case)"
            )
            raise _fail(
                f"{kind}[{index}].name",
                f"'{name}' is already used by {kind}[{first}]{same} (allowed: a unique name)",
            )
        seen[folded] = index


def _check_credential(key: str, name: str, credentials: set[str]) -> None:
    if name not in credentials:
        raise _fail(key, unknown_credential(name, credentials))


def _check_dns(key: str, servers: Iterable[str]) -> None:
    for index, server in enumerate(servers):
        try:
            ipaddress.IPv4Address(server)
        except ValueError:
            raise _fail(
                f"{key}[{index}]", f"'{server}' is not an IPv4 address (allowed: e.g. 8.8.8.8)"
            ) from None


def _check_references_and_addresses(spec: LabSpec, hosts: set[str], credentials: set[str]) -> None:
    _unique("nested_hosts", [h.name for h in spec.nested_hosts])
    _unique("nat_networks", [n.name for n in spec.nat_networks])
    _unique("emulator_vms", [v.name for v in spec.emulator_vms])

    nested = {h.name: h for h in spec.nested_hosts}
    for index, nh in enumerate(spec.nested_hosts):
        if nh.host not in hosts:
            raise _fail(f"nested_hosts[{index}].host", unknown_host(nh.host, hosts))
        _check_credential(f"nested_hosts[{index}].credential", nh.credential, credentials)

    networks: dict[str, IPv4Network] = {}
    nat_on_host: dict[str, int] = {}
    # Addresses taken per NAT: address -> config key that took it.
    taken: dict[str, dict[str, str]] = {}
    for index, nat in enumerate(spec.nat_networks):
        key = f"nat_networks[{index}]"
        if nat.host not in hosts and nat.host not in nested:
            allowed = known(set(hosts) | set(nested))
            raise _fail(
                f"{key}.host",
                f"unknown host '{nat.host}' (allowed: {allowed}; an L0 from {HOSTS_KEY} "
                "or a nested host)",
            )
        if nat.host in nat_on_host:
            other = nat_on_host[nat.host]
            raise _fail(
                f"{key}.host",
                f"'{nat.host}' already has nat_networks[{other}] (Windows allows one NetNat per "
                "host; allowed: a host without a NAT network)",
            )
        nat_on_host[nat.host] = index
        try:
            plan = plan_nat(
                nat.prefix,
                nat.gateway,
                [(f"guests[{i}].ip_address", g.ip_address) for i, g in enumerate(nat.guests)],
            )
        except AddressError as exc:
            raise _fail(f"{key}.{exc.field}", exc.reason) from None
        networks[nat.name] = plan.network
        taken[nat.name] = {
            str(plan.gateway): f"{key}.gateway",
            **{str(ip): f"{key}.{field}" for field, ip in plan.guests.items()},
        }
        _check_dns(f"{key}.dns_servers", nat.dns_servers)
        for g_index, guest in enumerate(nat.guests):
            g_key = f"{key}.guests[{g_index}]"
            _check_credential(f"{g_key}.credential", guest.credential, credentials)
            _check_dns(f"{g_key}.dns_servers", guest.dns_servers or [])
            if guest.gateway is not None:
                try:
                    plan_nat(str(plan.network), guest.gateway, [])
                except AddressError as exc:
                    raise _fail(f"{g_key}.gateway", exc.reason) from None

    # A NAT on an L1 must not overlap the NAT of the L0 that L1 runs on (and vice versa).
    for index, nat in enumerate(spec.nat_networks):
        chain = _ancestors(nat.host, nested)
        others = [
            (f"nat_networks[{i}] '{o.name}' on '{o.host}'", networks[o.name])
            for i, o in enumerate(spec.nat_networks)
            if i != index and o.host in chain
        ]
        clash = first_overlap(networks[nat.name], others)
        if clash is not None:
            raise _fail(
                f"nat_networks[{index}].prefix", overlaps_on_chain(networks[nat.name], *clash)
            )

    for index, vm in enumerate(spec.emulator_vms):
        key = f"emulator_vms[{index}]"
        vm_nat = spec.nat_network(vm.nat_network)
        if vm_nat is None:
            raise _fail(
                f"{key}.nat_network",
                f"unknown NAT network '{vm.nat_network}' "
                f"(allowed: {known(n.name for n in spec.nat_networks)})",
            )
        host = nested.get(vm_nat.host)
        if host is None:
            on_nested = [n.name for n in spec.nat_networks if n.host in nested]
            raise _fail(
                f"{key}.nat_network",
                f"'{vm_nat.name}' is on L0 host '{vm_nat.host}', not on a nested host "
                f"(allowed: {known(on_nested)})",
            )
        try:
            address = str(parse_member(vm.ip_address, networks[vm_nat.name], "ip_address"))
        except AddressError as exc:
            raise _fail(f"{key}.{exc.field}", exc.reason) from None
        if address in taken[vm_nat.name]:
            raise _fail(
                f"{key}.ip_address",
                f"{address} is already used by {LAB_KEY}.{taken[vm_nat.name][address]} "
                "(allowed: a free address of the NAT)",
            )
        taken[vm_nat.name][address] = f"{key}.ip_address"
        _check_credential(f"{key}.credential", vm.credential or host.credential, credentials)
        _check_dns(f"{key}.dns_servers", vm.dns_servers or [])


def _check_images(spec: LabSpec, images: Mapping[str, ImageSpec]) -> None:
    """Each VM's image: configured, on the host the VM's disk is made from, of the VM's
    generation; a nested host's image must be able to run Hyper-V inside."""
    nested = {h.name: h for h in spec.nested_hosts}
    vms: list[tuple[str, str, int, str, bool]] = [
        (f"nested_hosts[{i}]", h.image, h.generation, h.host, True)
        for i, h in enumerate(spec.nested_hosts)
    ]
    for index, vm in enumerate(spec.emulator_vms):
        nat = spec.nat_network(vm.nat_network)
        assert nat is not None and nat.host in nested  # checked before
        vms.append(
            (f"emulator_vms[{index}]", vm.image, vm.generation, nested[nat.host].host, False)
        )
    for key, name, generation, l0, runs_hyper_v in vms:
        image = images.get(name)
        if image is None:
            raise _fail(
                f"{key}.image",
                f"unknown image '{name}' (allowed: {known(images)}; define it in {IMAGES_KEY})",
            )
        if image.host != l0:
            raise _fail(
                f"{key}.image",
                f"image '{name}' is on host '{image.host}', not on '{l0}' (allowed: an image "
                f"on '{l0}')",
            )
        if image.generation != generation:
            raise _fail(
                f"{key}.image",
                f"image '{name}' is for generation {image.generation} VMs, the VM is "
                f"generation {generation} (allowed: an image of generation {generation}, or "
                f"generation: {image.generation})",
            )
        refusal = image.refuses_nested(name) if runs_hyper_v else None
        if refusal is not None:
            raise _fail(f"{key}.image", refusal)


def _ancestors(host: str, nested: Mapping[str, NestedHostSpec]) -> set[str]:
    """`host`, every host it runs on up to the L0, and every host nested below it (not its
    siblings: two L1s on one L0 may well use the same NAT prefix)."""
    up = {host}
    current = host
    while current in nested:
        current = nested[current].host
        up.add(current)
    down = {host}
    changed = True
    while changed:
        changed = False
        for name, spec in nested.items():
            if spec.host in down and name not in down:
                down.add(name)
                changed = True
    return up | down


__all__ = [
    "LAB_KEY",
    "EmulatorVmSpec",
    "Lab",
    "LabConfigError",
    "LabSpec",
    "NatGuestSpec",
    "NatNetworkSpec",
    "NestedHostSpec",
    "load_lab",
    "parse_lab",
]
