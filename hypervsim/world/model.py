"""The emulated estate: `World` (the whole thing) and `Computer` (one Windows machine).

A VM owns the `Computer` that is its guest OS; a guest with Hyper-V installed is itself a
Hyper-V host, to any depth. The rules are in the mixins (hyperv.py, tcpip.py, features.py);
this module holds the state, the links between machines, persistence and `describe()`.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, PrivateAttr, field_validator

from hypervsim.world.disks import DiskHost
from hypervsim.world.features import FeatureSet, default_features
from hypervsim.world.filesystem import WINDOWS_DIRS, FileSystem, Volume, default_volume
from hypervsim.world.guest_services import GuestServices
from hypervsim.world.hyperv import HyperVHost
from hypervsim.world.images import ImageSpec, install_image
from hypervsim.world.profiles import DEFAULT_PROFILE, GiB, get_profile
from hypervsim.world.records import (
    Account,
    DvdDrive,
    Feature,
    HardDrive,
    IPAddress,
    NetAdapter,
    NetNat,
    Route,
    Vhd,
    VMCheckpoint,
    VMNetworkAdapter,
    VMSwitch,
)
from hypervsim.world.scheduled_tasks import ScheduledTask, TaskScheduler
from hypervsim.world.tcpip import LAN_DNS, LAN_GATEWAY, TcpIpStack
from hypervsim.world.timing import TimeModel

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.world.snapshot import WorldSnapshot

STATE_FORMAT = 1
EXECUTED_KEEP = 5000  # newest command names kept in `World.executed` (and the state file)


def device_key(device: HardDrive | DvdDrive | VMNetworkAdapter) -> str:
    """How the firmware's boot order names a device: its kind and slot, or the adapter id."""
    if isinstance(device, VMNetworkAdapter):
        return f"NetworkAdapter:{device.id}"
    kind = "HardDiskDrive" if isinstance(device, HardDrive) else "DvdDrive"
    return (
        f"{kind}:{device.controller_type}:{device.controller_number}:{device.controller_location}"
    )


class VM(BaseModel):
    """A Hyper-V virtual machine and (in `guest`) the Windows it runs."""

    id: str
    name: str
    state: str = "Off"  # Off | Running | Saved | Paused
    generation: int = 1
    version: str = "10.0"
    path: str = ""
    processor_count: int = 1
    expose_virtualization_extensions: bool = False
    memory_startup: int = 1 * GiB
    memory_minimum: int = 512 * 1024**2
    memory_maximum: int = 1024**4
    dynamic_memory: bool = False
    notes: str = ""
    vbs_opt_out: bool = False
    adapters: list[VMNetworkAdapter] = Field(default_factory=list)
    hard_drives: list[HardDrive] = Field(default_factory=list)
    guest: Computer | None = None
    guest_up: bool = False
    # Settings Windows has and reads back that the model does not act on, by property name
    settings: dict[str, Any] = Field(default_factory=dict)
    # With a time model (timing.py): when a booting guest starts answering (epoch seconds).
    guest_ready_at: float | None = None
    # Integration services switched away from their default (Guest Service Interface: off).
    integration_services: dict[str, bool] = Field(default_factory=dict)
    dvd_drives: list[DvdDrive] = Field(default_factory=list)
    # Generation 2 firmware: secure boot, and the boot order as device keys (hyperv_firmware.py)
    secure_boot: bool = True
    secure_boot_template: str = "MicrosoftWindows"
    boot_order: list[str] = Field(default_factory=list)
    checkpoint_type: str = "Production"  # Standard | Production | ProductionOnly | Disabled
    automatic_checkpoints: bool = False  # Windows Server's default (client Windows: on)
    checkpoints: list[VMCheckpoint] = Field(default_factory=list)
    current_checkpoint: str | None = None  # the checkpoint the running state descends from

    def adapter(self, adapter_id: str) -> VMNetworkAdapter | None:
        return next((a for a in self.adapters if a.id == adapter_id), None)

    @field_validator("hard_drives", mode="before")
    @classmethod
    def _paths_of_old_states(cls, value: Any) -> Any:
        """State files of the old model kept plain paths."""
        if isinstance(value, list):
            return [{"path": v} if isinstance(v, str) else v for v in value]
        return value

    def boot_drive(self) -> HardDrive | None:
        """The drive the firmware boots: IDE 0:0 first on generation 1; on generation 2 the
        first hard drive in the firmware's boot order, else SCSI 0:0."""
        for key in self.boot_order if self.generation == 2 else []:
            drive = next((d for d in self.hard_drives if device_key(d) == key), None)
            if drive is not None:
                return drive
        order = {"IDE": 0, "SCSI": 1}
        drives = sorted(
            self.hard_drives,
            key=lambda d: (
                order.get(d.controller_type, 2),
                d.controller_number,
                d.controller_location,
            ),
        )
        return drives[0] if drives else None


