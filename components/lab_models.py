"""What a lab author sets, declared once for stack YAML and Python.

`NestedHostSettings`, `EmulatorVmSettings`, `NatNetworkSettings` and `NatGuestSettings` are the
fields a lab entry and a component's args share; `NestedHostSpec`/`EmulatorVmSpec` (`components.lab_config`, the YAML) and
`NestedHostArgs`/`EmulatorVmArgs` (Python) extend them with how each names its host and image.
A `VmArgs` field declared with `lab=[NESTED_HOST, ...]` IS a field of those components'
settings (`lab_vm`), under its name, with the type, checks and default declared there, so what
the provider would refuse mid-update is refused at preview, with the same words in both forms
(`components.lab_messages`). `components.lab` builds the args from a lab entry with
`settings`, and the components hand every such field to `VmArgs` by name (`vm_inputs`), so
exposing another VM property to labs is its declaration alone. Written out here are only the
fields whose lab rule differs from the provider's (a nested host's memory) or that come from
another resource (cpu_count, mac_address_spoofing).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from components.base_image import BaseImage
from components.lab_messages import LabArgsError, one_line, unknown_credential, unknown_host
from components.naming import stack_owner
from components.program_scope import program_registry
from components.providers.properties import PropertySet
from components.providers.vm import EMULATOR_VM, NESTED_HOST, VM_PROPERTIES, VmArgs
from components.providers.vm_network_adapter import VM_NETWORK_ADAPTER_PROPERTIES
from components.providers.vm_processor import VM_PROCESSOR_PROPERTIES

StopPolicy = Literal["fail", "stop-and-restore"]


if TYPE_CHECKING:  # the plain types, for type checkers; pydantic gets the declared ones
    VmMemoryMb: TypeAlias = int
    CpuCount: TypeAlias = int
    SwitchName: TypeAlias = str | None
else:
    VmMemoryMb = VM_PROPERTIES.props["memory_startup_mb"].type
    CpuCount = VM_PROCESSOR_PROPERTIES.props["count"].type
    SwitchName = VM_NETWORK_ADAPTER_PROPERTIES.props["switch_name"].type


class LabModel(BaseModel):
    """Strict (`"4"` is not 4) and closed (an unknown key is refused)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    def settings(self, model: type[LabModel]) -> dict[str, Any]:
        """The fields of `model` (a base of this one), to build the Python args from a lab
        entry without copying them one by one."""
        return {k: getattr(self, k) for k in model.model_fields}


def lab_fields(properties: PropertySet, component: str) -> dict[str, tuple[Any, Any]]:
    """The settings `component` takes from `properties`: each input declared with `lab=`
    naming it, as pydantic field definitions (declared type, declared default)."""
    return {p.name: (p.type, p.default) for p in properties.inputs() if component in p.lab}


Settings = TypeVar("Settings", bound="VmSettings")


def lab_vm(
    component: str, properties: PropertySet = VM_PROPERTIES
) -> Callable[[type[Settings]], type[Settings]]:
    """Class decorator: the settings model with `component`'s declared fields (`lab_fields`)
    added; a field written in the class body (a narrower lab rule) is kept as written."""

    def derive(cls: type[Settings]) -> type[Settings]:
        fields = {
            k: v for k, v in lab_fields(properties, component).items() if k not in cls.model_fields
        }
        model: type[Settings] = create_model(  # type: ignore[call-overload]
            cls.__name__, __base__=cls, __module__=cls.__module__, __doc__=cls.__doc__, **fields
        )
        model.__qualname__ = cls.__qualname__
        # The keys a message lists (`lab_messages.keys_of`): the written ones, then the declared.
        model.__annotations__ = {**cls.__annotations__, **model.__annotations__}
        return model

    return derive


class VmSettings(LabModel):
    """Settings of any VM a lab makes (each one a `Vm` property of the same name)."""

    if TYPE_CHECKING:  # the fields `lab_vm` derives are not in a class body

        def __getattr__(self, name: str) -> Any: ...

    def vm_inputs(
        self, model: type[VmSettings], properties: PropertySet = VM_PROPERTIES
    ) -> dict[str, Any]:
        """The fields of `model` (a base of this one) that are `Vm` properties, for `VmArgs`."""
        declared = set(properties.input_names())
        return {k: v for k, v in self.settings(model).items() if k in declared}


@lab_vm(NESTED_HOST)
class NestedHostSettings(VmSettings):
    """An L1's settings, shared by `hyperv-lab:lab.nested_hosts[]` and `NestedHostArgs`."""

    credential: str = Field(min_length=1, description="guest login in hyperv-lab:credentials")
    memory_startup_mb: Annotated[VmMemoryMb, Field(ge=512)] = 4096  # Hyper-V inside needs it
    cpu_count: CpuCount = 2
    mac_address_spoofing: bool = True


@lab_vm(EMULATOR_VM)
class EmulatorVmSettings(VmSettings):
    """An L2's settings, shared by `hyperv-lab:lab.emulator_vms[]` and `EmulatorVmArgs`."""

    memory_startup_mb: VmMemoryMb = 2048
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


_CONFIGURED = "configured-names"
"""Program registry: the host and credential names `check_stack_config` found in this run."""


def record_configured(hosts: Iterable[str], credentials: Iterable[str]) -> None:
    """Remember the configured names for this program run (`check_stack_config` calls it), so
    a Python lab's args refuse an unknown one as `parse_lab` refuses it in the YAML."""
    names = program_registry(_CONFIGURED)
    names["hosts"], names["credentials"] = set(hosts), set(credentials)


def configured_host(value: Any) -> Any:
    """`value` if it is not a host name, or a configured one (when the stack config was
    checked in this run); a host given as a route or an Output is the provider's to check."""
    hosts = program_registry(_CONFIGURED).get("hosts")
    if isinstance(value, str) and hosts is not None and value not in hosts:
        raise ValueError(unknown_host(value, hosts))
    return value


def configured_credential(value: str) -> str:
    """`value` if it is a configured login name (when the stack config was checked)."""
    credentials = program_registry(_CONFIGURED).get("credentials")
    if credentials is not None and value not in credentials:
        raise ValueError(unknown_credential(value, credentials))
    return value


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
    "configured_credential",
    "configured_host",
    "lab_fields",
    "lab_vm",
    "record_configured",
    "vm_args",
]
