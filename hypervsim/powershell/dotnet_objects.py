"""Small .NET objects scripts read: System.Version, TimeSpan, Stopwatch, $ExecutionContext.

Each is a `DotNetObject` (properties as Windows names them, methods by lower-cased name).
`STATIC_GET` / `STATIC_CALL` give their types' static members; `static_members` dispatches
to them by the lower-cased full type name.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from hypervsim.powershell.types import convert, to_number
from hypervsim.powershell.values import NO_SUCH_METHOD, DotNetObject, to_string

TICKS_PER_SECOND = 10_000_000


class VersionValue(DotNetObject):
    """System.Version: `$PSVersionTable.PSVersion.Major -ge 5` and its four-column table."""

    type_name = "System.Version"

    def __init__(self, major: int, minor: int, build: int = -1, revision: int = -1) -> None:
        self.parts = (major, minor, build, revision)

    @classmethod
    def parse(cls, text: str) -> VersionValue:
        numbers = [int(p) for p in text.strip().split(".")]
        if not 2 <= len(numbers) <= 4:
            raise ValueError(text)
        return cls(*numbers)

    def properties(self) -> dict[str, Any]:
        major, minor, build, revision = self.parts
        return {
            "Major": major,
            "Minor": minor,
            "Build": build,
            "Revision": revision,
            "MajorRevision": revision >> 16 if revision >= 0 else -1,
            "MinorRevision": revision & 0xFFFF if revision >= 0 else -1,
        }

    def display_lines(self) -> list[str]:
        """Windows' view: four left-aligned columns six wide."""
        row = [str(p) for p in self.parts]
        cells = ["Major", "Minor", "Build", "Revision"]
        rule = ["-" * len(c) for c in cells]
        return [
            "",
            *(" ".join(c.ljust(6) for c in r).rstrip() for r in (cells, rule, row)),
            "",
            "",
        ]

    def call(self, lowered: str, args: list[Any], ctx: Any) -> Any:
        if lowered == "tostring":
            return str(self)
        if lowered == "compareto":
            other = args[0] if isinstance(args[0], VersionValue) else self.parse(to_string(args[0]))
            return (self.parts > other.parts) - (self.parts < other.parts)
        if lowered == "equals":
            return isinstance(args[0], VersionValue) and args[0].parts == self.parts
        return NO_SUCH_METHOD

    def __str__(self) -> str:
        return ".".join(str(p) for p in self.parts if p >= 0)

    @classmethod
    def _other(cls, other: Any) -> tuple[int, ...]:
        """The right operand of -eq/-lt...: a Version, or text PowerShell converts to one."""
        version = other if isinstance(other, VersionValue) else cls.parse(to_string(other))
        return version.parts

    def __eq__(self, other: object) -> bool:
        try:
            return self.parts == self._other(other)
        except ValueError:
            return False

    def __hash__(self) -> int:
        return hash(self.parts)

    def __lt__(self, other: Any) -> bool:
        return self.parts < self._other(other)

    def __gt__(self, other: Any) -> bool:
        return self.parts > self._other(other)


class TimeSpanValue(DotNetObject):
    """System.TimeSpan (Stopwatch.Elapsed, New-TimeSpan)."""

    type_name = "System.TimeSpan"

    def __init__(self, ticks: int) -> None:
        self.ticks = ticks

    def properties(self) -> dict[str, Any]:
        t = self.ticks
        total = t / TICKS_PER_SECOND
        whole = int(total)
        return {
            "Ticks": t,
            "Days": whole // 86400,
            "Hours": whole // 3600 % 24,
            "Milliseconds": t // 10_000 % 1000,
            "Minutes": whole // 60 % 60,
            "Seconds": whole % 60,
            "TotalDays": total / 86400,
            "TotalHours": total / 3600,
            "TotalMilliseconds": t / 10_000,
            "TotalMinutes": total / 60,
            "TotalSeconds": total,
        }

    def call(self, lowered: str, args: list[Any], ctx: Any) -> Any:
        if lowered == "tostring":
            return str(self)
        return NO_SUCH_METHOD

    def __str__(self) -> str:
        p = self.properties()
        text = f"{p['Hours']:02d}:{p['Minutes']:02d}:{p['Seconds']:02d}"
        if p["Days"]:
            text = f"{p['Days']}.{text}"
        fraction = self.ticks % TICKS_PER_SECOND
        return f"{text}.{fraction:07d}" if fraction else text


