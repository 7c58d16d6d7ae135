"""Get-ItemProperty and Get-ItemPropertyValue on registry keys (`registry.py`) and files.

A missing key is the provider's PathNotFound; a missing value is the PSArgumentException
"Property X does not exist at path HKEY_LOCAL_MACHINE\\...", both non-terminating as on Windows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hypervsim.powershell import api
from hypervsim.powershell.cmdlets.files import PATH_PARAMS, item_object
from hypervsim.powershell.cmdlets.world_bridge import flatten
from hypervsim.powershell.registry import (
    PROVIDER,
    canonical,
    display_path,
    key_values,
    not_modelled_message,
    parse_key,
    unmodelled,
)
from hypervsim.powershell.values import to_string

MANAGEMENT = "Microsoft.PowerShell.Management"
CMDS = "Microsoft.PowerShell.Commands."
L = api.ParamKind.LIST


def _cls(inv: api.Invocation) -> str:
    return CMDS + inv.name.replace("-", "") + "Command"


def _path_not_found(inv: api.Invocation, shown: str) -> None:
    inv.write_error(
        api.ErrorRecord(
            message=f"Cannot find path '{shown}' because it does not exist.",
            category=api.ErrorCategory.ObjectNotFound,
            fqid=f"PathNotFound,{_cls(inv)}",
            target=shown,
            exception_type="System.Management.Automation.ItemNotFoundException",
        )
    )


def _no_property(inv: api.Invocation, name: str, where: str) -> None:
    inv.write_error(
        api.ErrorRecord(
            message=f"Property {name} does not exist at path {where}.",
            category=api.ErrorCategory.InvalidArgument,
            fqid=f"System.Management.Automation.PSArgumentException,{_cls(inv)}",
            target=name,
            exception_type="System.Management.Automation.PSArgumentException",
        )
    )


def _not_modelled(key: str) -> api.CmdletError:
    return api.CmdletError(
        api.ErrorRecord(
            message=not_modelled_message(key),
            category=api.ErrorCategory.NotImplemented,
            fqid="NotSupportedByEmulator",
            exception_type="System.NotSupportedException",
        )
    )


def _paths(inv: api.Invocation) -> list[str]:
    raw = inv.bound.get("LiteralPath") or inv.bound.get("Path")
    if raw is None and inv.input:
        raw = list(inv.input)
    return [to_string(p) for p in flatten(raw)]


def _properties(
    inv: api.Invocation, path: str
) -> tuple[dict[str, Any], str, dict[str, Any]] | None:
    """(values, where-for-errors, PS* properties) of the registry key or file at `path`."""
    key = parse_key(path)
    if key is not None and unmodelled(key) is not None:
        raise _not_modelled(key)
    if key is not None:
        name = canonical(key)
        values = key_values(inv.computer, key) if name is not None else None
        if name is None or values is None:
            _path_not_found(inv, display_path(key) if path.lower().startswith("hk") else path)
            return None
        parent, _, child = name.rpartition("\\")
        hive = name.split("\\", 1)[0]
        ps = {
            "PSPath": f"{PROVIDER}::{name}",
            "PSParentPath": f"{PROVIDER}::{parent}",
            "PSChildName": child,
            "PSDrive": {"HKEY_LOCAL_MACHINE": "HKLM", "HKEY_CURRENT_USER": "HKCU"}.get(hive, hive),
            "PSProvider": PROVIDER,
        }
        return values, name, ps
    item = inv.computer.fs_item(path)
    if item is None:
        _path_not_found(inv, path)
        return None
    obj = item_object(item)
    values = {n: v for n, v in obj.items() if not n.startswith("PS")}
    ps = {n: v for n, v in obj.items() if n.startswith("PS")}
    return values, item.full, ps


def _wanted(inv: api.Invocation) -> list[str] | None:
    names = inv.bound.get("Name")
    return None if names is None else [to_string(n) for n in flatten(names)]


@api.cmdlet(
    "Get-ItemProperty",
    *PATH_PARAMS,
    api.Param("Name", L, position=1, aliases=("PSProperty",)),
    module=MANAGEMENT,
    aliases=("gp",),
)
def get_item_property(inv: api.Invocation) -> Iterable[Any]:
    out: list[Any] = []
    wanted = _wanted(inv)
    for path in _paths(inv):
        found = _properties(inv, path)
        if found is None:
            continue
        values, where, ps = found
        lowered = {k.lower(): k for k in values}
        chosen: dict[str, Any] = {}
        for name in wanted if wanted is not None else list(values):
            real = lowered.get(name.lower())
            if real is None:
                _no_property(inv, name, where)
                continue
            chosen[real] = values[real]
        if wanted is not None and not chosen:
            continue
        out.append(
            api.PSObject(
                {**chosen, **ps}, type_names=("System.Management.Automation.PSCustomObject",)
            )
        )
    return out


@api.cmdlet(
    "Get-ItemPropertyValue",
    *PATH_PARAMS,
    api.Param("Name", L, position=1, mandatory=True),
    module=MANAGEMENT,
    aliases=("gpv",),
)
def get_item_property_value(inv: api.Invocation) -> Iterable[Any]:
    out: list[Any] = []
    for path in _paths(inv):
        found = _properties(inv, path)
        if found is None:
            continue
        values, where, _ = found
        lowered = {k.lower(): v for k, v in values.items()}
        for name in _wanted(inv) or []:
            if name.lower() not in lowered:
                _no_property(inv, name, where)
                continue
            out.append(lowered[name.lower()])
    return out
