"""`NestedHost`: a VM on a Hyper-V host that is itself a Hyper-V host (an "L1").

Follows Microsoft's nested-virtualization procedure in the order Windows requires it: the VM
is created Off with static memory from a base image that can run Hyper-V inside (Windows
Server 2016 / Windows 10 1607 or later; its disk a differencing child or a copy of the image,
with the answer file that sets the credential's password), its processor exposes the virtualization extensions while
it is Off, its adapter allows MAC address spoofing (so L2 guests' frames leave through it),
then it is started and the Hyper-V role is installed inside it (with the restart that needs).
Its `host` output is the connection object other resources put in their `host` input to
target this L1 as their Hyper-V host (PowerShell Direct through the parent).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

import pulumi
from pydantic import Field, InstanceOf, field_validator

from components.base_image import BaseImage, check_image_for, resolve_image
from components.lab_models import (
    ComponentArgs,
    NestedHostSettings,
    configured_credential,
    configured_host,
    vm_args,
)
from components.naming import prefixed
from components.providers.guest_image import GuestImage, GuestImageArgs
from components.providers.vm import Vm
from components.providers.vm_network_adapter import VmNetworkAdapter, VmNetworkAdapterArgs
from components.providers.vm_power_state import VmPowerState, VmPowerStateArgs
from components.providers.vm_processor import VmProcessor, VmProcessorArgs
from components.providers.windows_feature import WindowsFeature, WindowsFeatureArgs
from components.sdk_patches import install_sdk_patches
from components.vm_name_claims import claim_vm_name, host_key

install_sdk_patches()  # a Python lab gets the same SDK changes as the YAML program

TYPE_TOKEN = "hyperv-lab:index:NestedHost"
DEFAULT_ADAPTER = "Network Adapter"
GUEST_IMAGES_DIR = "C:\\Images"
"""Folder inside an L1 that holds the copies of the images its L2 guests boot from."""

HostInput = str | dict[str, Any]
"""A host name from `hyperv-lab:hosts` (e.g. "l0"), or a route dict (another L1's `host`)."""

if TYPE_CHECKING:
    HostArg: TypeAlias = pulumi.Input[HostInput]
    SwitchArg: TypeAlias = pulumi.Input[str] | None
else:  # pulumi Outputs are passed through as they are; the providers check the values
    HostArg = Any
    SwitchArg = Any
ImageArg: TypeAlias = Annotated[str, Field(min_length=1)] | InstanceOf[BaseImage]


class NestedHostArgs(ComponentArgs, NestedHostSettings):
    """What a nested Hyper-V host is made of: the settings a lab entry has (checked by the same
    model, `NestedHostSettings`: credential, disk, computer_name, time_zone, generation,
    memory_startup_mb (512 or more, static: nested virtualization does not work with dynamic
    memory), cpu_count, version, mac_address_spoofing, notes, stop_policy, adopt_existing),
    plus the host and image as Python objects."""

    host: HostArg
    """The Hyper-V host the VM runs on: a host name from `hyperv-lab:hosts` such as "l0"."""

    image: ImageArg
    """The base image the VM boots from: a name in `hyperv-lab:images` (on `host`), or a
    `BaseImage`. Changing it replaces the VM."""

    vm_name: str | None = None
    """VM name on the host before the stack prefix; defaults to the component's name."""

    switch_name: SwitchArg = None
    """Switch on the parent host the VM's adapter connects to (e.g. "External"); None = none."""

    # Names in the checked stack config, refused as `parse_lab` refuses them in the YAML.
    _configured_host = field_validator("host")(configured_host)
    _configured_credential = field_validator("credential")(configured_credential)


def _image(name: str, args: NestedHostArgs) -> BaseImage:
    image = resolve_image(args.image)
    check_image_for(f"NestedHost '{name}'", image, args.generation, hyper_v_inside=True)
    if isinstance(args.host, str) and image.spec.host != args.host:
        raise ValueError(
            f"NestedHost '{name}' image: '{image.name}' is on host '{image.spec.host}', not on "
            f"'{args.host}' (allowed: an image on '{args.host}')"
        )
    return image


class NestedHost(pulumi.ComponentResource):
    """An L1 VM with nested virtualization, MAC spoofing and Hyper-V installed inside."""

    vm_id: pulumi.Output[str]
    vm_name: pulumi.Output[str]
    state: pulumi.Output[str]
    boot: pulumi.Output[str | None]
    adapters: pulumi.Output[list[dict[str, Any]]]
    host: pulumi.Output[dict[str, Any]]

    def __init__(
        self, name: str, args: NestedHostArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        image = _image(name, args)
        vm_name = prefixed(args.vm_name or name, args.name_prefix)
        claim_vm_name(f"NestedHost '{name}'", host_key(args.host), vm_name)
        super().__init__(TYPE_TOKEN, name, None, opts)
        self.parent_host = args.host
        """The Hyper-V host this L1 runs on (where the images for its guests come from)."""

        vm = Vm(
            f"{name}-vm",
            vm_args(
                args,
                NestedHostSettings,
                args.owner,
                image,
                host=args.host,
                name=vm_name,
                dynamic_memory=False,  # nested virtualization needs static memory
                image_path=image.spec.path,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        # Settings of the VM: re-applied when the VM is replaced, never deleted on their own
        # once the VM is gone (its delete removes them).
        on_vm = pulumi.ResourceOptions(parent=self, replace_with=[vm], deleted_with=vm)
        processor = VmProcessor(
            f"{name}-processor",
            VmProcessorArgs(
                host=args.host,
                vm_name=vm.name,
                count=args.cpu_count,
                expose_virtualization_extensions=True,
                stop_policy=args.stop_policy,
                guest_credential=args.credential,
            ),
            on_vm,
        )
        adapter = VmNetworkAdapter(
            f"{name}-adapter",
            VmNetworkAdapterArgs(
                host=args.host,
                vm_name=vm.name,
                adapter_name=DEFAULT_ADAPTER,
                switch_name=args.switch_name,
                mac_address_spoofing=args.mac_address_spoofing,
            ),
            on_vm,
        )
        # Started only once the Off-only settings are in place.
        power = VmPowerState(
            f"{name}-power",
            VmPowerStateArgs(host=args.host, vm_name=vm.name, state="Running"),
            pulumi.ResourceOptions.merge(
                on_vm, pulumi.ResourceOptions(depends_on=[processor, adapter])
            ),
        )
        guest_ref = pulumi.Output.all(args.host, vm.name).apply(
            lambda v: {"parent": v[0], "vm_name": v[1], "credential": args.credential}
        )
        feature = WindowsFeature(
            f"{name}-hyper-v",
            WindowsFeatureArgs(
                host=guest_ref, name="Hyper-V", include_management_tools=True, restart=True
            ),
            pulumi.ResourceOptions.merge(on_vm, pulumi.ResourceOptions(depends_on=[power])),
        )

        # The route to this L1 carries a dependency on the Hyper-V feature: whatever targets
        # it waits until Hyper-V is installed and the guest is back up.
        self.host = pulumi.Output.all(guest_ref, feature.id).apply(lambda v: dict(v[0]))
        self.boot = pulumi.Output.all(vm.restarts, processor.restarts, power.starts).apply(boot_id)
        """Which boot of this L1 its guests last saw: changes when the stack starts or restarts
        the L1 (stop-and-restore, or started again after it was found Off). Resources inside
        take it as `parent_boot`, so the same `up` starts their VMs again and re-measures them."""
        self.vm_id = vm.vm_id
        self.vm_name = vm.name
        self.state = power.state
        self.adapters = pulumi.Output.all(
            DEFAULT_ADAPTER,
            adapter.switch_name,
            adapter.mac_address,
            adapter.mac_address_spoofing,
        ).apply(
            lambda v: [
                {
                    "name": v[0],
                    "switch_name": v[1],
                    "mac_address": v[2],
                    "mac_address_spoofing": v[3],
                }
            ]
        )
        self._vm = vm
        self._images_inside: dict[str, pulumi.Output[str]] = {}
        self.register_outputs(
            {
                "vm_id": self.vm_id,
                "vm_name": self.vm_name,
                "state": self.state,
                "adapters": self.adapters,
                "host": self.host,
            }
        )

    @property
    def vm_resource(self) -> pulumi.Resource:
        """The L1's `Vm` resource: what lives inside it is `deleted_with` it (a destroy of the
        whole lab skips the inner deletes, which would need the L1 running)."""
        return self._vm

    def image_inside(self, image: BaseImage) -> pulumi.Output[str]:
        """Path inside this L1 of a copy of `image` (which lives on the L1's own host), for
        the L2 VMs made from it: one checked copy per image, made once however many guests
        use it, and removed with the L1."""
        if image.name not in self._images_inside:
            copy = GuestImage(
                f"{self._name}-image-{image.name}",
                GuestImageArgs(
                    host=self.parent_host,
                    vm_name=self.vm_name,
                    guest=self.host,
                    source_path=image.spec.path,
                    destination_path=guest_image_path(image.spec.path),
                ),
                pulumi.ResourceOptions(parent=self, deleted_with=self._vm),
            )
            self._images_inside[image.name] = copy.destination_path
        return self._images_inside[image.name]


def boot_id(counts: list[int | None]) -> str | None:
    """`NestedHost.boot` from the restart counts of the L1's resources: None before any
    restart (so stacks made before the count existed see no change), else the counts."""
    values = [c or 0 for c in counts]
    return None if not any(values) else "/".join(str(v) for v in values)


def guest_image_path(source_path: str) -> str:
    """Where an L1 keeps its copy of an image: `C:\\Images\\<the image's file name>`."""
    return GUEST_IMAGES_DIR + "\\" + source_path.replace("/", "\\").rsplit("\\", 1)[-1]


__all__ = ["GUEST_IMAGES_DIR", "TYPE_TOKEN", "HostInput", "NestedHost", "NestedHostArgs"]
