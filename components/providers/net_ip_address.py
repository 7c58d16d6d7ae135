"""`NetIpAddress`: a static IPv4 address on a host interface (the NAT gateway on
`vEthernet (<switch>)`, as in Microsoft's nested-virtualization NAT procedure).

All of interface, address and prefix force a replacement (Windows identifies the address by
them). The interface is found by its exact name, case-insensitively as Windows does.

A create whose reply was lost is recognised by re-reading the address (same prefix = made by
that create); if the host cannot be re-read then, the next create adopts it (see
`PendingCreates`). An address that was there before is refused unless `adopt_existing`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pulumi import Input, Output
from pulumi.dynamic import CheckFailure, CheckResult
from pydantic import Field
from pydantic.networks import IPv4Address

from components.providers import api

PrefixLength = Annotated[int, Field(ge=1, le=32)]


@dataclass
class NetIpAddressArgs:
    """Inputs of a `NetIpAddress`, and the declaration of each property (`declared`)."""

    host: Input[str | Mapping[str, Any]] = api.declared_as(api.HOST_PROP)
    """Host that owns the interface: a configured host name or a NestedHost's `host`."""
    interface_alias: Input[str] = api.declared(str, replaces=True)
    """Interface name, e.g. "vEthernet (VmNAT)" (an Internal switch's host vNIC)."""
    ip_address: Input[str] = api.declared(IPv4Address, replaces=True)
    """IPv4 address, e.g. "192.168.100.1"."""
    prefix_length: Input[int] = api.declared(PrefixLength, replaces=True)
    """Prefix length of the address' network, 1..32."""
    adopt_existing: Input[bool] = api.declared_as(api.ADOPT_PROP)
    """Manage this address if the interface already has it, instead of failing."""


NET_IP_ADDRESS = api.PropertySet.from_args(
    "NetIpAddress",
    NetIpAddressArgs,
    computed=[
        api.Prop("interface_index", int, computed=True, doc="Windows' ifIndex of the interface"),
    ],
)


def host_address_problem(ip: str, prefix_length: int) -> str | None:
    """Why `ip`/`prefix_length` cannot be a host's address (network or broadcast), or None."""
    if prefix_length >= 31:
        return None
    net = ipaddress.IPv4Network(f"{ip}/{prefix_length}", strict=False)
    if ipaddress.IPv4Address(ip) == net.network_address:
        return f"{ip} is the network address of {net.with_prefixlen}"
    if ipaddress.IPv4Address(ip) == net.broadcast_address:
        return f"{ip} is the broadcast address of {net.with_prefixlen}"
    return None


class NetIpAddressProvider(api.HostBoundProvider):
    """Adds, adopts, reads and removes one IPv4 address on one interface."""

    properties = NET_IP_ADDRESS

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        result = super().check(olds, news)
        ip, prefix = result.inputs.get("ip_address"), result.inputs.get("prefix_length")
        if not result.failures and isinstance(prefix, int) and not api.is_unknown(ip):
            problem = host_address_problem(str(ip), prefix)
            if problem:
                result.failures.append(CheckFailure("ip_address", problem))
        return result

    def create_object(self, op: api.Operation, inputs: api.Props) -> tuple[str, api.Props]:
        alias, ip = inputs["interface_alias"], inputs["ip_address"]
        got = self.run_described(
            op,
            "create",
            {
                "interface_alias": alias,
                "ip_address": ip,
                "prefix_length": inputs["prefix_length"],
                "adopt_existing": op.may_adopt(inputs),
            },
        )
        if got["status"] == "exists":
            op.require_adoptable(inputs, f"NetIpAddress '{ip}' on '{alias}'")
        return f"{alias}|{ip}", {"interface_index": got["interface_index"]}

    def find_created(self, op: api.Operation, inputs: api.Props) -> tuple[str, api.Props] | None:
        id_ = f"{inputs['interface_alias']}|{inputs['ip_address']}"
        actual = self.read_as_declared(op, id_, inputs)
        return None if actual is None else (id_, {"interface_index": actual["interface_index"]})

    def read_object(self, op: api.Operation, id_: str, props: api.Props) -> api.Props | None:
        got = self.run_described(
            op,
            "get",
            {"interface_alias": props["interface_alias"], "ip_address": props["ip_address"]},
        )
        if not got["exists"]:
            return None
        return {"prefix_length": got["prefix_length"], "interface_index": got["interface_index"]}

    def update_object(
        self, op: api.Operation, id_: str, olds: api.Props, news: api.Props, diff: api.PropertyDiff
    ) -> api.Props:
        # Only adopt_existing can change in place; it changes nothing on the host.
        return {"interface_index": olds.get("interface_index")}

    def delete_object(self, op: api.Operation, id_: str, props: api.Props) -> None:
        self.run_described(
            op,
            "delete",
            {"interface_alias": props["interface_alias"], "ip_address": props["ip_address"]},
        )


_PROVIDER = NetIpAddressProvider()


class NetIpAddress(api.HostBoundResource[NetIpAddressArgs], module="hyperv", name="NetIpAddress"):
    """A static IPv4 address on a host interface."""

    host: Output[Any]
    interface_alias: Output[str]
    ip_address: Output[str]
    prefix_length: Output[int]
    adopt_existing: Output[bool]
    interface_index: Output[int]

    dynamic_provider = _PROVIDER


__all__ = [
    "NET_IP_ADDRESS",
    "NetIpAddress",
    "NetIpAddressArgs",
    "NetIpAddressProvider",
    "host_address_problem",
]
