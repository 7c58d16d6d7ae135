"""TCP/IP on one Computer: net adapters, IPv4 addresses, routes, DNS client servers, WinNAT.

The physical LAN outside L0 is modeled as 10.0.0.0/24 with a router + DNS server at 10.0.0.1
and DHCP; guests bridged onto it get a lease when they boot, others an APIPA address.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from hypervsim.world.errors import WorldError, cim_error
from hypervsim.world.host_services import HostServices
from hypervsim.world.records import IPAddress, NetAdapter, NetNat, Route

if TYPE_CHECKING:  # pragma: no cover
    pass

LAN_NETWORK = ipaddress.ip_network("10.0.0.0/24")
LAN_GATEWAY = "10.0.0.1"
LAN_DNS = "10.0.0.1"
NETNAT_TARGET = "MSFT_NetNat:root/StandardCimv2/MSFT_NetNat"
NETIP_TARGET = "MSFT_NetIPAddress:ROOT/StandardCimv2/MSFT_NetIPAddress"


def parse_ipv4(text: str, command: str) -> ipaddress.IPv4Address:
    try:
        return ipaddress.IPv4Address(str(text).strip())
    except ValueError:
        raise cim_error(
            "The parameter is incorrect.", command, 87, "InvalidArgument", NETIP_TARGET
        ) from None


def adapter_not_found(name: str, command: str) -> WorldError:
    return WorldError(
        f"No MSFT_NetAdapter objects found with property 'Name' equal to '{name}'.  Verify the value of the property and retry.",
        reason="CmdletizationQuery_NotFound_Name",
        category="ObjectNotFound",
        exception_type="Microsoft.Management.Infrastructure.CimException",
        target=name,
        fqid=f"CmdletizationQuery_NotFound_Name,{command}",
    )


class TcpIpStack(HostServices):
    """The TCP/IP half of a Computer (mixed into `Computer`)."""

    # ---- adapters -------------------------------------------------------------------------
    def add_net_adapter(self, name: str, kind: str, description: str = "") -> NetAdapter:
        nic = NetAdapter(
            name=name,
            interface_index=self.next_if_index,
            mac_address=self.world.new_mac(),
            kind=kind,
            interface_description=description,
        )
        self.next_if_index += 1
        self.net_adapters.append(nic)
        return nic

    def remove_net_adapter(self, adapter: NetAdapter) -> None:
        idx = adapter.interface_index
        self.ip_addresses[:] = [a for a in self.ip_addresses if a.interface_index != idx]
        self.routes[:] = [r for r in self.routes if r.interface_index != idx]
        self.net_adapters.remove(adapter)

    def adapter_by_name(self, name: str) -> NetAdapter | None:
        """Adapter names are matched case-insensitively, as Windows does."""
        return next((n for n in self.net_adapters if n.name.lower() == str(name).lower()), None)

    def adapter_by_index(self, index: int) -> NetAdapter | None:
        return next((n for n in self.net_adapters if n.interface_index == int(index)), None)

    def require_adapter(self, name: str, command: str) -> NetAdapter:
        nic = self.adapter_by_name(name)
        if nic is None:
            raise adapter_not_found(name, command)
        return nic

    def adapter_status(self, adapter: NetAdapter) -> str:
        """ "Up" or "Disconnected" (a guest NIC whose VM adapter has no switch)."""
        from hypervsim.world.reachability import segment_of

        if adapter.kind == "physical":
            return "Up"
        return "Up" if segment_of(self, adapter) is not None else "Disconnected"  # type: ignore[arg-type]

    def addresses_of(self, adapter: NetAdapter) -> list[IPAddress]:
        return [a for a in self.ip_addresses if a.interface_index == adapter.interface_index]

    # ---- addresses --------------------------------------------------------------------------
    def add_address(
        self, adapter: NetAdapter, ip: str, prefix: int, origin: str = "Manual"
    ) -> IPAddress:
        rec = IPAddress(
            ip_address=ip,
            prefix_length=prefix,
            interface_index=adapter.interface_index,
            prefix_origin=origin,
        )
        self.ip_addresses.append(rec)
        return rec

    def add_apipa(self, adapter: NetAdapter) -> None:
        """Windows' autoconfiguration address when no DHCP server answers."""
        tail = int(adapter.mac_address[-4:], 16)
        self.add_address(
            adapter, f"169.254.{(tail >> 8) % 254 + 1}.{tail % 254 + 1}", 16, origin="WellKnown"
        )

    def move_ip_config(self, src: NetAdapter, dst: NetAdapter) -> None:
        """What binding a NIC to an External switch does: the host vNIC takes its IP config."""
        for a in self.ip_addresses:
            if a.interface_index == src.interface_index:
                a.interface_index = dst.interface_index
        for r in self.routes:
            if r.interface_index == src.interface_index:
                r.interface_index = dst.interface_index
        dst.dns_servers, src.dns_servers = src.dns_servers, []
        dst.dhcp_enabled = src.dhcp_enabled

    def dhcp_configure(self, adapter: NetAdapter) -> None:
        """At boot: a DHCP-enabled NIC bridged onto the LAN gets a lease, others APIPA."""
        from hypervsim.world.reachability import segment_of

        if not adapter.dhcp_enabled:
            return
        idx = adapter.interface_index
        self.ip_addresses[:] = [
            a
            for a in self.ip_addresses
            if not (a.interface_index == idx and a.prefix_origin in ("Dhcp", "WellKnown"))
        ]
        self.routes[:] = [
            r for r in self.routes if not (r.interface_index == idx and r.next_hop == LAN_GATEWAY)
        ]
        if segment_of(self, adapter) == "lan":  # type: ignore[arg-type]
            taken = {a.ip_address for c in self.world.computers() for a in c.ip_addresses}
            host = next(str(h) for h in list(LAN_NETWORK.hosts())[99:] if str(h) not in taken)
            self.add_address(adapter, host, 24, origin="Dhcp")
            self.routes.append(
                Route(
                    destination_prefix="0.0.0.0/0",
                    next_hop=LAN_GATEWAY,
                    interface_index=idx,
                    route_metric=0,
                )
            )
            if not adapter.dns_servers:
                adapter.dns_servers = [LAN_DNS]
        else:
            self.add_apipa(adapter)

    def new_ip_address(
        self, adapter: NetAdapter, ip: str, prefix_length: int, default_gateway: str | None = None
    ) -> IPAddress:
        """New-NetIPAddress: duplicate address / duplicate default gateway are refused; a
        gateway creates the 0.0.0.0/0 route; DHCP is switched off on the interface."""
        cmd = "New-NetIPAddress"
        addr = parse_ipv4(ip, cmd)
        if not 0 <= int(prefix_length) <= 32:
            raise cim_error("The parameter is incorrect.", cmd, 87, "InvalidArgument", NETIP_TARGET)
        if any(a.ip_address == str(addr) for a in self.ip_addresses):
            raise WorldError(
                "Instance MSFT_NetIPAddress already exists",
                reason="Windows System Error 5010",
                category="ResourceExists",
                exception_type="Microsoft.Management.Infrastructure.CimException",
                target=NETIP_TARGET,
                fqid=f"Windows System Error 5010,{cmd}",
            )
        gw = None
        if default_gateway:
            gw = parse_ipv4(default_gateway, cmd)
            if any(
                r.destination_prefix == "0.0.0.0/0"
                and r.interface_index == adapter.interface_index
                and r.next_hop == str(gw)
                for r in self.routes
            ):
                raise WorldError(
                    "Instance DefaultGateway already exists",
                    reason="Windows System Error 5010",
                    category="ResourceExists",
                    exception_type="Microsoft.Management.Infrastructure.CimException",
                    target="MSFT_NetRoute:ROOT/StandardCimv2/MSFT_NetRoute",
                    fqid=f"Windows System Error 5010,{cmd}",
                )
        idx = adapter.interface_index
        adapter.dhcp_enabled = False
        self.ip_addresses[:] = [
            a
            for a in self.ip_addresses
            if not (a.interface_index == idx and a.prefix_origin in ("Dhcp", "WellKnown"))
        ]
        rec = self.add_address(adapter, str(addr), int(prefix_length))
        if gw is not None:
            self.routes.append(
                Route(
                    destination_prefix="0.0.0.0/0",
                    next_hop=str(gw),
                    interface_index=idx,
                    route_metric=256,
                )
            )
        return rec

    def remove_ip_address(self, rec: IPAddress, default_gateway: str | None = None) -> None:
        self.ip_addresses.remove(rec)
        if default_gateway:
            self.routes[:] = [
                r
                for r in self.routes
                if not (r.interface_index == rec.interface_index and r.next_hop == default_gateway)
            ]

    def set_ip_prefix(self, rec: IPAddress, prefix_length: int) -> None:
        if not 0 <= int(prefix_length) <= 32:
            raise cim_error(
                "The parameter is incorrect.",
                "Set-NetIPAddress",
                87,
                "InvalidArgument",
                NETIP_TARGET,
            )
        rec.prefix_length = int(prefix_length)

    def new_route(
        self, adapter: NetAdapter, destination: str, next_hop: str, metric: int = 256
    ) -> Route:
        if any(
            r.destination_prefix == destination
            and r.next_hop == next_hop
            and r.interface_index == adapter.interface_index
            for r in self.routes
        ):
            raise WorldError(
                "Instance MSFT_NetRoute already exists",
                reason="Windows System Error 5010",
                category="ResourceExists",
                exception_type="Microsoft.Management.Infrastructure.CimException",
                target="MSFT_NetRoute:ROOT/StandardCimv2/MSFT_NetRoute",
                fqid="Windows System Error 5010,New-NetRoute",
            )
        r = Route(
            destination_prefix=destination,
            next_hop=next_hop,
            interface_index=adapter.interface_index,
            route_metric=metric,
        )
        self.routes.append(r)
        return r

    def remove_route(self, route: Route) -> None:
        self.routes.remove(route)

    # ---- DNS client -------------------------------------------------------------------------
    def set_dns_servers(
        self, adapter: NetAdapter, servers: list[str], command: str = "Set-DnsClientServerAddress"
    ) -> None:
        parsed = [str(parse_ipv4(s, command)) for s in servers]
        adapter.dns_servers = parsed

    def add_dns_server(self, adapter: NetAdapter, server: str, index: int | None = None) -> None:
        """netsh interface ip add dnsserver: appends (or inserts at index, 1-based)."""
        ip = str(parse_ipv4(server, "netsh"))
        if ip in adapter.dns_servers:
            raise WorldError(
                "The object already exists.",
                reason="ResourceExists",
                category="ResourceExists",
                exception_type="System.Exception",
                target=ip,
            )
        if index is None:
            adapter.dns_servers.append(ip)
        else:
            adapter.dns_servers.insert(max(0, index - 1), ip)

    # ---- WinNAT -------------------------------------------------------------------------------
    def _external_prefixes(self) -> list[ipaddress.IPv4Network]:
        """Subnets of addresses on NICs that are not internal-switch vNICs (the NAT's outside)."""
        internal = {
            n.interface_index
            for n in self.net_adapters
            if n.kind == "host-vnic"
            and any(s.id == n.switch_id and s.switch_type != "External" for s in self.switches)
        }
        return [
            ipaddress.IPv4Network(f"{a.ip_address}/{a.prefix_length}", strict=False)
            for a in self.ip_addresses
            if a.interface_index not in internal and a.prefix_origin != "WellKnown"
        ]

    def new_nat(self, name: str, internal_prefix: str) -> NetNat:
        """New-NetNat: one NAT per host; the internal prefix must not overlap the outside or
        another NAT (WinNAT answers ERROR_INVALID_PARAMETER: "The parameter is incorrect.")."""
        cmd = "New-NetNat"
        try:
            prefix = ipaddress.IPv4Network(str(internal_prefix).strip(), strict=False)
        except ValueError:
            raise cim_error(
                "The parameter is incorrect.", cmd, 87, "InvalidArgument", NETNAT_TARGET
            ) from None
        if self.nats or any(prefix.overlaps(p) for p in self._external_prefixes()):
            raise cim_error(
                "The parameter is incorrect.", cmd, 87, "InvalidArgument", NETNAT_TARGET
            )
        nat = NetNat(name=name, internal_prefix=str(prefix))
        self.nats.append(nat)
        return nat

    def remove_nat(self, nat: NetNat) -> None:
        self.nats.remove(nat)

    def find_nats(self, patterns: list[str] | None = None) -> list[NetNat]:
        import fnmatch

        if not patterns:
            return list(self.nats)
        return [
            n
            for n in self.nats
            if any(fnmatch.fnmatchcase(n.name.lower(), p.lower()) for p in patterns)
        ]
