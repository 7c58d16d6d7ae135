"""`EmulatorVm`: an L2 VM inside a NestedHost, on its NatNetwork, with a static address.

What a developer's per-stack phone emulator or test VM needs: a VM on the L1 (named with the
stack prefix so two developers never collide), its adapter on the NAT's internal switch, the
VM running, and the guest's address/gateway/DNS set inside it by PowerShell Direct.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pulumi

from components.naming import prefixed, stack_owner
from components.nat_network import NatNetwork
from components.providers.guest_network_config import (
    GuestNetworkConfig,
    GuestNetworkConfigArgs,
)
from components.providers.vm import Vm, VmArgs
from components.providers.vm_network_adapter import VmNetworkAdapter, VmNetworkAdapterArgs
from components.providers.vm_power_state import VmPowerState, VmPowerStateArgs
from components.vm_name_claims import claim_vm_name

TYPE_TOKEN = "hyperv-lab:index:EmulatorVm"
DEFAULT_ADAPTER = "Network Adapter"


@dataclass
class EmulatorVmArgs:
    """An L2 VM attached to a NatNetwork that lives on a NestedHost."""

    nat_network: NatNetwork
    """The NAT the VM joins; the VM is created on the NAT's host (the L1)."""

    ip_address: str
    """Static IPv4 address inside the NAT prefix."""

    credential: str
    """Name of the guest login in `hyperv-lab:credentials` for PowerShell Direct."""

    vm_name: str | None = None
    """VM name on the L1 before the stack prefix; defaults to the component's name."""

    generation: Literal[1, 2] = 2
    """VM generation (changing it replaces the VM)."""

    memory_startup_mb: int = 2048
    """Startup memory in MB."""

    dynamic_memory: bool = False
    """Let Hyper-V balance memory (fine for an L2 that does not nest further)."""

    disk_size_gb: int = 40
    """Size of the new system VHD (changing it replaces the VM)."""

    dns_servers: Sequence[str] | None = None
    """DNS servers inside the guest; None = the NatNetwork's `dns_servers`."""

    adapter_name: str = "Ethernet"
    """The guest OS's network interface alias."""

    notes: str = ""
    """Free text stored in the VM Notes (next to the stack's owner tag)."""

    stop_policy: Literal["fail", "stop-and-restore"] = "fail"
    """What to do when a memory change needs the VM Off while it runs."""

    adopt_existing: bool = False
    """Adopt a VM of that name that already exists on the L1 instead of failing."""


class EmulatorVm(pulumi.ComponentResource):
    """An L2 VM on a NestedHost's NAT with its static address configured inside."""

    vm_id: pulumi.Output[str]
    vm_name: pulumi.Output[str]
    state: pulumi.Output[str]
    mac_address: pulumi.Output[str]
    ip_address: pulumi.Output[str]
    internet_reachable: pulumi.Output[bool]

    def __init__(
        self, name: str, args: EmulatorVmArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        nat = args.nat_network
        vm_name = prefixed(args.vm_name or name)
        claim_vm_name(f"EmulatorVm '{name}'", nat.host_key, vm_name)
        nat.claim_address(args.ip_address, f"EmulatorVm '{name}'")
        super().__init__(TYPE_TOKEN, name, None, opts)
        host = nat.host

        vm = Vm(
            f"{name}-vm",
            VmArgs(
                host=host,
                name=vm_name,
                generation=args.generation,
                memory_startup_mb=args.memory_startup_mb,
                dynamic_memory=args.dynamic_memory,
                disk_size_gb=args.disk_size_gb,
                version=None,
                notes=args.notes,
                owner=stack_owner(),
                stop_policy=args.stop_policy,
                adopt_existing=args.adopt_existing,
            ),
            # Deleted before the NAT's switch: Windows refuses to remove a switch in use.
            pulumi.ResourceOptions(parent=self, depends_on=[nat.switch]),
        )
        on_vm = pulumi.ResourceOptions(parent=self, replace_with=[vm], deleted_with=vm)
        adapter = VmNetworkAdapter(
            f"{name}-adapter",
            VmNetworkAdapterArgs(
                host=host,
                vm_name=vm.name,
                adapter_name=DEFAULT_ADAPTER,
                switch_name=nat.switch_name,
                mac_address_spoofing=False,
            ),
            # Reconnected when the NAT's switch is replaced (its ports go with it).
            pulumi.ResourceOptions.merge(on_vm, pulumi.ResourceOptions(replace_with=[nat.switch])),
        )
        power = VmPowerState(
            f"{name}-power",
            VmPowerStateArgs(host=host, vm_name=vm.name, state="Running"),
            pulumi.ResourceOptions.merge(on_vm, pulumi.ResourceOptions(depends_on=[adapter])),
        )
        dns: pulumi.Input[Any] = (
            list(args.dns_servers) if args.dns_servers is not None else nat.dns_servers
        )
        network = GuestNetworkConfig(
            f"{name}-network",
            GuestNetworkConfigArgs(
                host=host,
                vm_name=vm.name,
                credential=args.credential,
                adapter_name=args.adapter_name,
                ip_address=args.ip_address,
                prefix_length=nat.prefix_length,
                gateway=nat.gateway,
                dns_servers=dns,
            ),
            pulumi.ResourceOptions.merge(
                on_vm, pulumi.ResourceOptions(depends_on=[power, nat.ready])
            ),
        )

        self.vm_id = vm.vm_id
        self.vm_name = vm.name
        self.state = power.state
        self.mac_address = adapter.mac_address
        self.ip_address = network.ip_address
        self.internet_reachable = network.internet_reachable
        self.register_outputs(
            {
                "vm_id": self.vm_id,
                "vm_name": self.vm_name,
                "state": self.state,
                "mac_address": self.mac_address,
                "ip_address": self.ip_address,
                "internet_reachable": self.internet_reachable,
            }
        )


__all__ = ["TYPE_TOKEN", "EmulatorVm", "EmulatorVmArgs"]