class Computer(
    HyperVHost,
    DiskHost,
    GuestServices,
    FileSystem,
    TcpIpStack,
    FeatureSet,
    TaskScheduler,
    BaseModel,
):
    """One Windows machine: the physical L0 host or the guest OS of a VM."""

    name: str
    build: int
    edition: str  # "server" | "client"
    cpu_vendor: str
    vbs: bool = False
    memory_bytes: int = 4 * GiB
    logical_processors: int = 4
    is_physical: bool = False
    features: list[Feature] = Field(default_factory=list)
    switches: list[VMSwitch] = Field(default_factory=list)
    vms: list[VM] = Field(default_factory=list)
    vhds: list[Vhd] = Field(default_factory=list)
    net_adapters: list[NetAdapter] = Field(default_factory=list)
    ip_addresses: list[IPAddress] = Field(default_factory=list)
    routes: list[Route] = Field(default_factory=list)
    nats: list[NetNat] = Field(default_factory=list)
    next_if_index: int = 2
    restart_count: int = 0
    files: Volume = Field(default_factory=lambda: default_volume(*WINDOWS_DIRS))
    # Local accounts PowerShell Direct logs on with (set by Windows Setup at first boot).
    accounts: list[Account] = Field(default_factory=list)
    time_zone: str = "Pacific Standard Time"
    scheduled_tasks: list[ScheduledTask] = Field(default_factory=list)
    # Hyper-V host settings (Get-/Set-VMHost)
    virtual_hard_disk_path: str = "C:\\ProgramData\\Microsoft\\Windows\\Virtual Hard Disks"
    virtual_machine_path: str = "C:\\ProgramData\\Microsoft\\Windows\\Hyper-V"
    mac_address_minimum: str = "00155D000000"
    mac_address_maximum: str = "00155DFFFFFF"
    enable_enhanced_session_mode: bool = False
    numa_spanning_enabled: bool = True
    host_settings: dict[str, Any] = Field(default_factory=dict)  # accepted, not modeled

    _world: World | None = PrivateAttr(default=None)
    _vm: VM | None = PrivateAttr(default=None)
    _host: Computer | None = PrivateAttr(default=None)

    @property
    def world(self) -> World:
        assert self._world is not None, "computer not linked to a world"
        return self._world

    def logical_processor_count(self) -> int:
        """Processors this machine sees: the profile's for L0, its VM's count for a guest."""
        vm = self.vm
        return vm.processor_count if vm is not None else self.logical_processors

    def physical_memory(self) -> int:
        """RAM this machine sees: the profile's for L0, its VM's startup memory for a guest."""
        vm = self.vm
        return vm.memory_startup if vm is not None else self.memory_bytes

    @property
    def vm(self) -> VM | None:
        """The VM whose guest OS this is (None for the physical host)."""
        return self._vm

    @property
    def host(self) -> Computer | None:
        """The Hyper-V host running this machine as a VM (None for the physical host)."""
        return self._host

    @property
    def depth(self) -> int:
        """0 for the physical host, 1 for its VMs' guests, and so on."""
        return 0 if self._host is None else self._host.depth + 1

    def walk(self) -> Iterator[Computer]:
        """This computer and every guest below it."""
        yield self
        for vm in self.vms:
            if vm.guest is not None:
                yield from vm.guest.walk()

    def _link_guest(self, vm: VM) -> None:
        if vm.guest is not None:
            vm.guest._world = self._world
            vm.guest._vm = vm
            vm.guest._host = self
            for inner in vm.guest.vms:
                vm.guest._link_guest(inner)


VM.model_rebuild()
Computer.model_rebuild()