class Stopwatch(DotNetObject):
    """System.Diagnostics.Stopwatch, on the host's monotonic clock."""

    type_name = "System.Diagnostics.Stopwatch"

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.elapsed = 0.0
        self.started_at: float | None = None

    def _seconds(self) -> float:
        running = self.clock() - self.started_at if self.started_at is not None else 0.0
        return self.elapsed + running

    def properties(self) -> dict[str, Any]:
        seconds = self._seconds()
        return {
            "IsRunning": self.started_at is not None,
            "Elapsed": TimeSpanValue(int(seconds * TICKS_PER_SECOND)),
            "ElapsedMilliseconds": int(seconds * 1000),
            "ElapsedTicks": int(seconds * TICKS_PER_SECOND),
        }

    def call(self, lowered: str, args: list[Any], ctx: Any) -> Any:
        if lowered == "start":
            if self.started_at is None:
                self.started_at = self.clock()
            return None
        if lowered == "stop":
            if self.started_at is not None:
                self.elapsed, self.started_at = self._seconds(), None
            return None
        if lowered == "reset":
            self.elapsed, self.started_at = 0.0, None
            return None
        if lowered == "restart":
            self.elapsed, self.started_at = 0.0, self.clock()
            return None
        return NO_SUCH_METHOD


class CommandInvocationIntrinsics(DotNetObject):
    """`$ExecutionContext.InvokeCommand`: ExpandString in the caller's scope."""

    type_name = "System.Management.Automation.CommandInvocationIntrinsics"

    def call(self, lowered: str, args: list[Any], ctx: Any) -> Any:
        if lowered == "expandstring" and len(args) == 1 and ctx.expand is not None:
            return ctx.expand(to_string(args[0]))
        return NO_SUCH_METHOD


class EngineIntrinsics(DotNetObject):
    """`$ExecutionContext`."""

    type_name = "System.Management.Automation.EngineIntrinsics"

    def __init__(self) -> None:
        self.invoke_command = CommandInvocationIntrinsics()

    def properties(self) -> dict[str, Any]:
        return {"InvokeCommand": self.invoke_command}


def _stopwatch_call(lowered: str, args: list[Any], ctx: Any) -> Any:
    if lowered == "startnew" and not args:
        watch = Stopwatch()
        watch.call("start", [], None)
        return watch
    if lowered == "new" and not args:
        return Stopwatch()
    return NO_SUCH_METHOD


def _stopwatch_get(lowered: str, ctx: Any) -> Any:
    return {"frequency": TICKS_PER_SECOND, "ishighresolution": True}.get(lowered, NO_SUCH_METHOD)


def _timespan_call(lowered: str, args: list[Any], ctx: Any) -> Any:
    factor = {
        "fromseconds": TICKS_PER_SECOND,
        "frommilliseconds": 10_000,
        "fromminutes": 60 * TICKS_PER_SECOND,
        "fromhours": 3600 * TICKS_PER_SECOND,
        "fromdays": 86400 * TICKS_PER_SECOND,
    }.get(lowered)
    if factor is not None and len(args) == 1:
        return TimeSpanValue(int(float(to_number(args[0])) * factor))
    return NO_SUCH_METHOD


def _timespan_get(lowered: str, ctx: Any) -> Any:
    return TimeSpanValue(0) if lowered == "zero" else NO_SUCH_METHOD


def _version_call(lowered: str, args: list[Any], ctx: Any) -> Any:
    if lowered in ("parse", "new") and len(args) == 1:
        return convert("System.Version", args[0])
    if lowered == "new" and 2 <= len(args) <= 4:
        return VersionValue(*(int(to_number(a)) for a in args))
    return NO_SUCH_METHOD


# (lower-cased member, MemberContext) / (lower-cased method, args, MemberContext) -> value,
# or NO_SUCH_METHOD when the type has no such member.
StaticGet = Callable[[str, Any], Any]
StaticCall = Callable[[str, list[Any], Any], Any]

STATIC_GET: dict[str, StaticGet] = {
    "system.diagnostics.stopwatch": _stopwatch_get,
    "system.timespan": _timespan_get,
}
STATIC_CALL: dict[str, StaticCall] = {
    "system.diagnostics.stopwatch": _stopwatch_call,
    "system.timespan": _timespan_call,
    "system.version": _version_call,
}
