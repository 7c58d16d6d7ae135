"""Static .NET members: `[Type]::Member` and `[Type]::Method(...)` ([Convert], [Math]...).

Only what Hyper-V lab scripts use; an unknown type fails with Windows' "Unable to find type";
on a known type a property it lacks reads as $null and a method it lacks fails with Windows'
"does not contain a method named" text.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
import re
import uuid
from typing import Any

from hypervsim.powershell import dotnet_io, dotnet_objects
from hypervsim.powershell.api import ENUM_TYPES
from hypervsim.powershell.members import MemberContext, MemberError, dotnet_failure
from hypervsim.powershell.operators import (
    compile_regex,
    format_operator,
)
from hypervsim.powershell.operators import (
    replace as regex_replace,
)
from hypervsim.powershell.types import CastError, convert, full_type_name, to_number
from hypervsim.powershell.values import (
    NO_SUCH_METHOD,
    EncodingValue,
    ScriptBlockValue,
    to_string,
)

# Types implemented in their own modules: lower-cased full name -> member handler.
STATIC_GET: dict[str, Any] = {**dotnet_objects.STATIC_GET, **dotnet_io.STATIC_GET}
STATIC_CALL: dict[str, Any] = {**dotnet_objects.STATIC_CALL, **dotnet_io.STATIC_CALL}


def _type_key(type_name: str) -> str:
    """Lower-case full name; like PowerShell, `[IO.File]` also finds `System.IO.File`."""
    key = full_type_name(type_name).lower()
    if not _known(key) and _known("system." + key):
        return "system." + key
    return key


def _known(key: str) -> bool:
    return key in _KNOWN_STATIC_TYPES or key in STATIC_GET or key in STATIC_CALL


_ENCODINGS = {
    "utf8": ("utf-8", "UTF8"),
    "unicode": ("utf-16-le", "Unicode"),
    "ascii": ("ascii", "ASCII"),
    "default": ("cp1252", "Default"),
    "bigendianunicode": ("utf-16-be", "BigEndianUnicode"),
    "utf32": ("utf-32-le", "UTF32"),
}


def get_static(type_name: str, member: str, ctx: MemberContext) -> Any:
    """`[Type]::Member`."""
    key = _type_key(type_name)
    lowered = member.lower()
    enum_type = ENUM_TYPES.get(key)
    if enum_type is not None:
        # An enum's members are its static properties; a name it lacks reads as $null.
        return next((m for m in enum_type if m.name.lower() == lowered), None)
    getter = STATIC_GET.get(key)
    if getter is not None:
        value = getter(lowered, ctx)
        if value is not NO_SUCH_METHOD:
            return value
    if key == "system.text.encoding" and lowered in _ENCODINGS:
        codec, name = _ENCODINGS[lowered]
        return EncodingValue(codec, name)
    if key in ("system.int32", "system.int64", "system.byte"):
        limits = {
            "system.int32": (2**31 - 1, -(2**31)),
            "system.int64": (2**63 - 1, -(2**63)),
            "system.byte": (255, 0),
        }[key]
        if lowered == "maxvalue":
            return limits[0]
        if lowered == "minvalue":
            return limits[1]
    if key == "system.double" and lowered in ("maxvalue", "minvalue"):
        return 1.7976931348623157e308 if lowered == "maxvalue" else -1.7976931348623157e308
    if key == "system.math":
        if lowered == "pi":
            return math.pi
        if lowered == "e":
            return math.e
    if key == "system.string" and lowered == "empty":
        return ""
    if key == "system.datetime":
        if lowered == "now":
            return dt.datetime.now()
        if lowered == "utcnow":
            return dt.datetime.now(dt.UTC).replace(tzinfo=None)
        if lowered == "today":
            return dt.datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
    if key == "system.environment":
        if lowered == "machinename":
            return ctx.computer_name
        if lowered == "newline":
            return "\r\n"
        if lowered == "processorcount":
            return 4
        if lowered == "username":
            return ctx.env.get("USERNAME", "Administrator")
        if lowered == "is64bitoperatingsystem":
            return True
    if key == "system.guid" and lowered == "empty":
        return "00000000-0000-0000-0000-000000000000"
    if _known(key):
        return None  # as on Windows (outside strict mode): a static property it lacks is $null
    raise unknown_type(type_name)


def unknown_type(type_name: str) -> MemberError:
    return MemberError(f"Unable to find type [{type_name}].", "TypeNotFound", "InvalidOperation")


_KNOWN_STATIC_TYPES = frozenset(
    {
        "system.convert",
        "system.text.encoding",
        "system.math",
        "system.datetime",
        "system.string",
        "system.int32",
        "system.int64",
        "system.byte",
        "system.double",
        "system.guid",
        "system.environment",
        "system.text.regularexpressions.regex",
        "system.net.ipaddress",
        "system.io.path",
        "system.net.dns",
        "system.boolean",
        "system.char",
        "system.management.automation.psobject",
        "system.array",
        "system.collections.hashtable",
        "system.object",
        "system.timespan",
        "system.version",
        "system.management.automation.scriptblock",
        "system.runtime.interopservices.marshal",
    }
)


def _create_script_block(method: str, a: list[Any]) -> ScriptBlockValue:
    """`[scriptblock]::Create(text)`: parse now, so a syntax error surfaces at this call."""
    from hypervsim.powershell.parser import ParseFailure, parse_cached

    try:
        script = parse_cached(to_string(a[0]))
    except ParseFailure as exc:
        raise dotnet_failure(
            method, a, exc.record.message, "System.Management.Automation.ParseException"
        ) from None
    return ScriptBlockValue(script.block, list(script.lines))


def call_static(type_name: str, method: str, args: list[Any], ctx: MemberContext) -> Any:
    """`[Type]::Method(args)`."""
    key = _type_key(type_name)
    lowered = method.lower()
    a = args
    try:
        handler = STATIC_CALL.get(key)
        if handler is not None:
            value = handler(lowered, a, ctx)
            if value is not NO_SUCH_METHOD:
                return value
        if key == "system.convert":
            if lowered == "frombase64string":
                text = to_string(a[0])
                try:
                    return base64.b64decode(re.sub(r"\s", "", text), validate=True)
                except (binascii.Error, ValueError):
                    raise dotnet_failure(
                        method,
                        a,
                        (
                            "The input is not a valid Base-64 string as it contains a non-base"
                            " 64 character, more than two padding characters, or an illegal"
                            " character among the padding characters. "
                        ),
                        "System.FormatException",
                    ) from None
            if lowered == "tobase64string":
                data = a[0]
                if isinstance(data, list):
                    data = bytes(int(to_number(b)) & 0xFF for b in data)
                return base64.b64encode(bytes(data)).decode("ascii")
            if lowered in ("toint32", "toint64"):
                if len(a) > 1:
                    return int(to_string(a[0]), int(to_number(a[1])))
                return convert("int", a[0])
            if lowered == "tostring":
                if len(a) > 1:
                    number, base = int(to_number(a[0])), int(to_number(a[1]))
                    return {
                        2: format(number, "b"),
                        8: format(number, "o"),
                        16: format(number, "x"),
                    }.get(base, str(number))
                return to_string(a[0])
            if lowered == "toboolean":
                return convert("bool", a[0])
        if key == "system.math":
            return _math(lowered, method, a)
        if key == "system.string":
            if lowered == "isnullorempty":
                return a[0] is None or to_string(a[0]) == ""
            if lowered == "isnullorwhitespace":
                return a[0] is None or to_string(a[0]).strip() == ""
            if lowered == "join":
                items = a[1] if len(a) == 2 and isinstance(a[1], list) else a[1:]
                return to_string(a[0]).join(to_string(i) for i in items)
            if lowered == "format":
                return format_operator(
                    a[0], list(a[1:]) if len(a) != 2 or not isinstance(a[1], list) else a[1]
                )
            if lowered == "concat":
                return "".join(to_string(i) for i in a)
            if lowered == "equals":
                return to_string(a[0]) == to_string(a[1])
        if key in ("system.int32", "system.int64", "system.double") and lowered == "parse":
            return convert(type_name, to_string(a[0]))
        if key == "system.guid":
            if lowered == "newguid":
                return str(uuid.uuid4())
            if lowered == "parse":
                return convert("guid", a[0])
        if key == "system.datetime" and lowered == "parse":
            return convert("datetime", a[0])
        if key == "system.net.ipaddress" and lowered == "parse":
            return convert("ipaddress", a[0])
        if key == "system.environment":
            if lowered == "getenvironmentvariable":
                return ctx.env.get(to_string(a[0]).upper())
        if key == "system.runtime.interopservices.marshal" and lowered == "releasecomobject":
            return 0  # the references left; the emulator's COM objects are plain objects
        if key == "system.net.dns" and lowered == "gethostname":
            return ctx.computer_name
        if key == "system.management.automation.scriptblock" and lowered == "create":
            return _create_script_block(method, a)
        if key == "system.text.regularexpressions.regex":
            if lowered == "escape":
                return re.sub(r"([\\*+?|{\[()^$.# ])", r"\\\1", to_string(a[0]))
            if lowered == "ismatch":
                return compile_regex(a[1], False).search(to_string(a[0])) is not None and True
            if lowered == "replace":
                return regex_replace(a[0], [a[1], a[2]], True)
            if lowered == "split":
                return compile_regex(a[1], True).split(to_string(a[0]))
    except CastError as exc:
        raise dotnet_failure(method, a, str(exc), "System.FormatException") from None
    except IndexError:
        raise MemberError(
            f'Cannot find an overload for "{method}" and the argument count: "{len(a)}".',
            "MethodCountCouldNotFindBest",
        ) from None
    if _known(key):
        raise MemberError(
            (
                f"Method invocation failed because [{full_type_name(type_name)}] does not"
                f" contain a method named '{method}'."
            ),
            "MethodNotFound",
        )
    raise unknown_type(type_name)


def _math(lowered: str, method: str, a: list[Any]) -> Any:
    nums = [to_number(x) for x in a]
    if lowered == "round":
        if len(nums) > 1:
            return round(float(nums[0]), int(nums[1]))
        result = round(nums[0])
        return float(result) if isinstance(nums[0], float) else result
    if lowered == "floor":
        return float(math.floor(nums[0]))
    if lowered == "ceiling":
        return float(math.ceil(nums[0]))
    if lowered == "truncate":
        return float(math.trunc(nums[0]))
    if lowered == "max":
        return max(nums[0], nums[1])
    if lowered == "min":
        return min(nums[0], nums[1])
    if lowered == "abs":
        return abs(nums[0])
    if lowered == "pow":
        return float(nums[0]) ** float(nums[1])
    if lowered == "sqrt":
        return math.sqrt(nums[0])
    raise MemberError(
        (
            f"Method invocation failed because [System.Math] does not contain a method named"
            f" '{method}'."
        ),
        "MethodNotFound",
    )
