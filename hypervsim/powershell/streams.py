"""What one `PowerShellSession.run` produces: formatted stdout, stream records, exit code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from hypervsim.powershell.api import ErrorRecord

RecordKind = Literal["error", "warning", "verbose", "information"]


@dataclass
class StreamRecord:
    """One record of a non-output stream; `error` is set for kind "error"."""

    kind: RecordKind
    text: str
    error: ErrorRecord | None = None


@dataclass
class RunResult:
    """See contracts.md: stdout uses "\\r\\n"; exit_code as `powershell.exe -Command` returns."""

    stdout: str = ""
    records: list[StreamRecord] = field(default_factory=list)
    exit_code: int = 0
    exited: bool = False
