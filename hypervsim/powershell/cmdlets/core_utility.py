"""Session utilities: Start-Sleep, Get-Command, credentials, dates, paths, variables, modules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from hypervsim.powershell import api
from hypervsim.powershell.members import dotnet_date_format
from hypervsim.powershell.operators import like
from hypervsim.powershell.types import to_number
from hypervsim.powershell.values import SecureString, to_string

UTILITY = "Microsoft.PowerShell.Utility"
CORE = "Microsoft.PowerShell.Core"
MANAGEMENT = "Microsoft.PowerShell.Management"
SECURITY = "Microsoft.PowerShell.Security"
S = api.ParamKind.SWITCH
L = api.ParamKind.LIST

NOT_RECOGNIZED = (
    "The term '{0}' is not recognized as the name of a cmdlet, function, script file, or"
    " operable program. "
    "Check the spelling of the name, or if a path was included, verify that the path is"
    " correct and try again."
)

# Modules the emulated hosts ship with (name -> version).
KNOWN_MODULES = {
    "Hyper-V": "2.0.0.0",
    "NetNat": "1.0.0.0",
    "NetTCPIP": "1.0.0.0",
    "NetAdapter": "2.0.0.0",
    "DnsClient": "1.0.0.0",
    "ServerManager": "2.0.0.0",
    "Dism": "3.0",
    "Microsoft.PowerShell.Utility": "3.1.0.0",
    "Microsoft.PowerShell.Management": "3.1.0.0",
    "Microsoft.PowerShell.Security": "3.0.0.0",
    "Microsoft.PowerShell.Core": "3.0.0.0",
}

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.powershell.evaluator import CmdletInvocation, Evaluator


def _ev(inv: api.Invocation) -> Evaluator:
    """Core cmdlets are part of the interpreter and may use its evaluator directly."""
    return cast("CmdletInvocation", inv).evaluator


@api.cmdlet(
    "Start-Sleep",
    api.Param("Seconds", position=0),
    api.Param("Milliseconds", aliases=("ms",)),
    module=MANAGEMENT,
    aliases=("sleep",),
)
def start_sleep(inv: api.Invocation) -> None:
    seconds = float(to_number(inv.bound.get("Seconds", 0)))
    seconds += float(to_number(inv.bound.get("Milliseconds", 0))) / 1000.0
    timing = getattr(getattr(inv.computer, "world", None), "timing", None)
    inv.sleep(seconds if timing is None else timing.wait_seconds(seconds))  # host clock


def _command_info(name: str, kind: str, module: str) -> api.PSObject:
    version = KNOWN_MODULES.get(module, "1.0.0.0") if kind != "Application" else "10.0.20348.1"
    return api.PSObject(
        {
            "CommandType": kind,
            "Name": name,
            "Version": version,
            "Source": module,
            "ModuleName": module,
        },
        type_names=(
            (
                f"System.Management.Automation."
                f"{'ApplicationInfo' if kind == 'Application' else 'CmdletInfo'}"
            ),
        ),
    )


@api.cmdlet(
    "Get-Command",
    api.Param("Name", L, position=0),
    api.Param("Module", L),
    api.Param("CommandType"),
    api.Param("ListImported", S),
    api.Param("Noun", L),
    api.Param("Verb", L),
    module=CORE,
    aliases=("gcm",),
)
def get_command(inv: api.Invocation) -> Iterable[Any]:
    names = [to_string(n) for n in inv.bound.get("Name") or ["*"]]
    modules = [to_string(m).lower() for m in inv.bound.get("Module") or []]
    specs: dict[str, api.CmdletSpec] = {}
    for spec in api.REGISTRY.values():
        if spec.available_on(inv.computer):
            specs.setdefault(spec.name.lower(), spec)
    scope = _ev(inv).scope
    out: list[Any] = []
    for name in names:
        found: list[api.PSObject] = []
        bare = name.split("\\", 1)[-1]
        if "*" in bare or "?" in bare:
            for spec in specs.values():
                if like(spec.name, bare) and (not modules or spec.module.lower() in modules):
                    found.append(_command_info(spec.name, spec.kind, spec.module))
        else:
            function = scope.find_function(bare.lower())
            if function is not None:
                found.append(_command_info(function.name, "Function", ""))
            else:
                hit = api.lookup(name, inv.computer)
                if hit is not None and (not modules or hit.module.lower() in modules):
                    kind = "Alias" if bare.lower() in (a.lower() for a in hit.aliases) else hit.kind
                    found.append(
                        _command_info(hit.name if kind != "Alias" else bare, kind, hit.module)
                    )
        if not found and "*" not in bare:
            inv.write_error(
                api.ErrorRecord(
                    message=NOT_RECOGNIZED.format(name),
                    category=api.ErrorCategory.ObjectNotFound,
                    fqid="CommandNotFoundException,Microsoft.PowerShell.Commands.GetCommandCommand",
                    target=name,
                    exception_type="System.Management.Automation.CommandNotFoundException",
                )
            )
        out.extend(sorted(found, key=lambda o: to_string(o.get("Name")).lower()))
    return out


@api.cmdlet(
    "ConvertTo-SecureString",
    api.Param("String", position=0, mandatory=True),
    api.Param("AsPlainText", S),
    api.Param("Force", S),
    api.Param("Key"),
    api.Param("SecureKey"),
    module=SECURITY,
)
def convert_to_secure_string(inv: api.Invocation) -> Iterable[Any]:
    text = to_string(inv.bound.get("String"))
    if not inv.bound.get("AsPlainText"):
        raise api.CmdletError(
            api.ErrorRecord(
                message="Input string was not in a correct format.",
                category=api.ErrorCategory.InvalidArgument,
                fqid="ImportSecureString_InvalidArgument,Microsoft.PowerShell.Commands.ConvertToSecureStringCommand",
                exception_type="System.FormatException",
            )
        )
    if not inv.bound.get("Force"):
        raise api.CmdletError(
            api.ErrorRecord(
                message=(
                    "The system cannot protect plain text input. To suppress this warning and"
                    " convert the plain text to a SecureString, reissue the command specifying"
                    " the Force parameter. For more information ,type: get-help"
                    " ConvertTo-SecureString."
                ),
                category=api.ErrorCategory.InvalidArgument,
                fqid="ImportSecureString_InvalidArgument,Microsoft.PowerShell.Commands.ConvertToSecureStringCommand",
                exception_type="System.ArgumentException",
            )
        )
    return [SecureString(text)]


@api.cmdlet(
    "Get-Date",
    api.Param("Date", position=0),
    api.Param("Format"),
    api.Param("UFormat"),
    module=UTILITY,
)
def get_date(inv: api.Invocation) -> Iterable[Any]:
    value = inv.bound.get("Date")
    now = value if isinstance(value, dt.datetime) else dt.datetime.now()
    if "Format" in inv.bound:
        return [dotnet_date_format(now, to_string(inv.bound["Format"]))]
    if "UFormat" in inv.bound:
        fmt = to_string(inv.bound["UFormat"])
        return [now.strftime(fmt) if fmt != "%s" else str(int(now.timestamp()))]
    return [now]


@api.cmdlet(
    "Join-Path",
    api.Param("Path", L, position=0, mandatory=True),
    api.Param("ChildPath", position=1),
    api.Param("AdditionalChildPath", L),
    module=MANAGEMENT,
    accepts_args=True,
)
def join_path(inv: api.Invocation) -> Iterable[Any]:
    children = [to_string(inv.bound.get("ChildPath", ""))] + [to_string(c) for c in inv.args]
    out = []
    for base in inv.bound.get("Path") or []:
        text = to_string(base)
        for child in children:
            if child:
                text = text.rstrip("\\/") + "\\" + child.lstrip("\\/")
        out.append(text)
    return out


@api.cmdlet(
    "Get-Variable",
    api.Param("Name", L, position=0),
    api.Param("ValueOnly", S),
    api.Param("Scope"),
    aliases=("gv",),
)
def get_variable(inv: api.Invocation) -> Iterable[Any]:
    evaluator = _ev(inv)
    out: list[Any] = []
    for raw in inv.bound.get("Name") or []:
        name = to_string(raw)
        holder = evaluator.scope.find(name.lower())
        if holder is None:
            inv.write_error(
                api.ErrorRecord(
                    message=f"Cannot find a variable with the name '{name}'.",
                    category=api.ErrorCategory.ObjectNotFound,
                    fqid="VariableNotFound,Microsoft.PowerShell.Commands.GetVariableCommand",
                    target=name,
                    exception_type="System.Management.Automation.ItemNotFoundException",
                )
            )
            continue
        value = holder.vars[name.lower()]
        out.append(
            value
            if inv.bound.get("ValueOnly")
            else api.PSObject(
                {"Name": name, "Value": value},
                type_names=("System.Management.Automation.PSVariable",),
            )
        )
    return out


@api.cmdlet(
    "Set-Variable",
    api.Param("Name", L, position=0, mandatory=True),
    api.Param("Value", position=1),
    api.Param("Scope"),
    api.Param("Option"),
    api.Param("PassThru", S),
    aliases=("sv", "set"),
)
def set_variable(inv: api.Invocation) -> Iterable[Any]:
    scope = to_string(inv.bound.get("Scope", "")).lower() or None
    value = inv.bound.get(
        "Value", inv.input[0] if len(inv.input) == 1 else (list(inv.input) or None)
    )
    for raw in inv.bound.get("Name") or []:
        _ev(inv).set_var(to_string(raw), value, scope if scope in ("global", "script") else None)
    return []


@api.cmdlet(
    "New-Variable",
    api.Param("Name", position=0, mandatory=True),
    api.Param("Value", position=1),
    api.Param("Scope"),
    api.Param("Option"),
    api.Param("Force", S),
)
def new_variable(inv: api.Invocation) -> None:
    scope = to_string(inv.bound.get("Scope", "")).lower() or None
    _ev(inv).set_var(
        to_string(inv.bound["Name"]),
        inv.bound.get("Value"),
        scope if scope in ("global", "script") else None,
    )


@api.cmdlet(
    "Remove-Variable",
    api.Param("Name", L, position=0, mandatory=True),
    api.Param("Scope"),
    api.Param("Force", S),
    aliases=("rv",),
)
def remove_variable(inv: api.Invocation) -> None:
    evaluator = _ev(inv)
    for raw in inv.bound.get("Name") or []:
        holder = evaluator.scope.find(to_string(raw).lower())
        if holder is not None:
            del holder.vars[to_string(raw).lower()]


def _module_not_found(name: str) -> api.ErrorRecord:
    return api.ErrorRecord(
        message=(
            f"The specified module '{name}' was not loaded because no valid module file was"
            f" found in any module directory."
        ),
        category=api.ErrorCategory.ResourceUnavailable,
        fqid="Modules_ModuleNotFound,Microsoft.PowerShell.Commands.ImportModuleCommand",
        target=name,
        exception_type="System.IO.FileNotFoundException",
    )


def _known_module(name: str) -> str | None:
    return next((m for m in KNOWN_MODULES if m.lower() == name.lower()), None)


@api.cmdlet(
    "Import-Module",
    api.Param("Name", L, position=0, mandatory=True),
    api.Param("Force", S),
    api.Param("PassThru", S),
    api.Param("Global", S),
    api.Param("DisableNameChecking", S),
    api.Param("MinimumVersion"),
    api.Param("RequiredVersion"),
    module=CORE,
    aliases=("ipmo",),
)
def import_module(inv: api.Invocation) -> Iterable[Any]:
    out: list[Any] = []
    for raw in inv.bound.get("Name") or []:
        known = _known_module(to_string(raw))
        if known is None:
            inv.write_error(_module_not_found(to_string(raw)))
            continue
        _ev(inv).loaded_modules.add(known)
        if inv.bound.get("PassThru"):
            out.append(_module_info(known))
    return out


def _module_info(name: str) -> api.PSObject:
    return api.PSObject(
        {
            "ModuleType": "Manifest",
            "Version": KNOWN_MODULES[name],
            "Name": name,
            "ExportedCommands": [],
        },
        type_names=("System.Management.Automation.PSModuleInfo",),
    )


@api.cmdlet(
    "Get-Module",
    api.Param("Name", L, position=0),
    api.Param("ListAvailable", S),
    api.Param("All", S),
    module=CORE,
    aliases=("gmo",),
)
def get_module(inv: api.Invocation) -> Iterable[Any]:
    names = [to_string(n) for n in inv.bound.get("Name") or ["*"]]
    pool = (
        list(KNOWN_MODULES) if inv.bound.get("ListAvailable") else sorted(_ev(inv).loaded_modules)
    )
    return [_module_info(m) for m in pool if any(like(m, n) for n in names)]


@api.cmdlet("Get-Host", module=UTILITY)
def get_host(inv: api.Invocation) -> Iterable[Any]:
    return [_ev(inv).get_var("Host")]


@api.cmdlet(
    "Get-Random",
    api.Param("Maximum", position=0),
    api.Param("Minimum"),
    api.Param("InputObject", L),
    api.Param("Count"),
    module=UTILITY,
)
def get_random(inv: api.Invocation) -> Iterable[Any]:
    """Deterministic (always the lowest candidate) so emulator runs are reproducible."""
    if "InputObject" in inv.bound:
        items = inv.bound["InputObject"]
        return items[:1]
    return [int(to_number(inv.bound.get("Minimum", 0)))]


def _path_info(path: str) -> api.PSObject:
    drive = path[:1] if len(path) > 1 and path[1] == ":" else "C"
    return api.PSObject(
        {
            "Drive": drive,
            "Provider": "Microsoft.PowerShell.Core\\FileSystem",
            "ProviderPath": path,
            "Path": path,
        },
        type_names=("System.Management.Automation.PathInfo",),
    )


@api.cmdlet("Get-Location", module=MANAGEMENT, aliases=("pwd", "gl"))
def get_location(inv: api.Invocation) -> Iterable[Any]:
    return [_path_info(to_string(_ev(inv).get_var("PWD")))]


@api.cmdlet(
    "Set-Location",
    api.Param("Path", position=0),
    api.Param("PassThru", S),
    module=MANAGEMENT,
    aliases=("cd", "sl", "chdir"),
)
def set_location(inv: api.Invocation) -> Iterable[Any]:
    """Changes $PWD only (the emulator has no file system): absolute or relative paths."""
    evaluator = _ev(inv)
    current = to_string(evaluator.get_var("PWD"))
    target = to_string(inv.bound.get("Path", evaluator.env.get("USERPROFILE", "C:\\")))
    if len(target) >= 2 and target[1] == ":":
        new = target
    elif target.startswith("\\"):
        new = current[:2] + target
    elif target == "..":
        new = current.rstrip("\\").rsplit("\\", 1)[0] or current[:3]
        if len(new) == 2:
            new += "\\"
    else:
        new = current.rstrip("\\") + "\\" + target
    evaluator.global_scope.vars["pwd"] = new
    return [_path_info(new)] if inv.bound.get("PassThru") else []
