"""Virtual disks: New-VHD, Get-VHD, Resize-VHD."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hypervsim.powershell.api import Invocation, Param, ParamKind, cmdlet
from hypervsim.powershell.cmdlets.hyperv_objects import vhd_object
from hypervsim.powershell.cmdlets.world_bridge import (
    HYPERV_MODULE,
    as_bool,
    as_int,
    hyperv_host,
    report,
    strings,
)
from hypervsim.world.errors import WorldError

L = ParamKind.LIST
S = ParamKind.SWITCH


@cmdlet(
    "New-VHD",
    Param("Path", position=0),
    Param("SizeBytes", position=1),
    Param("ParentPath"),
    Param("Dynamic", S),
    Param("Fixed", S),
    Param("Differencing", S),
    module=HYPERV_MODULE,
)
def new_vhd(inv: Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    b = inv.bound
    try:
        disk = host.new_vhd(
            str(b.get("Path")),
            as_int(b["SizeBytes"]) if b.get("SizeBytes") is not None else None,
            parent_path=str(b["ParentPath"]) if b.get("ParentPath") else None,
            fixed=as_bool(b.get("Fixed", False)),
        )
    except WorldError as err:
        report(inv, err)
        return []
    return [vhd_object(host, disk)]


@cmdlet("Get-VHD", Param("Path", L, position=0), Param("VMId", L), module=HYPERV_MODULE)
def get_vhd(inv: Invocation) -> Iterable[Any]:
    host = hyperv_host(inv)
    out = []
    for path in strings(inv.bound.get("Path")):
        disk = host.vhd(path)
        if disk is None:
            report(
                inv,
                WorldError(
                    f"Getting the mounted storage instance for the path '{path}' failed.\nThe operation cannot be performed while the object is in its current state.",
                    reason="ObjectNotFound",
                    category="ObjectNotFound",
                    target=path,
                ),
            )
            continue
        out.append(vhd_object(host, disk))
    return out


RESIZE_VHD_CLASS = "Microsoft.Vhd.PowerShell.ResizeVhdCommand"


@cmdlet(
    "Resize-VHD",
    Param("Path", L, position=0),
    Param("SizeBytes", position=1),
    Param("Passthru", S),
    module=HYPERV_MODULE,
)
def resize_vhd(inv: Invocation) -> Iterable[Any]:
    """Each path resized (the rules are the world's); a failure skips that path."""
    host = hyperv_host(inv)
    size = as_int(inv.bound.get("SizeBytes"))
    out = []
    for path in strings(inv.bound.get("Path")):
        disk = host.vhd(path)
        try:
            if disk is None:
                raise WorldError(
                    f"Failed to resize the virtual disk.\nThe system failed to resize '{path}': "
                    "The system cannot find the file specified. (0x80070002).",
                    reason="ObjectNotFound",
                    category="ObjectNotFound",
                    target=path,
                )
            host.resize_disk(disk, size)
        except WorldError as err:
            report(inv, err, RESIZE_VHD_CLASS)
            continue
        if as_bool(inv.bound.get("Passthru", False)):
            out.append(vhd_object(host, disk))
    return out
