"""`EmulatorVm`: an L2 VM inside a NestedHost, on its NatNetwork, with a static address.

What a developer's per-stack phone emulator or test VM needs: a VM on the L1 (named with the
stack prefix so two developers never collide), booted from a base image (an image on the
L1's own host is copied into the L1 once, checked by hash, see `NestedHost.image_inside`), its
adapter on the NAT's internal switch, the VM running, and the guest's address/gateway/DNS set
inside it by PowerShell Direct.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pydantic import Field, InstanceOf, field_validator

from components.base_image import BaseImage, check_image_for, resolve_image
from components.lab_models import ComponentArgs, EmulatorVmSettings, configured_credential, vm_args
from components.naming import prefixed
from components.nat_network import NatNetwork
from components.nested_host import ImageArg
from components.providers.guest_network_config import (
    GuestNetworkConfig,
    GuestNetworkConfigArgs,
)
from components.providers.vm import Vm
from components.providers.vm_network_adapter import VmNetworkAdapter, VmNetworkAdapterArgs
from components.providers.vm_power_state import VmPowerState, VmPowerStateArgs
from components.vm_name_claims import claim_vm_name

TYPE_TOKEN = "hyperv-lab:index:EmulatorVm"
DEFAULT_ADAPTER = "Network Adapter"


class EmulatorVmArgs(ComponentArgs, EmulatorVmSettings):
    """An L2 VM attached to a NatNetwork that lives on a NestedHost: the settings a lab entry
    has (checked by the same model, `EmulatorVmSettings`: disk, computer_name, time_zone,
    generation, memory_startup_mb, dynamic_memory, dns_servers (None = the NatNetwork's),
    notes, stop_policy, adopt_existing), plus the NAT, address, login and image."""

    nat_network: InstanceOf[NatNetwork]
    """The NAT the VM joins; the VM is created on the NAT's host (the L1)."""

    ip_address: str
    """Static IPv4 address inside the NAT prefix."""

    credential: str = Field(min_length=1)
    """Name of the guest login in `hyperv-lab:credentials` for PowerShell Direct; the answer
    file gives the guest's Administrator its password."""

    image: ImageArg
    """The base image the VM boots from: a name in `hyperv-lab:images` or a `BaseImage`. On a
    NatNetwork inside a NestedHost, an image on that L1's own host is copied into the L1; one
    on the L1 itself is used where it is. Changing it replaces the VM."""

    vm_name: str | None = None
    """VM name on the L1 before the stack prefix; defaults to the component's name."""

    adapter_name: str = Field(default="Ethernet", min_length=1)
    """The guest OS's network interface alias."""

    _configured_credential = field_validator("credential")(configured_credential)


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
        image = resolve_image(args.image)
        check_image_for(f"EmulatorVm '{name}'", image, args.generation, hyper_v_inside=False)
        vm_name = prefixed(args.vm_name or name, args.name_prefix)
        claim_vm_name(f"EmulatorVm '{name}'", nat.host_key, vm_name)
        nat.claim_address(args.ip_address, f"EmulatorVm '{name}'")
        super().__init__(TYPE_TOKEN, name, None, opts)
        host = nat.host
        image_path = _image_path(name, nat, image)

        vm = Vm(
            f"{name}-vm",
            vm_args(
                args,
                EmulatorVmSettings,
                args.owner,
                image,
                credential=args.credential,
                host=host,
                name=vm_name,
                image_path=image_path,
            ),
            # Deleted before the NAT's switch: Windows refuses to remove a switch in use; not
            # deleted on its own when the L1 it lives in is deleted too (see NatNetwork).
            pulumi.ResourceOptions(
                parent=self, depends_on=[nat.switch], deleted_with=nat.inside_vm
            ),
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
        # A new boot of the L1 (the stack started or restarted it) starts this VM again and
        # re-applies its guest's network, in the same `up`.
        parent_boot = nat.nested_host.boot if nat.nested_host is not None else None
        power = VmPowerState(
            f"{name}-power",
            VmPowerStateArgs(host=host, vm_name=vm.name, state="Running", parent_boot=parent_boot),
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
                # Re-applied and re-measured when the L1 or this VM was started again.
                parent_boot=pulumi.Output.all(parent_boot, power.starts).apply(_guest_boot),
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


def _guest_boot(v: list[Any]) -> str | None:
    """The boot a guest's configuration was applied in: the L1's boot and how many times the
    VM itself was started again; None before any restart."""
    parent, starts = v[0], v[1] or 0
    if parent is None and not starts:
        return None
    return f"{parent or '-'}+{starts}"


def _image_path(name: str, nat: NatNetwork, image: BaseImage) -> pulumi.Input[str]:
    """The image's path on the NAT's host: a copy inside the NestedHost when the image is on
    that L1's own host, else the image where it is (it must be on the NAT's host then)."""
    nested = nat.nested_host
    if nested is None:
        if isinstance(nat.host, str) and image.spec.host != nat.host:
            raise ValueError(
                f"EmulatorVm '{name}' image: '{image.name}' is on host '{image.spec.host}', not "
                f"on '{nat.host}' (allowed: an image on '{nat.host}')"
            )
        return image.spec.path
    if isinstance(nested.parent_host, str) and image.spec.host != nested.parent_host:
        raise ValueError(
            f"EmulatorVm '{name}' image: '{image.name}' is on host '{image.spec.host}', not on "
            f"'{nested.parent_host}' where NestedHost '{nested._name}' runs (allowed: an image "
            f"on '{nested.parent_host}')"
        )
    return nested.image_inside(image)


__all__ = ["TYPE_TOKEN", "EmulatorVm", "EmulatorVmArgs"]
