"""The IPv4 plan of a NAT network, checked before anything is created.

Windows accepts a NetNat prefix, a gateway and guest addresses that can never work together
(gateway outside the prefix, a guest on the broadcast address, two guests with one address);
the failure then shows up much later as a guest without connectivity. These checks turn such a
plan into one error naming the field and what is allowed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network


class AddressError(ValueError):
    """A bad NAT address plan: `field` is the offending field, the message says what is allowed."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message


def parse_prefix(text: str, field: str = "prefix") -> IPv4Network:
    """A strict IPv4 network in CIDR form, e.g. 192.168.100.0/24 (host bits must be zero)."""
    try:
        network = ipaddress.IPv4Network(str(text), strict=True)
    except ValueError as exc:
        hint = _strict_hint(str(text))
        raise AddressError(
            field, f"'{text}' is not an IPv4 network in CIDR form ({hint or exc})"
        ) from None
    if "/" not in str(text):
        raise AddressError(
            field, f"'{text}' needs a prefix length, e.g. {network.network_address}/24"
        )
    if network.prefixlen > 30:
        raise AddressError(
            field, f"'{text}' is too small for a gateway and a guest (allowed: /1 to /30)"
        )
    if network.prefixlen < 1:
        raise AddressError(field, f"'{text}' is the whole address space (allowed: /1 to /30)")
    return network


def _strict_hint(text: str) -> str:
    try:
        loose = ipaddress.IPv4Network(text, strict=False)
    except ValueError:
        return ""
    return f"host bits set; did you mean {loose}?"


def usable_range(network: IPv4Network) -> str:
    """`first - last` usable host addresses, for messages."""
    return f"{network.network_address + 1} - {network.broadcast_address - 1}"


def parse_member(text: str, network: IPv4Network, field: str) -> IPv4Address:
    """An address inside `network` that is neither its network nor its broadcast address."""
    try:
        address = ipaddress.IPv4Address(str(text))
    except ValueError:
        raise AddressError(
            field, f"'{text}' is not an IPv4 address (allowed: {usable_range(network)})"
        ) from None
    if address not in network:
        raise AddressError(
            field, f"{address} is outside {network} (allowed: {usable_range(network)})"
        )
    if address in (network.network_address, network.broadcast_address):
        kind = "network" if address == network.network_address else "broadcast"
        raise AddressError(
            field,
            f"{address} is the {kind} address of {network} (allowed: {usable_range(network)})",
        )
    return address


@dataclass(frozen=True)
class NatPlan:
    """A checked NAT plan: the network, its gateway and the guests' addresses by field."""

    network: IPv4Network
    gateway: IPv4Address
    guests: dict[str, IPv4Address]

    @property
    def prefix_length(self) -> int:
        return self.network.prefixlen


def plan_nat(
    prefix: str,
    gateway: str | None,
    guests: Iterable[tuple[str, str]],
    *,
    prefix_field: str = "prefix",
    gateway_field: str = "gateway",
) -> NatPlan:
    """Check a whole plan. `guests` is (field, address) pairs; the gateway defaults to the
    first usable address. Raises AddressError for the first problem found."""
    network = parse_prefix(prefix, prefix_field)
    gw = (
        network.network_address + 1
        if gateway is None
        else parse_member(gateway, network, gateway_field)
    )
    taken: dict[IPv4Address, str] = {gw: gateway_field}
    addresses: dict[str, IPv4Address] = {}
    for field, text in guests:
        address = parse_member(text, network, field)
        if address in taken:
            raise AddressError(field, f"{address} is already used by {taken[address]}")
        taken[address] = field
        addresses[field] = address
    return NatPlan(network, gw, addresses)


def first_overlap(
    network: IPv4Network, others: Iterable[tuple[str, IPv4Network]]
) -> tuple[str, IPv4Network] | None:
    """The first (label, network) in `others` that overlaps `network`, if any."""
    for label, other in others:
        if network.overlaps(other):
            return label, other
    return None


__all__ = [
    "AddressError",
    "NatPlan",
    "first_overlap",
    "parse_member",
    "parse_prefix",
    "plan_nat",
    "usable_range",
]
