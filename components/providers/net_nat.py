"""`NetNat`: a WinNAT network (`New-NetNat -InternalIPInterfaceAddressPrefix`) on a host.

The internal prefix is checked at preview (a real IPv4 network in CIDR form, no host bits)
and changing it or the name replaces the NAT. WinNAT allows one NAT network per host whose
prefix does not overlap the host's own networks; when it refuses, the error lists the NATs
already there instead of Windows' bare "The parameter is incorrect.".

A create whose reply was lost is recognised by re-reading the NAT by name (same prefix = made
by that create); if the host cannot be re-read then, the next create adopts it (see
`PendingCreates`). A NAT that was there before is refused unless `adopt_existing`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import pulumi
from pulumi import Input, Output, ResourceOptions
from pydantic import AfterValidator

from components.providers.base import (
    ADOPT_PROP,
    HOST_PROP,
    HostBoundProvider,
    Operation,
    ProviderError,
)
from components.providers.properties import Prop, PropertyDiff, PropertySet


def ipv4_network(value: str) -> str:
    """The canonical `a.b.c.d/n` form of an IPv4 network; a clear error otherwise."""
    text = value.strip()
    if "/" not in text:
        raise ValueError(f"'{value}' is not in CIDR form, e.g. 192.168.100.0/24")
    try:
        network = ipaddress.IPv4Network(text, strict=False)
    except ValueError:
        raise ValueError(f"'{value}' is not an IPv4 network, e.g. 192.168.100.0/24") from None
    if str(network.network_address) != text.split("/", 1)[0]:
        raise ValueError(f"'{value}' has host bits set; the network is {network.with_prefixlen}")
    return network.with_prefixlen


IPv4Network = Annotated[str, AfterValidator(ipv4_network)]

NET_NAT = PropertySet(
    "NetNat",
    [
        HOST_PROP,
        Prop("name", str, replaces=True, doc="NAT name (stored exactly)"),
        Prop("internal_prefix", IPv4Network, replaces=True, doc="internal network, CIDR"),
        ADOPT_PROP,
        Prop("active", bool, computed=True, doc="WinNAT reports the NAT active"),
    ],
)


class NetNatProvider(HostBoundProvider):
    """Creates, adopts, reads and removes one WinNAT network, matched by its exact name."""

    properties = NET_NAT

    def create_object(self, op: Operation, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        name, prefix = inputs["name"], inputs["internal_prefix"]
        got = self.run_described(op, "create", {"name": name, "internal_prefix": prefix})
        where = op.ref.label()
        if got["status"] == "exists":
            if not op.may_adopt(inputs):
                raise ProviderError(
                    f"NetNat '{name}' already exists on {where}; "
                    "set adopt_existing=True to manage it"
                )
            if got["internal_prefix"] != prefix:
                raise ProviderError(
                    f"NetNat '{name}' on {where} has prefix {got['internal_prefix']}, not "
                    f"{prefix}: adopting it would mean replacing it"
                )
        return name, {"active": got["active"]}

    def find_created(
        self, op: Operation, inputs: dict[str, Any]
    ) -> tuple[str, dict[str, Any]] | None:
        actual = self.read_as_declared(op, inputs["name"], inputs)
        return None if actual is None else (inputs["name"], {"active": actual["active"]})

    def read_object(self, op: Operation, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        got = self.run_described(op, "get", {"name": props["name"]})
        if not got["exists"]:
            return None
        return {"internal_prefix": got["internal_prefix"], "active": got["active"]}

    def update_object(
        self,
        op: Operation,
        id_: str,
        olds: dict[str, Any],
        news: dict[str, Any],
        diff: PropertyDiff,
    ) -> dict[str, Any]:
        # Only adopt_existing can change in place; it changes nothing on the host.
        return {"active": olds.get("active")}

    def delete_object(self, op: Operation, id_: str, props: dict[str, Any]) -> None:
        self.run_described(op, "delete", {"name": props["name"]})


_PROVIDER = NetNatProvider()


@dataclass
class NetNatArgs:
    """Inputs of a `NetNat`."""

    host: Input[str | Mapping[str, Any]]
    """Host that runs the NAT: a configured host name (`"l0"`) or a NestedHost's `host`."""
    name: Input[str]
    """NAT name, stored exactly (changing it replaces the NAT)."""
    internal_prefix: Input[str]
    """Internal network in CIDR form, e.g. "192.168.100.0/24" (changing it replaces the NAT)."""
    adopt_existing: Input[bool] = False
    """Manage a NAT of this name that already exists (same prefix) instead of failing."""


class NetNat(pulumi.dynamic.Resource, module="hyperv", name="NetNat"):
    """A WinNAT network on a host."""

    host: Output[Any]
    name: Output[str]
    internal_prefix: Output[str]
    adopt_existing: Output[bool]
    active: Output[bool]

    def __init__(
        self, resource_name: str, args: NetNatArgs, opts: ResourceOptions | None = None
    ) -> None:
        props: dict[str, Any] = {
            "host": args.host,
            "name": args.name,
            "internal_prefix": args.internal_prefix,
            "adopt_existing": args.adopt_existing,
            "active": None,
        }
        super().__init__(_PROVIDER, resource_name, props, opts)


__all__ = ["NET_NAT", "IPv4Network", "NetNat", "NetNatArgs", "NetNatProvider", "ipv4_network"]
