"""Checkpoints (snapshots) of VMs, with the AVHDX disk model Hyper-V uses.

Taking a checkpoint freezes each of the VM's disks: a differencing child (`<disk>_<id>.avhdx`,
next to the disk) is created and the VM's drive points at it from then on. Applying one makes
a fresh child of the disks that checkpoint froze (the running state since is discarded) and
brings back the VM's configuration and its guest as they were. Removing one merges: a disk
no checkpoint freezes any more, with a single child, absorbs that child. Checkpoint types as
Microsoft's "Using checkpoints" guide describes them: Production uses the guest's volume
shadow copy and captures no memory (applying gives an Off VM), falling back to a standard
checkpoint when that is impossible; ProductionOnly fails instead; Standard captures memory
(applying gives a Saved VM). Microsoft's nested-virtualization guide: saving the state of (and
applying a checkpoint to) a running VM that hosts other VMs does not work.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

from hypervsim.world.errors import WorldError
from hypervsim.world.filesystem import key_of
from hypervsim.world.guest_services import service_enabled
from hypervsim.world.hyperv_base import HyperVBase, hosts_running_vms, turn_off
from hypervsim.world.hyperv_errors import INVALID_STATE_TEXT, matches
from hypervsim.world.records import VMCheckpoint

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.world.model import VM
    from hypervsim.world.records import Vhd

CHECKPOINT_TYPES = ("Disabled", "Production", "ProductionOnly", "Standard")
CONFIG_FIELDS = frozenset(
    {
        "generation", "version", "processor_count", "expose_virtualization_extensions",
        "memory_startup", "memory_minimum", "memory_maximum", "dynamic_memory", "notes",
        "vbs_opt_out", "adapters", "hard_drives", "integration_services", "checkpoint_type",
        "automatic_checkpoints", "dvd_drives", "secure_boot", "secure_boot_template",
        "boot_order",
    }
)  # fmt: skip
"""What a checkpoint keeps of the VM's configuration (not its name, id, state or tree)."""
VSS_SERVICE = "VSS"
MiB = 1024**2


def snapshot_not_found() -> WorldError:
    return WorldError(
        "Unable to find a snapshot matching the given criteria.",
        reason="ObjectNotFound",
        category="ObjectNotFound",
    )


def checkpoint_failed(vm: VM, summary: str, detail: str | None = None) -> WorldError:
    """Hyper-V's checkpoint failure: a summary, then the per-VM lines with the VM's id (the
    last one is `detail`, by default the summary with the id)."""
    return WorldError(
        f"Checkpoint operation failed.\n{summary}\n"
        f"Checkpoint operation for '{vm.name}' failed. (Virtual machine ID {vm.id})\n"
        + (detail or f"{summary[:-1]}. (Virtual machine ID {vm.id})"),
        reason="OperationFailed",
        category="InvalidOperation",
        target=vm.name,
    )


def default_checkpoint_name(vm: VM, now: dt.datetime) -> str:
    """Hyper-V's default: "<vm> - (M/D/YYYY - h:mm:ss AM)"."""
    hour = now.hour % 12 or 12
    half = "AM" if now.hour < 12 else "PM"
    stamp = f"{now.month}/{now.day}/{now.year} - {hour}:{now.minute:02}:{now.second:02} {half}"
    return f"{vm.name} - ({stamp})"


