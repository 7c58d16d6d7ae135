"""What the parts of a Computer use from one another, declared in one place.

`Computer` is composed of parts: the Hyper-V parts (VM lifecycle, devices, processor and
memory, switches, checkpoints, firmware), its disks, file system, TCP/IP stack, features and
guest services. Instead of each part re-declaring the fields and services it borrows from the
others, they all derive from `HostServices`, which names every one of them; mypy checks each
declaration against its real definition on `Computer` (a base-class signature that differs is
an error there), so the dependencies are explicit and checked. At run time the class is empty.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.world.filesystem import Item, Volume
    from hypervsim.world.model import VM, Computer, World
    from hypervsim.world.records import (
        Feature,
        IPAddress,
        NetAdapter,
        NetNat,
        Route,
        Vhd,
        VMSwitch,
    )


class HostServices:
    """Fields and services of `Computer` that its parts rely on."""

    if TYPE_CHECKING:  # pragma: no cover - fields live on Computer
        # state (model.Computer)
        name: str
        build: int
        edition: str
        cpu_vendor: str
        vbs: bool
        memory_bytes: int
        logical_processors: int
        is_physical: bool
        switches: list[VMSwitch]
        vms: list[VM]
        vhds: list[Vhd]
        net_adapters: list[NetAdapter]
        ip_addresses: list[IPAddress]
        routes: list[Route]
        nats: list[NetNat]
        next_if_index: int
        features: list[Feature]
        restart_count: int
        files: Volume
        virtual_hard_disk_path: str
        virtual_machine_path: str
        mac_address_minimum: str
        mac_address_maximum: str
        enable_enhanced_session_mode: bool
        numa_spanning_enabled: bool
        host_settings: dict[str, Any]

        @property
        def world(self) -> World: ...
        @property
        def vm(self) -> VM | None: ...
        @property
        def host(self) -> Computer | None: ...

        def physical_memory(self) -> int: ...
        def _link_guest(self, vm: VM) -> None: ...

        # the Hyper-V parts (hyperv_base.HyperVBase)
        def vm_by_id(self, vm_id: str) -> VM | None: ...

        # the Windows features (features.FeatureSet)
        @property
        def hyperv_active(self) -> bool: ...
        @property
        def hyperv_pending(self) -> bool: ...

        def complete_restart(self) -> None: ...

        # the TCP/IP stack (tcpip.TcpIpStack)
        def add_net_adapter(self, name: str, kind: str, description: str = "") -> NetAdapter: ...
        def adapter_by_name(self, name: str) -> NetAdapter | None: ...
        def add_apipa(self, adapter: NetAdapter) -> None: ...
        def move_ip_config(self, src: NetAdapter, dst: NetAdapter) -> None: ...
        def remove_net_adapter(self, adapter: NetAdapter) -> None: ...
        def dhcp_configure(self, adapter: NetAdapter) -> None: ...

        # disk files and the file system (disks.DiskHost, filesystem.FileSystem)
        def vhd(self, path: str) -> Vhd | None: ...
        def parent_of_disk(self, disk: Vhd) -> Vhd | None: ...
        def new_content_id(self) -> str: ...
        def fs_item(self, path: str, cwd: str = "C:\\") -> Item | None: ...
        def fs_mkdir(self, path: str, cwd: str = "C:\\", force: bool = False) -> Item: ...
        def new_disk(
            self, path: str, size_bytes: int, vhd_type: str = "Dynamic", parent: Vhd | None = None
        ) -> Vhd: ...
        def disk_chain(self, disk: Vhd) -> list[Vhd]: ...
        def os_image_of(self, disk: Vhd) -> Vhd | None: ...
        def disk_volume_layers(self, disk: Vhd) -> list[Volume]: ...
        def disk_written(self, disk: Vhd, grown: int) -> None: ...
        def disk_busy(self, disk: Vhd) -> bool: ...
        def disk_has_busy_children(self, disk: Vhd) -> bool: ...
        def disk_write_refusal(self, disk: Vhd, reason: str, prefix: str = "") -> None: ...
