"""Build a checked lab description (`components.lab_config.Lab`) out of the components.

Kept out of `__main__.py` so the same wiring is unit-tested with Pulumi's mocks: nested hosts
first, then NAT networks on an L0 or on a nested host, then the VMs on those NATs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from components.base_image import BaseImage
from components.emulator_vm import EmulatorVm, EmulatorVmArgs
from components.lab_config import LAB_KEY, Lab, LabSpec
from components.lab_messages import LabArgsError
from components.lab_models import (
    EmulatorVmSettings,
    NatGuestSettings,
    NatNetworkSettings,
    NestedHostSettings,
)
from components.nat_network import NatGuest, NatNetwork, NatNetworkArgs
from components.nested_host import NestedHost, NestedHostArgs


@dataclass
class BuiltLab:
    """The components of one lab, by their names in the lab description."""

    nested_hosts: dict[str, NestedHost] = field(default_factory=dict)
    nat_networks: dict[str, NatNetwork] = field(default_factory=dict)
    emulator_vms: dict[str, EmulatorVm] = field(default_factory=dict)

    def export(self) -> None:
        """Stack outputs a lab author looks at: what runs where, with which address."""
        pulumi.export(
            "nested_hosts",
            {
                name: {"vm_id": h.vm_id, "vm_name": h.vm_name, "state": h.state}
                for name, h in self.nested_hosts.items()
            },
        )
        pulumi.export(
            "nat_networks",
            {
                name: {
                    "switch_name": n.switch_name,
                    "prefix": n.prefix,
                    "gateway": n.gateway,
                    "guests": n.guests,
                }
                for name, n in self.nat_networks.items()
            },
        )
        pulumi.export(
            "emulator_vms",
            {
                name: {
                    "vm_name": v.vm_name,
                    "ip_address": v.ip_address,
                    "internet_reachable": v.internet_reachable,
                }
                for name, v in self.emulator_vms.items()
            },
        )


L1_OWN_MEMORY_MB = 2048
"""Memory an L1's own Windows keeps for itself: Hyper-V starts a guest only while the guests
already running plus the new one leave the host this much ("Not enough memory in the system
to start the virtual machine")."""


def check_guest_memory(spec: LabSpec) -> None:
    """Refuse, before anything is made, an L1 whose static memory cannot run the guests
    declared inside it: the last of them would fail to start halfway through `up`."""
    for index, host in enumerate(spec.nested_hosts):
        nats = {n.name for n in spec.nat_networks if n.host == host.name}
        guests = [vm for vm in spec.emulator_vms if vm.nat_network in nats]
        needed = sum(vm.memory_startup_mb for vm in guests) + L1_OWN_MEMORY_MB
        if guests and needed > host.memory_startup_mb:
            listed = " + ".join(f"{vm.name} {vm.memory_startup_mb}" for vm in guests)
            # A config mistake: one line naming the stack config key, never a traceback.
            raise LabArgsError(
                f"{LAB_KEY}.nested_hosts[{index}]: "
                f"NestedHost '{host.name}' memory_startup_mb: {host.memory_startup_mb} cannot "
                f"run the VMs declared inside it: {listed} + {L1_OWN_MEMORY_MB} for the L1's "
                f"own Windows = {needed} MB (allowed: {needed} or more, or smaller or fewer "
                "VMs inside it)"
            )


def build_lab(lab: Lab) -> BuiltLab:
    """Declare every component of `lab` (the names are prefixed by the components)."""
    built = BuiltLab()
    spec = lab.spec
    check_guest_memory(spec)
    for nh in spec.nested_hosts:
        built.nested_hosts[nh.name] = NestedHost(
            nh.name,
            NestedHostArgs(
                **nh.settings(NestedHostSettings),
                host=nh.host,
                image=BaseImage(nh.image, lab.images[nh.image]),
                switch_name=nh.switch,
                name_prefix=lab.prefix,
            ),
        )
    for nat in spec.nat_networks:
        built.nat_networks[nat.name] = NatNetwork(
            nat.name,
            NatNetworkArgs(
                **nat.settings(NatNetworkSettings),
                host=built.nested_hosts.get(nat.host, nat.host),
                guests=[
                    NatGuest(**g.settings(NatGuestSettings), vm_name=g.vm_name) for g in nat.guests
                ],
                name_prefix=lab.prefix,
            ),
        )
    for vm in spec.emulator_vms:
        nat_spec = spec.nat_network(vm.nat_network)
        host_spec = spec.nested_host(nat_spec.host) if nat_spec else None
        assert nat_spec is not None and host_spec is not None  # checked by lab_config
        built.emulator_vms[vm.name] = EmulatorVm(
            vm.name,
            EmulatorVmArgs(
                **vm.settings(EmulatorVmSettings),
                nat_network=built.nat_networks[vm.nat_network],
                ip_address=vm.ip_address,
                credential=vm.credential or host_spec.credential,
                image=BaseImage(vm.image, lab.images[vm.image]),
                name_prefix=lab.prefix,
            ),
        )
    return built


__all__ = ["BuiltLab", "build_lab"]
