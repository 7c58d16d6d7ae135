"""Virtual disks: New-VHD, Get-VHD."""

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
