"""`NetNat`: a WinNAT network (`New-NetNat -InternalIPInterfaceAddressPrefix`) on a host.

The internal prefix is checked at preview (a real IPv4 network in CIDR form, no host bits)
and changing it or the name replaces the NAT. WinNAT allows one NAT network per host whose
prefix does not overlap the host's own networks; when it refuses, the error lists the NATs
already there instead of Windows' bare "The parameter is incorrect.".

At preview, a NAT that is new to the stack, or one that replaces the stack's NAT (a new
prefix or name), is checked against what WinNAT checks (one read of the host): another NAT
already on the host (not counting the one replaced, deleted first), and a prefix that
overlaps one of the host's own networks, fail the preview instead of `New-NetNat` failing
halfway through `up`. Only at
preview (the program marks registrations with `PREVIEW_INPUT`): in an update create.ps1 names
the NATs already there itself when WinNAT refuses, so the read would only cost a round trip
per NAT.

A create whose reply was lost is recognised by re-reading the NAT by name (same prefix = made
by that create); if the host cannot be re-read then, the next create adopts it (see
`PendingCreates`). A NAT that was there before is refused unless `adopt_existing`.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pulumi import Input, Output
from pulumi.dynamic import CheckFailure
from pydantic import AfterValidator

from components.providers import api
from components.remote import RemoteError

log = logging.getLogger(__name__)


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


@dataclass
class NetNatArgs:
    """Inputs of a `NetNat`, and the declaration of each property (`declared`)."""

    host: Input[str | Mapping[str, Any]] = api.declared_as(api.HOST_PROP)
    """Host that runs the NAT: a configured host name (`"l0"`) or a NestedHost's `host`."""
    name: Input[str] = api.declared(str, replaces=True)
    """NAT name, stored exactly (changing it replaces the NAT)."""
    internal_prefix: Input[str] = api.declared(IPv4Network, replaces=True)
    """Internal network in CIDR form, e.g. "192.168.100.0/24" (changing it replaces the NAT)."""
    adopt_existing: Input[bool] = api.declared_as(api.ADOPT_PROP)
    """Manage a NAT of this name that already exists (same prefix) instead of failing."""


NET_NAT = api.PropertySet.from_args(
    "NetNat",
    NetNatArgs,
    computed=[
        api.Prop("active", bool, computed=True, doc="WinNAT reports the NAT active"),
    ],
)


class NetNatProvider(api.HostBoundProvider):
    """Creates, adopts, reads and removes one WinNAT network, matched by its exact name."""

    properties = NET_NAT

    def check_inputs(self, olds: api.Props, inputs: api.Props, preview: bool) -> list[CheckFailure]:
        if any(api.is_unknown(v) for v in inputs.values()):
            return []
        if preview is False:
            return []  # an update: create.ps1 explains WinNAT's refusal itself
        replaced = _replaced_here(olds, inputs)
        if olds and replaced is None and api.equivalent(olds.get("host"), inputs.get("host")):
            return []  # the NAT in state stays as it is: it is there already
        try:
            op = self._operation(inputs, "check")
            found = op.run("host_networks", {})
        except (RemoteError, api.ProviderError) as exc:
            # A host not made yet (an L1 of this lab) or unreachable: create decides.
            log.info("check NetNat: could not read the host's networks: %s", exc)
            return []
        return _host_conflicts(inputs, found, op.ref.label(), replaced)

    def create_object(self, op: api.Operation, inputs: api.Props) -> tuple[str, api.Props]:
        name, prefix = inputs["name"], inputs["internal_prefix"]
        got = self.run_described(op, "create", {"name": name, "internal_prefix": prefix})
        where = op.ref.label()
        if got["status"] == "exists":
            op.require_adoptable(inputs, f"NetNat '{name}'")
            if got["internal_prefix"] != prefix:
                raise api.ProviderError(
                    f"NetNat '{name}' on {where} has prefix {got['internal_prefix']}, not "
                    f"{prefix}: adopting it would mean replacing it"
                )
        return name, {"active": got["active"]}

    def find_created(self, op: api.Operation, inputs: api.Props) -> tuple[str, api.Props] | None:
        actual = self.read_as_declared(op, inputs["name"], inputs)
        return None if actual is None else (inputs["name"], {"active": actual["active"]})

    def read_object(self, op: api.Operation, id_: str, props: api.Props) -> api.Props | None:
        got = self.run_described(op, "get", {"name": props["name"]})
        if not got["exists"]:
            return None
        return {"internal_prefix": got["internal_prefix"], "active": got["active"]}

    def update_object(
        self, op: api.Operation, id_: str, olds: api.Props, news: api.Props, diff: api.PropertyDiff
    ) -> api.Props:
        # Only adopt_existing can change in place; it changes nothing on the host.
        return {"active": olds.get("active")}

    def delete_object(self, op: api.Operation, id_: str, props: api.Props) -> None:
        self.run_described(op, "delete", {"name": props["name"]})


def _replaced_here(olds: Mapping[str, Any], inputs: Mapping[str, Any]) -> str | None:
    """The name of the NAT in state that this one replaces on the same host (a new name or
    prefix; it is deleted before the new one is made), or None."""
    if not olds or not api.equivalent(olds.get("host"), inputs.get("host")):
        return None
    same = all(olds.get(k) == inputs.get(k) for k in ("name", "internal_prefix"))
    return None if same else str(olds.get("name"))


def _host_conflicts(
    inputs: Mapping[str, Any], found: Mapping[str, Any], where: str, replaced: str | None = None
) -> list[CheckFailure]:
    """What WinNAT would refuse with "The parameter is incorrect.", said at preview; the NAT
    `replaced` (deleted before this one is made) does not count."""
    name, prefix = inputs["name"], ipaddress.IPv4Network(inputs["internal_prefix"])
    adopt = bool(inputs.get("adopt_existing"))
    nats = [n for n in found.get("nats") or [] if n["name"] != replaced]
    others = [n for n in nats if n["name"] != name]
    if any(n["name"] == name for n in nats) and not adopt:
        return []  # its own refusal (adopt_existing) comes from create
    failures = []
    if others:
        listed = ", ".join(f"'{n['name']}' ({n['internal_prefix']})" for n in others)
        failures.append(
            CheckFailure(
                "name",
                f"{where} already has a NetNat: {listed}; Windows allows one NAT network per "
                f"host, so '{name}' cannot be made there (remove the other one with "
                "Remove-NetNat, or put this NAT on another host)",
            )
        )
    for net in found.get("networks") or []:
        theirs = ipaddress.IPv4Network(f"{net['ip_address']}/{net['prefix_length']}", strict=False)
        if prefix.overlaps(theirs):
            failures.append(
                CheckFailure(
                    "internal_prefix",
                    f"{prefix} overlaps {theirs.with_prefixlen}, a network {where} already "
                    f"uses ({net['ip_address']} on '{net['interface_alias']}'); WinNAT refuses "
                    "an internal prefix that overlaps the host's own networks (choose another "
                    "prefix, e.g. in 192.168.0.0/16 or 172.16.0.0/12, that the host does not use)",
                )
            )
            break
    return failures


_PROVIDER = NetNatProvider()


class NetNat(api.HostBoundResource[NetNatArgs], module="hyperv", name="NetNat"):
    """A WinNAT network on a host."""

    host: Output[Any]
    name: Output[str]
    internal_prefix: Output[str]
    adopt_existing: Output[bool]
    active: Output[bool]

    dynamic_provider = _PROVIDER
    mark_preview = True


__all__ = ["NET_NAT", "IPv4Network", "NetNat", "NetNatArgs", "NetNatProvider", "ipv4_network"]
