"""`NatNetwork`: an internal switch with a NAT to the outside, on an L0 or an L1 host.

Windows' recipe, in order: an Internal VM switch, the gateway address on the host's side of
it (`vEthernet (<switch>)`), then one NetNat for the prefix. Guests on that switch get a
static address, the gateway and DNS servers set inside them (PowerShell Direct). The address
plan is checked before anything is created (see `components.nat_addressing`), and a program
cannot declare two NATs on one host (Windows allows one NetNat per host).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from ipaddress import IPv4Network
from typing import TYPE_CHECKING, Any, TypeAlias

import pulumi
from pydantic import InstanceOf, field_validator

from components.lab_messages import LabArgsError, overlaps_on_chain
from components.lab_models import (
    ComponentArgs,
    NatGuestSettings,
    NatNetworkSettings,
    configured_credential,
    configured_host,
)
from components.naming import prefixed
from components.nat_addressing import AddressError, NatPlan, first_overlap, plan_nat
from components.nested_host import HostInput, NestedHost
from components.program_scope import program_registry
from components.providers.guest_network_config import (
    GuestNetworkConfig,
    GuestNetworkConfigArgs,
)
from components.providers.net_ip_address import NetIpAddress, NetIpAddressArgs
from components.providers.net_nat import NetNat, NetNatArgs
from components.providers.vm_switch import VmSwitch, VmSwitchArgs
from components.vm_name_claims import host_key

TYPE_TOKEN = "hyperv-lab:index:NatNetwork"

if TYPE_CHECKING:
    VmNameArg: TypeAlias = pulumi.Input[str]
    NatHostArg: TypeAlias = NestedHost | pulumi.Input[HostInput]
else:  # NestedHosts and pulumi Outputs are passed through as they are
    VmNameArg = Any
    NatHostArg = Any


class NatGuest(ComponentArgs, NatGuestSettings):
    """A VM already attached to the NAT's switch whose guest OS gets a static address: the
    settings a lab's `guests[]` entry has (`NatGuestSettings`: ip_address, credential, gateway,
    dns_servers, adapter_name), plus the VM as a Python value."""

    vm_name: VmNameArg
    """The VM's name on the NAT's host (pass a resource output to order after it)."""

    name: str | None = None
    """Logical name for the Pulumi resource; defaults to `vm_name` when that is a string."""

    _configured_credential = field_validator("credential")(configured_credential)


class NatNetworkArgs(ComponentArgs, NatNetworkSettings):
    """Where the NAT lives and its address plan: the settings a lab's `nat_networks[]` entry
    has (`NatNetworkSettings`: prefix, gateway, dns_servers, adopt_existing), plus the host as
    a Python value, the names and the guests."""

    host: NatHostArg
    """The Hyper-V host: an L0 name from `hyperv-lab:hosts`, a NestedHost, or a `host` route."""

    switch_name: str | None = None
    """Internal switch name before the stack prefix; defaults to the component's name."""

    nat_name: str | None = None
    """NetNat name before the stack prefix; defaults to the switch name."""

    guests: Sequence[InstanceOf[NatGuest]] = ()
    """VMs already attached to the switch whose guest addresses this component manages."""

    _configured_host = field_validator("host")(configured_host)


def _declared() -> dict[str, tuple[str, IPv4Network]]:
    """NATs this program run declared, per target host key (one NetNat per host)."""
    return program_registry("nat-networks")


def _host_key(host: Any) -> str | None:
    """A comparable name for the target host when known at construction time."""
    return host_key(host, host._name if isinstance(host, NestedHost) else None)


def _claim_host(component: str, key: str | None, network: IPv4Network) -> None:
    if key is None:
        return
    declared = _declared()
    if key in declared and declared[key][0] != component:
        other, other_net = declared[key]
        label = key.split(":", 1)[1]
        overlap = first_overlap(network, [(other, other_net)])
        why = f" and {network} overlaps its {other_net}" if overlap else ""
        raise ValueError(
            f"NatNetwork '{component}' host: '{label}' already has NatNetwork '{other}'{why} "
            "(Windows allows one NetNat per host; allowed: a host without a NatNetwork)"
        )
    declared[key] = (component, network)


