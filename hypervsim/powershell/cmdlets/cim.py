"""Get-CimInstance and Get-WmiObject for the classes in `cim_classes` (local computer only).

-Filter takes WQL's simple form (`Prop = 'value'` joined by AND); an unknown class,
namespace or a query the emulator cannot evaluate fails with the error each cmdlet gives on
Windows (a CimException "Invalid class " / HRESULT id, or a ManagementException).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from hypervsim.powershell import api
from hypervsim.powershell.cim_classes import (
    CIMV2,
    CLASSES,
    NAMESPACES,
    UNMODELLED,
    UNMODELLED_NAMESPACES,
    VIEWS,
    normalize_namespace,
)
from hypervsim.powershell.format_output import register_view
from hypervsim.powershell.operators import equals
from hypervsim.powershell.values import to_string

CIM_MODULE = "CimCmdlets"
CIM_CLASS = "Microsoft.Management.Infrastructure.CimCmdlets.GetCimInstanceCommand"
WMI_CLASS = "Microsoft.PowerShell.Commands.GetWmiObjectCommand"
L = api.ParamKind.LIST

_CONDITION = re.compile(
    r"""\s*(?P<prop>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*
        (?:'(?P<sq>[^']*)'|"(?P<dq>[^"]*)"|(?P<bare>[A-Za-z0-9_.\-]+))\s*""",
    re.VERBOSE,
)


class QueryError(Exception):
    """A filter that is no valid WQL condition (WMI: "Invalid query")."""


class UnsupportedQueryError(Exception):
    """Valid WQL the emulator does not evaluate (LIKE, OR, comparisons): said plainly."""


def _conditions(text: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for part in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE):
        m = _CONDITION.fullmatch(part)
        if m is None and re.search(r"\b(like|or|not|is|isa)\b|[<>!]", part, re.IGNORECASE):
            raise UnsupportedQueryError(text)
        if m is None:
            raise QueryError(text)
        raw = m.group("sq") if m.group("sq") is not None else m.group("dq")
        if raw is None:
            bare = m.group("bare")
            raw = {"true": True, "false": False}.get(bare.lower(), bare)
        out.append((m.group("prop"), raw))
    return out


def _matches(props: dict[str, Any], conditions: list[tuple[str, Any]]) -> bool:
    lowered = {k.lower(): v for k, v in props.items()}
    for name, wanted in conditions:
        if name.lower() not in lowered:
            raise QueryError(name)
        value = lowered[name.lower()]
        if isinstance(value, bool) and isinstance(wanted, str):
            wanted = {"true": True, "false": False}.get(wanted.lower(), wanted)
        if not equals(value, wanted):
            return False
    return True


def _unsupported(flt: str) -> api.CmdletError:
    return api.CmdletError(
        api.ErrorRecord(
            message=f"hypervsim evaluates only 'Property = value' filters joined by AND: {flt}",
            category=api.ErrorCategory.NotImplemented,
            fqid="NotSupportedByEmulator",
            exception_type="System.NotSupportedException",
        )
    )


def _instances(
    inv: api.Invocation, namespace: str, class_name: str, flt: str | None, wmi: bool
) -> list[api.PSObject]:
    """The instances, or raise QueryError / KeyError (class) / LookupError (namespace)."""
    ns = normalize_namespace(namespace)
    if ns not in NAMESPACES:
        raise LookupError(ns)
    entry = CLASSES.get((ns, class_name.lower()))
    if entry is None and (ns in UNMODELLED_NAMESPACES or class_name.lower() in UNMODELLED):
        raise api.CmdletError(
            api.ErrorRecord(
                message=f"hypervsim does not model the WMI class {ns}:{class_name}.",
                category=api.ErrorCategory.NotImplemented,
                fqid="NotSupportedByEmulator",
                exception_type="System.NotSupportedException",
            )
        )
    if entry is None:
        raise KeyError(class_name)
    name, build = entry
    props = build(inv.computer)
    if flt and not _matches(props, _conditions(flt)):
        return []
    path = ns.replace("\\", "/") if not wmi else ns
    full = dict(props)
    full["PSComputerName"] = None if not wmi else inv.computer.name
    if wmi:
        full = {"__CLASS": name, "__NAMESPACE": ns, "__SERVER": inv.computer.name, **full}
        type_name = f"System.Management.ManagementObject#{path}\\{name}"
    else:
        type_name = f"Microsoft.Management.Infrastructure.CimInstance#{path}/{name}"
        full["CimClass"] = f"{path}:{name}"
    return [api.PSObject(full, type_names=(type_name, "System.Object"))]


