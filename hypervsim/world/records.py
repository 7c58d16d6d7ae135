"""Plain state records of the emulated estate (serialized to JSON as they are).

They carry data only; the rules live on `Computer` (model.py and its mixins) so that every
change goes through one checked path.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from hypervsim.world.filesystem import Volume
from hypervsim.world.vlan import PortVlan


class Feature(BaseModel):
    """A Windows feature / optional feature: "Available", "InstallPending" or "Installed"."""

    name: str
    display_name: str
    install_state: str = "Available"


class NetAdapter(BaseModel):
    """A network adapter as the OS sees it (Get-NetAdapter).

    kind: "physical" (L0 NIC), "host-vnic" (vEthernet (<switch>) of a switch on this
    computer), "guest" (a NIC of a VM's guest OS, backed by the VM adapter `vm_adapter_id`).
    """

    name: str
    interface_index: int
    mac_address: str
    kind: str
    switch_id: str | None = None
    vm_adapter_id: str | None = None
    interface_description: str = ""
    dhcp_enabled: bool = True
    dns_servers: list[str] = Field(default_factory=list)


class IPAddress(BaseModel):
    """One IPv4 address bound to an interface (Get-NetIPAddress)."""

    ip_address: str
    prefix_length: int
    interface_index: int
    prefix_origin: str = "Manual"


class Route(BaseModel):
    """One route (Get-NetRoute); a default gateway is 0.0.0.0/0 via next_hop."""

    destination_prefix: str
    next_hop: str
    interface_index: int
    route_metric: int = 0


class NetNat(BaseModel):
    """A WinNAT network (Get-NetNat)."""

    name: str
    internal_prefix: str
    active: bool = True


class VMSwitch(BaseModel):
    """A Hyper-V virtual switch; External ones are bound to a net adapter of this computer."""

    id: str
    name: str
    switch_type: str  # "Private" | "Internal" | "External"
    net_adapter_name: str | None = None
    allow_management_os: bool = False
    notes: str = ""
    settings: dict[str, Any] = Field(default_factory=dict)  # accepted, not modeled
    management_vlan: PortVlan = Field(default_factory=PortVlan)  # its management OS adapter


class VMNetworkAdapter(BaseModel):
    """A VM's virtual NIC (Get-VMNetworkAdapter)."""

    id: str
    name: str = "Network Adapter"
    switch_id: str | None = None
    mac_address: str
    dynamic_mac: bool = True
    mac_spoofing: bool = False
    allow_teaming: bool = False
    settings: dict[str, Any] = Field(default_factory=dict)  # accepted, not modeled
    vlan: PortVlan = Field(default_factory=PortVlan)


class Account(BaseModel):
    """A local account of a guest: its name and a salted hash of its password (never the text)."""

    name: str
    password_hash: str


class InstalledOs(BaseModel):
    """What a disk's Windows became at its first boot (kept on the disk: a later VM on the same
    disk, or a copy of it, boots this installation, not the answer file again)."""

    computer_name: str
    build: int
    edition: str
    accounts: list[Account] = Field(default_factory=list)
    oobe: bool = False  # generalized and no answer file: stuck at the out-of-box experience
    time_zone: str = "Pacific Standard Time"


class Vhd(BaseModel):
    """A virtual hard disk file on a host; `os_build`/`os_edition`/`generation` if it holds an
    OS image (`generalized`: sysprepped; else `admin_hash` is the prepared image's login)."""

    path: str
    size_bytes: int
    vhd_type: str = "Dynamic"
    parent_path: str | None = None
    os_build: int | None = None
    os_edition: str | None = None
    os_family: str | None = None  # "windows-server" | "windows-client"
    generation: int | None = None
    generalized: bool = True
    admin_hash: str | None = None
    attached_to: str | None = None  # VM id
    file_size: int = 4 * 1024**2
    content_id: str = ""
    modified: str = ""
    volume: Volume | None = None  # the Windows volume inside (None: no partitions)
    installed: InstalledOs | None = None
    disk_number: int | None = None  # set while mounted on the host (Mount-VHD)
    drive_letter: str | None = None
    mounted_read_only: bool = False


class HardDrive(BaseModel):
    """A VM's hard disk drive: the disk file and where it sits (Get-VMHardDiskDrive)."""

    path: str
    controller_type: str = "SCSI"  # "IDE" (generation 1) | "SCSI"
    controller_number: int = 0
    controller_location: int = 0


class VMCheckpoint(BaseModel):
    """A checkpoint (snapshot) of a VM: its configuration, the disks it froze, and (for a
    standard checkpoint of a running VM) the saved guest. The guest and the configuration are
    kept as JSON text: immutable, so world snapshots need not copy them."""

    id: str
    name: str
    parent_id: str | None = None
    created: str = ""
    snapshot_type: str = "Standard"  # "Standard" | "Production"
    state: str = "Off"  # what applying it gives: "Off", or "Saved" (memory was captured)
    config_json: str = "{}"
    disk_paths: list[str] = Field(default_factory=list)  # frozen disk per captured drive
    guest_json: str | None = None


class DvdDrive(BaseModel):
    """A VM's DVD drive and the ISO in it, if any (Get-VMDvdDrive)."""

    path: str | None = None
    controller_type: str = "SCSI"  # "IDE" (generation 1) | "SCSI"
    controller_number: int = 0
    controller_location: int = 0