def _chain(host: Any) -> tuple[str, ...]:
    """The host keys from `host` up to its L0, as far as they are known at declaration (a
    NestedHost on a host given as a route or an Output ends the chain there)."""
    key = _host_key(host)
    if key is None:
        return ()
    return (key, *_chain(host.parent_host)) if isinstance(host, NestedHost) else (key,)


def _claim_prefix(component: str, chain: tuple[str, ...], network: IPv4Network) -> None:
    """Refuse a prefix overlapping a NAT above or below on the same nesting chain (an L1's NAT
    inside the NAT of the L0 it runs on cannot route), as `parse_lab` does for the YAML;
    NATs of sibling L1s may share a prefix."""
    if not chain:
        return
    declared: dict[str, tuple[tuple[str, ...], IPv4Network]] = program_registry("nat-chains")
    others = [
        (f"NatNetwork '{other}' on '{o_chain[0].split(':', 1)[1]}'", o_net)
        for other, (o_chain, o_net) in declared.items()
        if other != component and (chain[0] in o_chain or o_chain[0] in chain)
    ]
    clash = first_overlap(network, others)
    if clash is not None:
        raise LabArgsError(f"NatNetwork '{component}' prefix: {overlaps_on_chain(network, *clash)}")
    declared[component] = (chain, network)