def _selected(obj: api.PSObject, properties: Any) -> api.PSObject:
    """-Property: the named properties keep values, the others read as $null (CIM)."""
    if properties is None:
        return obj
    keep = {
        to_string(p).lower() for p in (properties if isinstance(properties, list) else [properties])
    }
    for name, _ in list(obj.items()):
        if name.lower() not in keep and not name.startswith("__") and name != "PSComputerName":
            obj.set(name, None)
    return obj


def _cim_error(
    message: str, hresult: str, target: str, category: api.ErrorCategory
) -> api.CmdletError:
    return api.CmdletError(
        api.ErrorRecord(
            message=message,
            category=category,
            fqid=f"HRESULT {hresult},{CIM_CLASS}",
            target=target,
            exception_type="Microsoft.Management.Infrastructure.CimException",
        ),
        terminating=False,
    )


@api.cmdlet(
    "Get-CimInstance",
    api.Param("ClassName", position=0, aliases=("Class",)),
    api.Param("Namespace"),
    api.Param("Filter"),
    api.Param("Property", L, aliases=("SelectProperties",)),
    api.Param("ComputerName", L, aliases=("CN", "ServerName")),
    api.Param("OperationTimeoutSec", aliases=("OT",)),
    module=CIM_MODULE,
)
def get_cim_instance(inv: api.Invocation) -> Iterable[Any]:
    b = inv.bound
    namespace = to_string(b.get("Namespace") or CIMV2)
    class_name = to_string(b.get("ClassName") or "")
    target = f"{namespace}:{class_name}"
    _local_only(inv)
    try:
        found = _instances(inv, namespace, class_name, _text(b.get("Filter")), wmi=False)
    except LookupError as exc:
        if isinstance(exc, KeyError):
            raise _cim_error(
                "Invalid class ", "0x80041010", target, api.ErrorCategory.MetadataError
            ) from None
        raise _cim_error(
            "Invalid namespace ", "0x8004100e", target, api.ErrorCategory.MetadataError
        ) from None
    except UnsupportedQueryError:
        raise _unsupported(to_string(b.get("Filter"))) from None
    except QueryError:
        raise _cim_error(
            "Invalid query ", "0x80041017", target, api.ErrorCategory.InvalidArgument
        ) from None
    return [_selected(o, b.get("Property")) for o in found]


@api.cmdlet(
    "Get-WmiObject",
    api.Param("Class", position=0, aliases=("ClassName",)),
    api.Param("Namespace", aliases=("NS",)),
    api.Param("Filter"),
    api.Param("Property", L, position=1),
    api.Param("ComputerName", L, aliases=("Cn",)),
    module="Microsoft.PowerShell.Management",
    aliases=("gwmi",),
)
def get_wmi_object(inv: api.Invocation) -> Iterable[Any]:
    b = inv.bound
    namespace = to_string(b.get("Namespace") or CIMV2)
    class_name = to_string(b.get("Class") or "")
    flt = _text(b.get("Filter"))
    _local_only(inv)
    try:
        found = _instances(inv, namespace, class_name, flt, wmi=True)
    except LookupError as exc:
        if isinstance(exc, KeyError):
            message, category = f'Invalid class "{class_name}"', api.ErrorCategory.InvalidType
        else:
            message, category = (
                f'Invalid namespace "{namespace}"',
                api.ErrorCategory.InvalidArgument,
            )
        raise _wmi_error(message, category) from None
    except UnsupportedQueryError:
        raise _unsupported(to_string(flt)) from None
    except QueryError:
        query = f"select * from {class_name} where {flt}"
        raise _wmi_error(f'Invalid query "{query}"', api.ErrorCategory.InvalidArgument) from None
    return [_selected(o, b.get("Property")) for o in found]


def _wmi_error(message: str, category: api.ErrorCategory) -> api.CmdletError:
    return api.CmdletError(
        api.ErrorRecord(
            message=message,
            category=category,
            fqid=f"GetWMIManagementException,{WMI_CLASS}",
            exception_type="System.Management.ManagementException",
        ),
        terminating=False,
    )


def _text(value: Any) -> str | None:
    return None if value is None else to_string(value)


def _local_only(inv: api.Invocation) -> None:
    names = inv.bound.get("ComputerName")
    for name in names if isinstance(names, list) else ([names] if names else []):
        text = to_string(name).lower()
        if text not in (".", "localhost", inv.computer.name.lower()):
            raise api.CmdletError(
                api.ErrorRecord(
                    message=f"hypervsim does not support CIM/WMI queries to another computer ({text}).",
                    category=api.ErrorCategory.NotImplemented,
                    fqid="NotSupportedByEmulator",
                    exception_type="System.NotSupportedException",
                )
            )


for _class, _props in VIEWS.items():
    register_view(f"Microsoft.Management.Infrastructure.CimInstance#root/cimv2/{_class}", _props)
