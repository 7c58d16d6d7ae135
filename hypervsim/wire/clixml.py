"""stderr text of powershell.exe: error records as CLIXML (`#< CLIXML` + `<Objs>`)."""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

_CLIXML_NS = "http://schemas.microsoft.com/powershell/2004/04"
_NEEDS_ESCAPE = re.compile(r"[\x00-\x1f]|_(?=x[0-9A-Fa-f]{4}_)")

# Stream record kind -> the S attribute powershell.exe writes.
STREAM_ATTRIBUTE = {
    "error": "Error",
    "warning": "warning",
    "verbose": "verbose",
    "debug": "debug",
    "information": "information",
}


def _encode_text(text: str) -> str:
    """PowerShell's serializer escapes control characters (and literal `_xHHHH_`) as `_xHHHH_`."""

    def repl(m: re.Match[str]) -> str:
        return f"_x{ord(m.group(0)):04X}_"

    return escape(_NEEDS_ESCAPE.sub(repl, text))


def to_clixml(records: list[tuple[str, str]]) -> str:
    """CLIXML for (kind, text) records, one `<S>` per line as powershell.exe writes them.

    Each line of an error's text ends with CRLF (`_x000D__x000A_`), exactly as Windows
    PowerShell 5.1 serializes `$host.UI.WriteErrorLine` output to a redirected stderr.
    """
    if not records:
        return ""
    parts = ["#< CLIXML\r\n", f'<Objs Version="1.1.0.1" xmlns="{_CLIXML_NS}">']
    for kind, text in records:
        attribute = STREAM_ATTRIBUTE.get(kind, kind)
        lines = text.replace("\r\n", "\n").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        for line in lines or [""]:
            parts.append(f'<S S="{attribute}">{_encode_text(line + chr(13) + chr(10))}</S>')
    parts.append("</Objs>")
    return "".join(parts)