class NatNetwork(pulumi.ComponentResource):
    """Internal switch + gateway address + NetNat on one host, and its guests' addresses."""

    host: pulumi.Output[Any]
    switch_name: pulumi.Output[str]
    nat_name: pulumi.Output[str]
    prefix: pulumi.Output[str]
    prefix_length: pulumi.Output[int]
    gateway: pulumi.Output[str]
    dns_servers: pulumi.Output[list[str]]
    guests: pulumi.Output[list[dict[str, Any]]]
    host_key: str | None
    """The NAT's host as `components.vm_name_claims` compares hosts (None: known only later)."""

    def __init__(
        self, name: str, args: NatNetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        self.plan = _plan(name, args)
        self.host_key = _host_key(args.host)
        self.nested_host = args.host if isinstance(args.host, NestedHost) else None
        """The NestedHost this NAT is inside, when it was given as one (images come through it)."""
        _claim_host(name, self.host_key, self.plan.network)
        _claim_prefix(name, _chain(args.host), self.plan.network)
        super().__init__(TYPE_TOKEN, name, None, opts)
        self._component_name = name
        self._claimed: dict[str, str] = {
            str(self.plan.gateway): "gateway",
            **{str(ip): label for label, ip in self.plan.guests.items()},
        }
        host: pulumi.Input[Any] = args.host.host if isinstance(args.host, NestedHost) else args.host
        switch_name = prefixed(args.switch_name or name, args.name_prefix)
        nat_name = prefixed(args.nat_name, args.name_prefix) if args.nat_name else switch_name
        # Inside an L1: deleted with it. A destroy that deletes the L1 skips these deletes
        # (they would need the L1 running, and its delete removes them all); when the L1 stays,
        # they are deleted inside it as usual.
        self.inside_vm = self.nested_host.vm_resource if self.nested_host else None
        child = pulumi.ResourceOptions(parent=self, deleted_with=self.inside_vm)

        switch = VmSwitch(
            f"{name}-switch",
            VmSwitchArgs(
                host=host,
                name=switch_name,
                switch_type="Internal",
                adopt_existing=args.adopt_existing,
            ),
            child,
        )
        gateway = NetIpAddress(
            f"{name}-gateway",
            NetIpAddressArgs(
                host=host,
                # What Windows calls the host side of an Internal switch.
                interface_alias=pulumi.Output.all(switch.host_adapter, switch.name).apply(
                    lambda v: str(v[0] or f"vEthernet ({v[1]})")
                ),
                ip_address=str(self.plan.gateway),
                prefix_length=self.plan.prefix_length,
                adopt_existing=args.adopt_existing,
            ),
            # The host adapter (and its address) goes away with the switch.
            pulumi.ResourceOptions(parent=self, replace_with=[switch], deleted_with=self.inside_vm),
        )
        nat = NetNat(
            f"{name}-nat",
            NetNatArgs(
                host=host,
                name=nat_name,
                internal_prefix=str(self.plan.network),
                adopt_existing=args.adopt_existing,
            ),
            pulumi.ResourceOptions(parent=self, depends_on=[gateway], deleted_with=self.inside_vm),
        )
        self._nat = nat
        self._switch = switch

        configured = []
        for index, guest in enumerate(args.guests):
            label = _guest_label(guest, index)
            config = GuestNetworkConfig(
                f"{name}-{label}",
                GuestNetworkConfigArgs(
                    host=host,
                    vm_name=guest.vm_name,
                    credential=guest.credential,
                    adapter_name=guest.adapter_name,
                    ip_address=guest.ip_address,
                    prefix_length=self.plan.prefix_length,
                    gateway=guest.gateway or str(self.plan.gateway),
                    dns_servers=list(
                        guest.dns_servers if guest.dns_servers is not None else args.dns_servers
                    ),
                ),
                pulumi.ResourceOptions(
                    parent=self, depends_on=[nat, switch], deleted_with=self.inside_vm
                ),
            )
            configured.append(
                pulumi.Output.all(guest.vm_name, config.ip_address, config.internet_reachable)
            )

        self.host = pulumi.Output.from_input(host)
        self.switch_name = switch.name
        self.nat_name = nat.name
        self.prefix = nat.internal_prefix
        self.prefix_length = pulumi.Output.from_input(self.plan.prefix_length)
        self.gateway = gateway.ip_address
        self.dns_servers = pulumi.Output.from_input(list(args.dns_servers))
        self.guests = pulumi.Output.all(*configured).apply(
            lambda rows: [
                {"vm_name": r[0], "ip_address": r[1], "internet_reachable": r[2]} for r in rows
            ]
        )
        self.register_outputs(
            {
                "host": self.host,
                "switch_name": self.switch_name,
                "nat_name": self.nat_name,
                "prefix": self.prefix,
                "prefix_length": self.prefix_length,
                "gateway": self.gateway,
                "dns_servers": self.dns_servers,
                "guests": self.guests,
            }
        )

    @property
    def ready(self) -> pulumi.Resource:
        """The resource that completes the NAT: depend on it before configuring a guest."""
        return self._nat

    @property
    def switch(self) -> pulumi.Resource:
        """The internal switch: VM adapters on it must be reconnected if it is replaced."""
        return self._switch

    def claim_address(self, ip_address: str, owner: str) -> None:
        """Reserve a guest address on this NAT for `owner`; ValueError if it cannot be used."""
        try:
            plan_nat(
                str(self.plan.network),
                str(self.plan.gateway),
                [("ip_address", ip_address)],
            )
        except AddressError as exc:
            raise ValueError(f"{owner} {exc}") from None
        taken = self._claimed.get(str(ip_address))
        if taken is not None:
            raise ValueError(
                f"{owner} ip_address: {ip_address} is already used by {taken} "
                f"of NatNetwork '{self._component_name}'"
            )
        self._claimed[str(ip_address)] = owner


def _guest_label(guest: NatGuest, index: int) -> str:
    if guest.name:
        return guest.name
    if isinstance(guest.vm_name, str):
        return guest.vm_name
    raise ValueError(
        f"NatNetwork guests[{index}].name: required when vm_name is not a plain string"
    )


def _plan(name: str, args: NatNetworkArgs) -> NatPlan:
    """Check the address plan before anything is created; ValueError naming the field."""
    try:
        return plan_nat(
            args.prefix,
            args.gateway,
            [(f"guests[{i}].ip_address", g.ip_address) for i, g in enumerate(args.guests)],
        )
    except AddressError as exc:
        raise ValueError(f"NatNetwork '{name}' {exc}") from None


def known_nats() -> Mapping[str, tuple[str, IPv4Network]]:
    """NATs declared so far in this program run, by host key (for tests and diagnostics)."""
    return dict(_declared())


__all__ = ["TYPE_TOKEN", "NatGuest", "NatNetwork", "NatNetworkArgs", "known_nats"]
