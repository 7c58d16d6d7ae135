"""What a lab author sets, declared once for stack YAML and Python.

`NestedHostSettings`, `EmulatorVmSettings`, `NatNetworkSettings` and `NatGuestSettings` are the
fields a lab entry and a component's args share; `NestedHostSpec`/`EmulatorVmSpec` (`components.lab_config`, the YAML) and
`NestedHostArgs`/`EmulatorVmArgs` (Python) extend them with how each names its host and image.
A field that becomes a `Vm` property takes the type, checks and default `VmArgs` declares for
it (`vm_field`), so what the provider would refuse mid-update is refused at preview, with the
same words in both forms (`components.lab_messages`). `components.lab` builds the args from a
lab entry with `settings`, and the components hand every such field to `VmArgs` by name
(`vm_inputs`), so exposing another VM property to labs is one line here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from components.base_image import BaseImage
from components.config import DiskMode
from components.lab_messages import LabArgsError, one_line
from components.naming import stack_owner
from components.providers.vm import VM_PROPERTIES, VmArgs
from components.providers.vm_network_adapter import VM_NETWORK_ADAPTER_PROPERTIES
from components.providers.vm_processor import VM_PROCESSOR_PROPERTIES

StopPolicy = Literal["fail", "stop-and-restore"]


def vm_default(name: str) -> Any:
    """The default `VmArgs` declares for property `name`."""
    return VM_PROPERTIES.props[name].default


if TYPE_CHECKING:  # the plain types, for type checkers; pydantic gets the declared ones
    VmMemoryMb: TypeAlias = int
    CpuCount: TypeAlias = int
    VmNotes: TypeAlias = str
    VmVersion: TypeAlias = str | None
    ComputerName: TypeAlias = str | None
    TimeZone: TypeAlias = str
    SwitchName: TypeAlias = str | None
else:
    VmMemoryMb = VM_PROPERTIES.props["memory_startup_mb"].type
    VmVersion = VM_PROPERTIES.props["version"].type
    VmNotes = VM_PROPERTIES.props["notes"].type
    ComputerName = VM_PROPERTIES.props["computer_name"].type
    TimeZone = VM_PROPERTIES.props["time_zone"].type
    CpuCount = VM_PROCESSOR_PROPERTIES.props["count"].type
    SwitchName = VM_NETWORK_ADAPTER_PROPERTIES.props["switch_name"].type


class LabModel(BaseModel):
    """Strict (`"4"` is not 4) and closed (an unknown key is refused)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    def settings(self, model: type[LabModel]) -> dict[str, Any]:
        """The fields of `model` (a base of this one), to build the Python args from a lab
        entry without copying them one by one."""
        return {k: getattr(self, k) for k in model.model_fields}


class VmSettings(LabModel):
    """Settings of any VM a lab makes (each one a `Vm` property of the same name)."""

    disk: DiskMode = vm_default("disk")
    computer_name: ComputerName = vm_default("computer_name")
    time_zone: TimeZone = vm_default("time_zone")
    generation: Literal[1, 2] = vm_default("generation")
    notes: VmNotes = vm_default("notes")
    stop_policy: StopPolicy = vm_default("stop_policy")
    adopt_existing: bool = vm_default("adopt_existing")

    def vm_inputs(self, model: type[VmSettings]) -> dict[str, Any]:
        """The fields of `model` (a base of this one) that are `Vm` properties, for `VmArgs`."""
        declared = set(VM_PROPERTIES.input_names())
        return {k: v for k, v in self.settings(model).items() if k in declared}


class NestedHostSettings(VmSettings):
    """An L1's settings, shared by `hyperv-lab:lab.nested_hosts[]` and `NestedHostArgs`."""

    credential: str = Field(min_length=1, description="guest login in hyperv-lab:credentials")
    memory_startup_mb: Annotated[VmMemoryMb, Field(ge=512)] = 4096  # Hyper-V inside needs it
    cpu_count: CpuCount = 2
    version: VmVersion = vm_default("version")
    mac_address_spoofing: bool = True


class EmulatorVmSettings(VmSettings):
    """An L2's settings, shared by `hyperv-lab:lab.emulator_vms[]` and `EmulatorVmArgs`."""

    memory_startup_mb: VmMemoryMb = 2048
    dynamic_memory: bool = vm_default("dynamic_memory")
    dns_servers: Sequence[str] | None = None


class NatGuestSettings(LabModel):
    """A guest on a NAT, shared by `hyperv-lab:lab.nat_networks[].guests[]` and `NatGuest`."""

    ip_address: str
    """Static IPv4 address inside the NAT prefix (not the gateway, network or broadcast)."""
    credential: str = Field(min_length=1)
    """Name of the guest login in `hyperv-lab:credentials` for PowerShell Direct."""
    gateway: str | None = None
    """Default gateway inside the guest; None = the NAT gateway."""
    dns_servers: Sequence[str] | None = None
    """DNS servers inside the guest; None = the NatNetwork's `dns_servers`."""
    adapter_name: str = Field(default="Ethernet", min_length=1)
    """The guest OS's network interface alias."""


class NatNetworkSettings(LabModel):
    """A NAT network, shared by `hyperv-lab:lab.nat_networks[]` and `NatNetworkArgs`."""

    prefix: str
    """The NAT's internal IPv4 network in CIDR form, e.g. "192.168.100.0/24"."""
    gateway: str | None = None
    """Gateway address on the host's side of the switch; None = first usable address."""
    dns_servers: Sequence[str] = ()
    """Default DNS servers for guests."""
    adopt_existing: bool = False
    """Adopt a switch / gateway address / NetNat of the same name that already exists."""


class ComponentArgs(LabModel):
    """A component's args in a Python lab: validated like the YAML, refused as one line."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name_prefix: str | None = None
    """Put in front of the names made on the host; None = the stack's `hyperv-lab:prefix`."""

    owner: str | None = None
    """Owner tag written into the VM Notes; None = this stack (`naming.stack_owner`)."""

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise LabArgsError(one_line(exc, type(self).__name__, type(self))) from None


def vm_args(
    args: VmSettings, settings: type[VmSettings], owner: str | None, image: BaseImage, **inputs: Any
) -> VmArgs:
    """The `Vm` of a component: its `settings` fields as they are, the image's name and
    whether it is generalized, the owner (None: this stack), and the other `inputs`."""
    return VmArgs(
        **args.vm_inputs(settings),
        image=image.name,
        generalized=image.spec.generalized,
        owner=stack_owner() if owner is None else owner,
        **inputs,
    )


__all__ = [
    "ComponentArgs",
    "EmulatorVmSettings",
    "LabModel",
    "NatGuestSettings",
    "NatNetworkSettings",
    "NestedHostSettings",
    "StopPolicy",
    "VmSettings",
    "vm_args",
]
