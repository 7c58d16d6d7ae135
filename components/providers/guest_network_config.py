"""`GuestNetworkConfig`: a static IPv4 address, default gateway and DNS servers on an adapter
inside a VM's guest, set through PowerShell Direct (no network path to the guest needed).

`host` names the Hyper-V host that RUNS the VM; the scripts run inside the guest over the
framework's guest route (`{"parent": host, "vm_name": vm_name, "credential": credential}`),
which waits (bounded) for the guest to answer. Address, prefix, gateway and DNS change in
place (the new address is added before the old one is removed). After configuring, the guest
runs `Test-NetConnection 8.8.8.8` and reports `internet_reachable`; read measures it again.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from pulumi import Input, Output
from pulumi.dynamic import CheckFailure, CheckResult, DiffResult
from pydantic import Field
from pydantic.networks import IPv4Address

from components.config import ConfigError
from components.providers import api
from components.providers.vm_power_state import without_unknown_boot

log = logging.getLogger(__name__)

PrefixLength = Annotated[int, Field(ge=1, le=32)]
CredentialName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")]

GUEST_NETWORK_CONFIG = api.PropertySet(
    "GuestNetworkConfig",
    [
        api.HOST_PROP,
        api.Prop("vm_name", str, replaces=True, doc="the VM whose guest is configured"),
        api.Prop("credential", CredentialName, doc="guest login: a name in hyperv-lab:credentials"),
        api.Prop(
            "adapter_name", str, default="Ethernet", replaces=True, doc="adapter in the guest"
        ),
        api.Prop("ip_address", IPv4Address),
        api.Prop("prefix_length", PrefixLength),
        api.Prop("gateway", IPv4Address | None, default=None, doc="default gateway (on-link)"),
        api.Prop("dns_servers", list[IPv4Address], default=[], doc="DNS servers, in order"),
        api.Prop(
            "parent_boot",
            str | None,
            default=None,
            doc="`NestedHost.boot` of the L1 that runs the VM: a new one re-applies and "
            "re-measures",
        ),
        api.Prop("internet_reachable", bool, computed=True, doc="8.8.8.8 answers from the guest"),
    ],
)


def address_problems(ip: str, prefix_length: int, gateway: str | None) -> list[tuple[str, str]]:
    """(property, reason) for an address that cannot work: network/broadcast, gateway off-link."""
    problems: list[tuple[str, str]] = []
    net = ipaddress.IPv4Network(f"{ip}/{prefix_length}", strict=False)
    addr = ipaddress.IPv4Address(ip)
    if prefix_length <= 30 and addr in (net.network_address, net.broadcast_address):
        which = "network" if addr == net.network_address else "broadcast"
        problems.append(("ip_address", f"{ip} is the {which} address of {net.with_prefixlen}"))
    if gateway is not None:
        gw = ipaddress.IPv4Address(gateway)
        if gw not in net:
            problems.append(("gateway", f"{gateway} is not inside {net.with_prefixlen}"))
        elif gw == addr:
            problems.append(("gateway", f"{gateway} is the guest's own address"))
    return problems


class GuestNetworkConfigProvider(api.HostBoundProvider):
    """Configures one guest adapter through PowerShell Direct."""

    properties = GUEST_NETWORK_CONFIG

    # -- routing: the operation scripts run in the guest; VM checks run on its host --------

    @staticmethod
    def guest_ref(props: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "parent": props["host"],
            "vm_name": props["vm_name"],
            "credential": props["credential"],
        }

    def _operation(self, props: Mapping[str, Any], verb: str) -> api.Operation:
        return super()._operation({**props, "host": self.guest_ref(props)}, verb)

    def _host_operation(self, props: Mapping[str, Any], verb: str) -> api.Operation:
        return super()._operation(props, verb)

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        result = super().check(olds, news)
        if result.failures:
            return result
        values = result.inputs
        if not any(
            api.is_unknown(values.get(k)) for k in ("ip_address", "prefix_length", "gateway")
        ):
            for prop, reason in address_problems(
                values["ip_address"], values["prefix_length"], values.get("gateway")
            ):
                result.failures.append(CheckFailure(prop, reason))
        if not any(api.is_unknown(values.get(k)) for k in ("host", "vm_name", "credential")):
            try:
                self.lab().host(self.guest_ref(values))
            except (ConfigError, api.ProviderError) as exc:
                result.failures.append(CheckFailure("credential", str(exc)))
        return result

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return super().diff(id_, olds, without_unknown_boot(olds, news))

    # -- hooks ----------------------------------------------------------------------------

    @staticmethod
    def _desired(props: Mapping[str, Any], previous_ip: str | None = None) -> dict[str, Any]:
        return {
            "adapter_name": props.get("adapter_name", "Ethernet"),
            "ip_address": props["ip_address"],
            "prefix_length": props["prefix_length"],
            "gateway": props.get("gateway"),
            "dns_servers": list(props.get("dns_servers") or []),
            "previous_ip": previous_ip,
        }

    def create_object(self, op: api.Operation, inputs: api.Props) -> tuple[str, api.Props]:
        got = self.run_described(op, "apply", self._desired(inputs))
        id_ = f"{inputs['vm_name']}/{inputs.get('adapter_name', 'Ethernet')}"
        return id_, {"internet_reachable": bool(got.get("internet_reachable"))}

    def read_object(self, op: api.Operation, id_: str, props: api.Props) -> api.Props | None:
        running = api.guest_running(
            self._host_operation(props, "read"),
            props["vm_name"],
            "its guest cannot be read, keeping the recorded configuration",
        )
        if running is None:
            return None
        if not running:
            return {"internet_reachable": False}
        got = self.run_described(
            op,
            "get",
            {
                "adapter_name": props.get("adapter_name", "Ethernet"),
                "ip_address": props["ip_address"],
            },
        )
        if got.get("ip_address") is None:
            return None  # the managed address is gone: Pulumi will configure it again
        return {
            "ip_address": got["ip_address"],
            "prefix_length": got["prefix_length"],
            "gateway": got.get("gateway"),
            "dns_servers": list(got.get("dns_servers") or []),
            "internet_reachable": bool(got.get("internet_reachable")),
        }

    def update_object(
        self, op: api.Operation, id_: str, olds: api.Props, news: api.Props, diff: api.PropertyDiff
    ) -> api.Props:
        got = self.run_described(
            op, "apply", self._desired(news, previous_ip=olds.get("ip_address"))
        )
        return {"internet_reachable": bool(got.get("internet_reachable"))}

    def delete_object(self, op: api.Operation, id_: str, props: api.Props) -> None:
        host_op = self._host_operation(props, "delete")
        if not api.guest_running(host_op, props["vm_name"], "its guest keeps the address"):
            return  # gone (and its guest configuration), or the guest keeps it
        self.run_described(op, "delete", self._desired(props))


_PROVIDER = GuestNetworkConfigProvider()


@dataclass
class GuestNetworkConfigArgs:
    """Inputs of a `GuestNetworkConfig`."""

    host: Input[str | Mapping[str, Any]]
    """Hyper-V host that runs the VM: a configured host name or a NestedHost's `host`."""
    vm_name: Input[str]
    """The VM whose guest gets the configuration."""
    credential: Input[str]
    """Name of the guest login in `hyperv-lab:credentials` (never the password itself)."""
    ip_address: Input[str]
    """Static IPv4 address of the guest, e.g. "192.168.100.2"."""
    prefix_length: Input[int]
    """Prefix length of the guest's network, e.g. 24."""
    gateway: Input[str | None] = None
    """Default gateway, e.g. the NAT gateway "192.168.100.1"; None for no default route."""
    dns_servers: Input[list[str]] = field(default_factory=list)
    """DNS servers in order of preference; empty resets them."""
    adapter_name: Input[str] = "Ethernet"
    """The adapter inside the guest (matched case-insensitively, as Windows does)."""
    parent_boot: Input[str | None] = None
    """`NestedHost.boot` of the L1 that runs the VM (None on an L0): a new boot re-applies."""


class GuestNetworkConfig(
    api.HostBoundResource[GuestNetworkConfigArgs], module="hyperv", name="GuestNetworkConfig"
):
    """IPv4 address, gateway and DNS of one adapter inside a guest."""

    host: Output[Any]
    vm_name: Output[str]
    credential: Output[str]
    adapter_name: Output[str]
    ip_address: Output[str]
    prefix_length: Output[int]
    gateway: Output[str | None]
    dns_servers: Output[list[str]]
    internet_reachable: Output[bool]

    dynamic_provider = _PROVIDER


__all__ = [
    "GUEST_NETWORK_CONFIG",
    "GuestNetworkConfig",
    "GuestNetworkConfigArgs",
    "GuestNetworkConfigProvider",
    "address_problems",
]
