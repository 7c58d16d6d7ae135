"""Checkpoint-VM and the *-VMSnapshot cmdlets (with their *-VMCheckpoint aliases)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from hypervsim.powershell.api import Invocation, Param, ParamKind, PSObject, cmdlet
from hypervsim.powershell.cmdlets.hyperv_objects import NS
from hypervsim.powershell.cmdlets.world_bridge import (
    HYPERV_MODULE,
    SnapshotType,
    VMState,
    apply_to_each,
    as_bool,
    flatten,
    hyperv_host,
    piped,
    report,
    target_vms,
    unwrap,
)
from hypervsim.powershell.values import to_string
from hypervsim.world.hyperv_checkpoints import snapshot_not_found
from hypervsim.world.model import VM, Computer
from hypervsim.world.records import VMCheckpoint

L = ParamKind.LIST
S = ParamKind.SWITCH


def snapshot_object(host: Computer, vm: VM, checkpoint: VMCheckpoint) -> PSObject:
    """A VMSnapshot as Get-VMSnapshot returns it (configuration as the checkpoint holds it)."""
    config = json.loads(checkpoint.config_json)
    parent = host.checkpoint_by_id(vm, checkpoint.parent_id)
    return PSObject(
        {
            "Name": checkpoint.name,
            "Id": checkpoint.id,
            "VMName": vm.name,
            "VMId": vm.id,
            "ComputerName": host.name,
            "SnapshotType": SnapshotType[checkpoint.snapshot_type],
            "CreationTime": checkpoint.created,
            "ParentSnapshotId": parent.id if parent else None,
            "ParentSnapshotName": parent.name if parent else None,
            "ParentCheckpointId": parent.id if parent else None,
            "ParentCheckpointName": parent.name if parent else None,
            "State": VMState[checkpoint.state],
            "IsDeleted": False,
            "Path": vm.path,
            "Generation": config.get("generation"),
            "Version": config.get("version"),
            "ProcessorCount": config.get("processor_count"),
            "MemoryStartup": config.get("memory_startup"),
            "DynamicMemoryEnabled": config.get("dynamic_memory"),
            "Notes": config.get("notes", ""),
            "HardDrives": [
                PSObject({"VMName": vm.name, "Path": path, "Name": "Hard Drive"})
                for path in checkpoint.disk_paths
            ],
        },
        [NS + "VMSnapshot", NS + "VirtualMachineBase", "System.Object"],
        ref=checkpoint,
    )


@cmdlet(
    "Checkpoint-VM",
    Param("Name", L, aliases=("VMName",), position=0),
    Param("VM", L, from_pipeline=True),
    Param("SnapshotName", position=1),
    Param("ComputerName", L),
    Param("Passthru", S),
    module=HYPERV_MODULE,
)
def checkpoint_vm(inv: Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    name = to_string(inv.bound["SnapshotName"]) if inv.bound.get("SnapshotName") else None
    taken: dict[str, VMCheckpoint] = {}

    def take(vm: VM) -> None:
        taken[vm.id] = host.checkpoint_vm(vm, name)

    yield from apply_to_each(
        inv,
        target_vms(inv, host, name_param="Name"),
        take,
        lambda vm: snapshot_object(host, vm, taken[vm.id]),
    )


def _targets(inv: Invocation, host: Computer, strict: bool = True) -> list[tuple[VM, VMCheckpoint]]:
    """The checkpoints a *-VMSnapshot cmdlet is aimed at: piped/-VMSnapshot objects, or the
    -Name matches among the VMs named by -VMName / passed as -VM. With `strict`, a plain -Name
    that matches nothing is Windows' "Unable to find a snapshot" error (Remove-VMSnapshot
    says nothing); a wildcard just matches nothing."""
    out: list[tuple[VM, VMCheckpoint]] = []
    vms: list[VM] = []
    for item in piped(inv, "VMSnapshot"):
        obj = unwrap(item)
        if isinstance(obj, VMCheckpoint):
            owner = host.checkpoint_owner(obj)
            if owner is not None:
                out.append((owner, obj))
        elif isinstance(obj, VM) and obj not in vms:
            vms.append(obj)
    if "VMName" in inv.bound or "VM" in inv.bound:
        vms += [vm for vm in target_vms(inv, host, lookup=True) if vm not in vms]
    name = inv.bound.get("Name")
    patterns = [to_string(n) for n in flatten(name)] if name is not None else None
    for vm in vms:
        for checkpoint in host.find_checkpoints(vm, patterns):
            out.append((vm, checkpoint))
    plain = patterns and not any(c in p for p in patterns for c in "*?[")
    if strict and vms and plain and not out:
        report(inv, snapshot_not_found())
    return out


@cmdlet(
    "Get-VMSnapshot",
    Param("VMName", L, position=0),
    Param("VM", L),
    Param("Name", position=1),
    Param("Id"),
    Param("SnapshotType"),
    Param("ParentOf"),
    Param("ChildOf"),
    Param("ComputerName", L),
    Param("VMSnapshot", L, from_pipeline=True),
    module=HYPERV_MODULE,
    aliases=("Get-VMCheckpoint",),
)
def get_vm_snapshot(inv: Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    found = _targets(inv, host)
    if inv.bound.get("Id") is not None:
        wanted = to_string(inv.bound["Id"]).lower()
        found = [(vm, c) for vm, c in found if c.id.lower() == wanted]
    if inv.bound.get("SnapshotType") is not None:
        kind = to_string(inv.bound["SnapshotType"]).lower()
        found = [(vm, c) for vm, c in found if c.snapshot_type.lower() == kind]
    return [snapshot_object(host, vm, c) for vm, c in found]


@cmdlet(
    "Restore-VMSnapshot",
    Param("Name", position=0),
    Param("VMName", L, position=1),
    Param("VM", L),
    Param("VMSnapshot", L, aliases=("VMCheckpoint",), from_pipeline=True),
    Param("ComputerName", L),
    Param("Passthru", S),
    module=HYPERV_MODULE,
    aliases=("Restore-VMCheckpoint",),
)
def restore_vm_snapshot(inv: Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    yield from apply_to_each(
        inv,
        _targets(inv, host),
        lambda t: host.restore_checkpoint(*t),
        lambda t: snapshot_object(host, *t),
    )


@cmdlet(
    "Remove-VMSnapshot",
    Param("VMName", L, position=0),
    Param("Name", L, position=1),
    Param("VM", L),
    Param("VMSnapshot", L, aliases=("VMCheckpoint",), from_pipeline=True),
    Param("IncludeAllChildSnapshots", S, aliases=("IncludeAllChildCheckpoints",)),
    Param("ComputerName", L),
    Param("Passthru", S),
    module=HYPERV_MODULE,
    aliases=("Remove-VMCheckpoint",),
)
def remove_vm_snapshot(inv: Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    subtree = as_bool(inv.bound.get("IncludeAllChildSnapshots", False))
    for vm, checkpoint in _targets(inv, host, strict=False):
        out = snapshot_object(host, vm, checkpoint)
        host.remove_checkpoint(vm, checkpoint, include_children=subtree)
        if as_bool(inv.bound.get("Passthru", False)):
            yield out