class World:
    """The whole emulated estate, guarded by `lock` (held by whoever runs PowerShell)."""

    def __init__(self, root: Computer, profile: str, seed: int, counter: int = 0) -> None:
        self.root = root
        self.profile = profile
        self.seed = seed
        self.counter = counter
        self.lock = threading.RLock()
        # The newest EXECUTED_KEEP names; `executed_total` counts every one ever recorded, so
        # entry i of the list is execution number executed_total - len(executed) + i.
        self.executed: list[str] = []
        self.executed_total = 0
        self.executed_keep = EXECUTED_KEEP  # `serve --executed-keep N` changes it
        self.host_reboots = 0
        self.timing = TimeModel()  # instant; `serve --time-scale F` gives real durations
        # Runs a scheduled task's action (cmd.exe / PowerShell live above the world): set by
        # the wire layer; returns the action's exit code. See hypervsim.world.scheduled_tasks.
        self.task_runner: Callable[[Computer, ScheduledTask], int] | None = None
        # Whether (user, password) may log on, for tasks registered with a password (the
        # account lives with the wire layer's credentials); None refuses every logon.
        self.check_logon: Callable[[str, str], bool] | None = None
        self.relink()

    # ---- construction / persistence -------------------------------------------------
    @classmethod
    def create(cls, profile: str = DEFAULT_PROFILE, seed: int = 0) -> World:
        """A fresh physical host per the profile: Hyper-V on, an External switch, base images."""
        p = get_profile(profile)
        root = Computer(
            name=p.computer_name,
            build=p.build,
            edition=p.edition,
            cpu_vendor=p.cpu_vendor,
            vbs=p.vbs,
            memory_bytes=p.memory_bytes,
            logical_processors=p.logical_processors,
            is_physical=True,
            features=default_features(p.edition, hyperv_installed=True),
        )
        world = cls(root, profile, seed)
        nic = root.add_net_adapter(
            "Ethernet", "physical", description="Intel(R) Ethernet Connection X722"
        )
        root.add_address(nic, "10.0.0.10", 24, origin="Dhcp")
        root.routes.append(
            Route(
                destination_prefix="0.0.0.0/0",
                next_hop=LAN_GATEWAY,
                interface_index=nic.interface_index,
            )
        )
        nic.dns_servers = [LAN_DNS]
        root.new_switch(
            "External", "External", net_adapter_name="Ethernet", allow_management_os=True
        )
        image_path, family, build, edition = p.image
        install_image(root, ImageSpec(image_path, family, build, edition))
        return world

    def relink(self) -> None:
        """Point every machine at this world, its VM and its host (after load or restore)."""
        self.root._world = self
        self.root._vm = None
        self.root._host = None
        for vm in self.root.vms:
            self.root._link_guest(vm)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": STATE_FORMAT,
            "profile": self.profile,
            "seed": self.seed,
            "counter": self.counter,
            "host_reboots": self.host_reboots,
            "executed": self.executed,
            "executed_total": self.executed_total,
            "root": self.root.model_dump(mode="json"),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> World:
        world = cls(
            Computer.model_validate(data["root"]), data["profile"], data["seed"], data["counter"]
        )
        world.executed = [str(name) for name in data.get("executed", [])]  # trimmed on append
        world.executed_total = max(
            int(data.get("executed_total", 0)), len(data.get("executed", []))
        )
        world.host_reboots = int(data.get("host_reboots", 0))
        return world

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the whole world as JSON atomically (temp file in the same folder + os.replace).

        Called after every line with the world lock held, so it must be cheap: one C-encoded
        `json.dumps` (`json.dump` to a file takes the pure-Python encoder, ~5x the CPU), and no
        fsync: the file has to survive the emulator process (a restart, a kill), which the
        page cache already guarantees; a machine crash is not something the emulator models."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.to_json())
        fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> World:
        with open(path, encoding="utf-8") as f:
            return cls.from_json(json.load(f))

    # ---- deterministic identities -------------------------------------------------------
    def _next(self, kind: str) -> bytes:
        self.counter += 1
        return hashlib.sha256(f"{self.seed}:{kind}:{self.counter}".encode()).digest()

    def new_id(self) -> str:
        """A GUID, deterministic under the world's seed."""
        return str(uuid.UUID(bytes=self._next("id")[:16], version=4)).upper()

    def new_mac(self) -> str:
        """A Hyper-V style dynamic MAC (00-15-5D-xx-xx-xx), as 12 hex digits."""
        tail = self._next("mac")[:3].hex().upper()
        return "00155D" + tail

    def new_computer_name(self) -> str:
        """Windows' random setup name, e.g. WIN-3F7K2M9QX1A."""
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        raw = self._next("name")
        return "WIN-" + "".join(alphabet[b % len(alphabet)] for b in raw[:11])

    # ---- whole-world operations ----------------------------------------------------------
    def computers(self) -> list[Computer]:
        return list(self.root.walk())

    def record_execution(self, computer_name: str, command_name: str) -> None:
        """Called by the interpreter for every cmdlet / application it runs. Only the newest
        `executed_keep` names are kept: the list is rewritten with the state after every line."""
        self.executed.append(command_name)
        self.executed_total += 1
        if len(self.executed) > self.executed_keep:
            del self.executed[: len(self.executed) - self.executed_keep]

    def executed_since(self, total_mark: int) -> list[str]:
        """Names recorded after `executed_total` was `total_mark`; ValueError if some of them
        were already dropped (the caller would otherwise miss executions silently)."""
        new = self.executed_total - total_mark
        if new < 0 or new > len(self.executed):
            raise ValueError(
                f"executions since {total_mark} are no longer all kept "
                f"(total {self.executed_total}, kept {len(self.executed)})"
            )
        return self.executed[len(self.executed) - new :] if new else []

    def reboot_host(self) -> None:
        """A physical host reboot: every VM is off (Hyper-V's default automatic start action is
        'restart if previously running', but the guests' in-flight work is lost); pending
        feature installs of the host complete."""
        self.host_reboots += 1
        was_running = [vm for vm in self.root.vms if vm.state == "Running"]
        for vm in self.root.vms:
            self.root.power_off(vm)
        self.root.complete_restart()
        for vm in was_running:
            self.root.start_vm(vm)

    def snapshot(self) -> WorldSnapshot:
        """The state now, to restore if a command fails (see snapshot.py)."""
        from hypervsim.world.snapshot import WorldSnapshot

        return WorldSnapshot(self)

    def describe(self) -> str:
        """A readable tree of the estate (for `python -m hypervsim show`)."""
        from hypervsim.world.describe import describe_world

        return describe_world(self)
