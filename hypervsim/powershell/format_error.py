"""ErrorRecord -> the text powershell.exe prints for it (the wire layer wraps it in CLIXML)."""

from __future__ import annotations

from hypervsim.powershell.api import ErrorCategory, ErrorRecord

NL = "\r\n"


def _short_type(exception_type: str) -> str:
    return exception_type.rsplit(".", 1)[-1]


def category_info(rec: ErrorRecord) -> str:
    """`InvalidArgument: (x:String) [Get-VM], VirtualizationException`."""
    target = rec.target or ""
    target_type = "String" if rec.target else ""
    activity = rec.command or ""
    if rec.fqid == "CommandNotFoundException":
        activity = ""
    reason = _short_type(rec.exception_type)
    if rec.category == ErrorCategory.ParserError:
        reason = "ParentContainsErrorRecordException"
    return f"{rec.category.value}: ({target}:{target_type}) [{activity}], {reason}"


def position_lines(rec: ErrorRecord) -> list[str]:
    """`At line:1 char:5`, `+ <script line>`, `+     ~~~~`."""
    line = rec.line or 1
    col = rec.column or 1
    source = (rec.script_line or "").rstrip("\r")
    remaining = len(source) - (col - 1)
    length = rec.extent if rec.extent else remaining
    length = max(1, min(length, max(remaining, 1)))
    return [f"At line:{line} char:{col}", f"+ {source}", "+ " + " " * (col - 1) + "~" * length]


def format_error_record(rec: ErrorRecord) -> str:
    """The full text, "\\r\\n"-separated, without a trailing newline."""
    message = rec.message.replace("\r\n", "\n").replace("\n", NL)
    lines: list[str]
    if rec.category == ErrorCategory.ParserError:
        lines = [*position_lines(rec), message]
    else:
        head = f"{rec.command} : {message}" if rec.command else message
        lines = [head, *position_lines(rec)] if rec.line is not None else [head]
    lines.append(f"    + CategoryInfo          : {category_info(rec)}")
    lines.append(f"    + FullyQualifiedErrorId : {rec.fqid}")
    return NL.join(lines)