class VmCheckpoints(HyperVBase):
    """Checkpoint-VM, Get-/Restore-/Remove-VMSnapshot and Set-VM -CheckpointType."""

    # ---- lookups ---------------------------------------------------------------------------
    def find_checkpoints(self, vm: VM, patterns: list[str] | None = None) -> list[VMCheckpoint]:
        """The VM's checkpoints, oldest first, whose names match a pattern (all if None)."""
        if not patterns:
            return list(vm.checkpoints)
        return [c for c in vm.checkpoints if matches(c.name, patterns)]

    def checkpoints_named(self, vm: VM, patterns: list[str]) -> list[VMCheckpoint]:
        """Like find_checkpoints; nothing found is Windows' "Unable to find a snapshot" error."""
        found = self.find_checkpoints(vm, patterns)
        if not found:
            raise snapshot_not_found()
        return found

    def checkpoint_owner(self, checkpoint: VMCheckpoint) -> VM | None:
        return next((vm for vm in self.vms if any(c is checkpoint for c in vm.checkpoints)), None)

    def checkpoint_by_id(self, vm: VM, checkpoint_id: str | None) -> VMCheckpoint | None:
        return next((c for c in vm.checkpoints if c.id == checkpoint_id), None)

    # ---- settings --------------------------------------------------------------------------
    def set_checkpoint_type(self, vm: VM, checkpoint_type: str) -> None:
        """Set-VM -CheckpointType (any state)."""
        vm.checkpoint_type = checkpoint_type

    def set_automatic_checkpoints(self, vm: VM, enabled: bool) -> None:
        vm.automatic_checkpoints = enabled

    # ---- Checkpoint-VM ---------------------------------------------------------------------
    def checkpoint_vm(self, vm: VM, name: str | None = None) -> VMCheckpoint:
        """Checkpoint-VM: decide the type, then freeze the disks and record the configuration."""
        if vm.checkpoint_type == "Disabled":
            raise checkpoint_failed(
                vm,
                "Checkpoints have been disabled.",
                f"Checkpoints have been disabled for '{vm.name}'. (Virtual machine ID {vm.id}).",
            )
        running = vm.state != "Off"
        production = vm.checkpoint_type in ("Production", "ProductionOnly")
        if production and running and not (vm.guest_up and service_enabled(vm, VSS_SERVICE)):
            # The guest's volume shadow copy cannot run: fall back, or fail for ProductionOnly.
            if vm.checkpoint_type == "ProductionOnly":
                raise checkpoint_failed(
                    vm, f"Production checkpoints cannot be created for '{vm.name}'."
                )
            production = False
        if running and not production and hosts_running_vms(vm):
            raise checkpoint_failed(
                vm,
                f"'{vm.name}' could not initiate a checkpoint operation.",
                f"'{vm.name}' could not initiate a checkpoint operation: {INVALID_STATE_TEXT[:-1]}. "
                f"(Virtual machine ID {vm.id})",
            )
        frozen: list[Vhd | None] = [self.vhd(d.path) for d in vm.hard_drives]
        checkpoint = VMCheckpoint(
            id=self.world.new_id(),
            name=name or default_checkpoint_name(vm, dt.datetime.now()),
            parent_id=vm.current_checkpoint,
            created=dt.datetime.now().isoformat(timespec="seconds"),
            snapshot_type="Production" if production else "Standard",
            state="Saved" if running and not production else "Off",
            config_json=json.dumps(vm.model_dump(mode="json", include=set(CONFIG_FIELDS))),
            disk_paths=[d.path for d in vm.hard_drives],
            guest_json=vm.guest.model_dump_json() if vm.guest is not None else None,
        )
        for drive, disk in zip(vm.hard_drives, frozen, strict=True):
            if disk is not None:
                drive.path = self._new_avhdx(vm, disk, checkpoint.id).path
        vm.checkpoints.append(checkpoint)
        vm.current_checkpoint = checkpoint.id
        return checkpoint

    def _new_avhdx(self, vm: VM, parent: Vhd, checkpoint_id: str) -> Vhd:
        """The differencing file a checkpoint starts: "<base>_<id>.avhdx" next to the parent."""
        folder, _, file = parent.path.rpartition("\\")
        base = file.rsplit(".", 1)[0]
        if parent.path.lower().endswith(".avhdx"):
            base = base.rsplit("_", 1)[0]
        child = self.new_disk(
            f"{folder}\\{base}_{checkpoint_id}.avhdx", parent.size_bytes, "Differencing", parent
        )
        child.attached_to = vm.id
        return child

    # ---- Restore-VMSnapshot ----------------------------------------------------------------
    def restore_checkpoint(self, vm: VM, checkpoint: VMCheckpoint) -> None:
        """Restore-VMSnapshot: the VM gets the checkpoint's configuration, a new child of each
        disk it froze, and its guest; Off (production/Off checkpoints) or Saved (standard)."""
        from hypervsim.world.model import Computer

        if hosts_running_vms(vm):
            raise WorldError(
                f"'{vm.name}' failed to apply checkpoint. (Virtual machine ID {vm.id})\n"
                f"{INVALID_STATE_TEXT}",
                reason="InvalidState",
                category="InvalidOperation",
                target=vm.name,
            )
        frozen = [self.vhd(p) for p in checkpoint.disk_paths]
        missing = next(
            (p for p, d in zip(checkpoint.disk_paths, frozen, strict=True) if d is None), None
        )
        if missing is not None:
            raise WorldError(
                f"'{vm.name}' failed to apply checkpoint. (Virtual machine ID {vm.id})\n"
                f"The system cannot find the file specified. ('{missing}')",
                reason="ObjectNotFound",
                category="ObjectNotFound",
                target=missing,
            )
        # All checks done: discard the running state, then bring the checkpoint back.
        turn_off(vm)
        self._discard_running_disks(vm)
        config = type(vm).model_validate(
            {"id": vm.id, "name": vm.name, **json.loads(checkpoint.config_json)}
        )
        for field in CONFIG_FIELDS:
            setattr(vm, field, getattr(config, field))
        for drive, disk in zip(vm.hard_drives, frozen, strict=True):
            assert disk is not None
            drive.path = self._new_avhdx(vm, disk, self.world.new_id()).path
        vm.guest = (
            Computer.model_validate_json(checkpoint.guest_json) if checkpoint.guest_json else None
        )
        self._link_guest(vm)
        vm.state = checkpoint.state if vm.guest is not None else "Off"
        vm.current_checkpoint = checkpoint.id

    def _discard_running_disks(self, vm: VM) -> None:
        """The files holding the state since the last checkpoint go (unless a checkpoint or
        another disk still needs them)."""
        frozen = self._frozen_keys(vm)
        for drive in vm.hard_drives:
            disk = self.vhd(drive.path)
            if (
                disk is not None
                and disk.path.lower().endswith(".avhdx")
                and key_of(disk.path) not in frozen
                and not self._children_of(disk)
            ):
                self.vhds.remove(disk)

    # ---- Remove-VMSnapshot -----------------------------------------------------------------
    def remove_checkpoint(
        self, vm: VM, checkpoint: VMCheckpoint, include_children: bool = False
    ) -> None:
        """Remove-VMSnapshot: the checkpoint (and with -IncludeAllChildSnapshots its subtree)
        goes; its children hang off its parent; disks no longer frozen merge."""
        doomed = [checkpoint]
        if include_children:
            doomed += self._descendants(vm, checkpoint)
        for c in reversed(doomed):
            if c not in vm.checkpoints:
                continue
            for child in vm.checkpoints:
                if child.parent_id == c.id:
                    child.parent_id = c.parent_id
            if vm.current_checkpoint == c.id:
                vm.current_checkpoint = c.parent_id
            vm.checkpoints.remove(c)
        self._merge_free_disks(vm)

    def _descendants(self, vm: VM, checkpoint: VMCheckpoint) -> list[VMCheckpoint]:
        out: list[VMCheckpoint] = []
        for c in vm.checkpoints:
            if c.parent_id == checkpoint.id:
                out += [c, *self._descendants(vm, c)]
        return out

    def _frozen_keys(self, vm: VM) -> set[str]:
        return {key_of(p) for c in vm.checkpoints for p in c.disk_paths}

    def _children_of(self, disk: Vhd) -> list[Vhd]:
        return [
            d for d in self.vhds if d.parent_path and key_of(d.parent_path) == key_of(disk.path)
        ]

    def _merge_free_disks(self, vm: VM) -> None:
        """Delete checkpoint files of abandoned branches, and merge every checkpoint file into
        its parent where nothing else needs the parent as it is: the parent belongs to this
        VM, no checkpoint freezes it, and it has one child."""
        merged = True
        while merged:
            merged = False
            frozen = self._frozen_keys(vm)
            in_use = {key_of(d.path) for d in vm.hard_drives} | frozen
            for dead in list(self.vhds):
                # a branch left behind by an applied checkpoint that nothing needs any more
                if (
                    dead.path.lower().endswith(".avhdx")
                    and dead.attached_to == vm.id
                    and key_of(dead.path) not in in_use
                    and not self._children_of(dead)
                ):
                    self.vhds.remove(dead)
                    merged = True
            for child in list(self.vhds):
                parent = self.parent_of_disk(child)
                if (
                    child.path.lower().endswith(".avhdx")
                    and child.attached_to == vm.id
                    and parent is not None
                    and parent.attached_to == vm.id
                    and key_of(parent.path) not in frozen
                    and self._children_of(parent) == [child]
                ):
                    self._merge_into_parent(vm, child, parent)
                    merged = True
                    break

    def _merge_into_parent(self, vm: VM, child: Vhd, parent: Vhd) -> None:
        """The child's blocks go into the parent; whatever pointed at the child points at it."""
        if child.volume is not None:
            if parent.volume is None:
                parent.volume = child.volume
            else:
                for key, entry in child.volume.entries.items():
                    if entry.deleted and parent.parent_path is None:
                        parent.volume.entries.pop(key, None)
                    else:
                        parent.volume.entries[key] = entry
        if parent.vhd_type != "Fixed":
            parent.file_size += max(0, child.file_size - 4 * MiB)
        parent.content_id = self.new_content_id()
        for drive in vm.hard_drives:
            if key_of(drive.path) == key_of(child.path):
                drive.path = parent.path
        for disk in self._children_of(child):
            disk.parent_path = parent.path
        for c in vm.checkpoints:
            c.disk_paths = [
                parent.path if key_of(p) == key_of(child.path) else p for p in c.disk_paths
            ]
        self.vhds.remove(child)
