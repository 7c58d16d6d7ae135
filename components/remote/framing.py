"""What travels on the long-lived PowerShell's stdin and stdout, and how it is decoded.

An operation is sent as ONE line of fixed source whose only variable parts are three base64
(or hex) literals: the operation's script text, its JSON inputs, and a random operation key.
No user value is ever part of the source. The line runs the script in a fresh child scope
with `$ErrorActionPreference = 'Stop'` inside try/catch and prints one framed, base64 UTF-8
JSON envelope, so the shell's code page cannot mangle it (FACTS 9):

    <<HVL-BEGIN key>>base64(json envelope)<<HVL-END key>>

A line whose key was already seen by this PowerShell does nothing, so re-sending a line
whose Send reply was lost can never run an operation twice. The last frame is kept in the
PowerShell (`$global:HvlFrame`), so a frame lost with a Receive reply is printed again on
request (`build_replay`) instead of the operation's outcome becoming unknown.

A second line prints `<<HVL-FALLBACK key>>` only if the first line did not print its frame
(it could not be parsed, or failed outside its try/catch): the client then reports stderr
instead of waiting for a frame that never comes. When the frame was printed the second line
prints nothing, so no stale output is left for the next operation's Receive to pick up: a
warm operation costs exactly one Send and one Receive.

A batch (`build_batch`) carries several operations in one Send: each is the same fixed line
with its own three literals, its own child scope and its own try/catch, run one after the
other; each line keeps its frame under its own key in `$global:HvlBatch` instead of printing
it, and a last line prints every key's frame (or its fallback marker), so one Receive
normally brings them all and the client takes each operation's result by its key. A failing
operation only makes its own frame an error. Keys already in `$global:HvlBatch` are not run
again (a resent batch is safe), and the last line, sent again, is the batch's replay.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

_BEGIN = "<<HVL-BEGIN "
_END = "<<HVL-END "
_FALLBACK = "<<HVL-FALLBACK "

# Fixed source: the three arguments are base64/hex literals inside single quotes, an alphabet
# that cannot end a single-quoted string. Uses only [Convert], [Text.Encoding],
# [scriptblock]::Create, try/catch, hashtables and ConvertTo-Json.
_LINE = (
    "& { param($s, $i, $k) if ($global:HvlLastKey -eq $k) { return }; $global:HvlLastKey = $k; "
    "$ErrorActionPreference = 'Stop'; $r = $null; $w = [Diagnostics.Stopwatch]::StartNew(); "
    "try { $b = [scriptblock]::Create([Text.Encoding]::UTF8.GetString("
    "[Convert]::FromBase64String($s))); "
    "$o = & $b ([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($i))); "
    "$r = @{ ok = $true; output = $o } } "
    "catch { $r = @{ ok = $false; message = $_.Exception.Message; "
    'category = "$($_.CategoryInfo.Category)"; fqid = "$($_.FullyQualifiedErrorId)" } }; '
    "$r.ms = $w.ElapsedMilliseconds; $j = $r | ConvertTo-Json -Depth 6 -Compress; "
    "$f = '<<HVL-BEGIN ' + $k + '>>' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($j))"
    " + '<<HVL-END ' + $k + '>>'; $global:HvlFrame = $f; $global:HvlDone = $k; $f }"
    " '{script}' '{inputs}' '{key}'"
)
# The batch form of _LINE: the same source between a different start (the key is looked up in
# the batch's table) and end (the frame is kept in the table, not printed).
_LINE_START = (
    "& { param($s, $i, $k) if ($global:HvlLastKey -eq $k) { return }; $global:HvlLastKey = $k; "
)
_LINE_END = "$global:HvlFrame = $f; $global:HvlDone = $k; $f }"
_BATCH_START = (
    "& { param($s, $i, $k) if ($global:HvlBatch.ContainsKey($k)) { return }; "
    "$global:HvlBatch[$k] = ''; "
)
_BATCH_END = "$global:HvlBatch[$k] = $f }"
if not _LINE.startswith(_LINE_START) or _LINE.count(_LINE_END) != 1:
    raise RuntimeError("_LINE changed: update _LINE_START / _LINE_END")
_BATCH_LINE = _BATCH_START + _LINE[len(_LINE_START) :].replace(_LINE_END, _BATCH_END)
_BATCH_OPEN = (
    "if ($global:HvlBatchKey -ne '{batch}') { $global:HvlBatchKey = '{batch}'; "
    "$global:HvlBatch = @{} }"
)
_BATCH_EMIT = (
    "& { foreach ($k in @({keys})) { $f = $global:HvlBatch[$k]; "
    "if ($f) { $f } else { '<<HVL-' + 'FALLBACK ' + $k + '>>' } } }"
)
_FALLBACK_LINE = "if ($global:HvlDone -ne '{key}') { '<<HVL-' + 'FALLBACK {key}>>' }"
_REPLAY_LINE = (
    "if ($global:HvlDone -eq '{key}') { $global:HvlFrame } else { '<<HVL-' + 'FALLBACK {key}>>' }"
)


def b64_utf8(text: str) -> str:
    """Base64 of UTF-8 text: the only form user data takes inside PowerShell source."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def inputs_json(inputs: dict[str, Any]) -> str:
    """Inputs as the JSON document the script receives as `$InputJson`."""
    return json.dumps(inputs, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class OperationRequest:
    """One operation ready for stdin: its key and the exact bytes to Send (`literals`: its
    script and inputs as the line's base64 literals, for a batch)."""

    key: str
    stdin: bytes
    literals: tuple[str, str] = ("", "")


@dataclass(frozen=True)
class BatchRequest:
    """Several operations for one Send: their keys (in order), the bytes to Send, and the
    bytes that print every key's frame again (the batch's replay)."""

    keys: tuple[str, ...]
    stdin: bytes
    replay: bytes


def build_request(script: str, inputs: dict[str, Any]) -> OperationRequest:
    """Frame `script` (its `param($InputJson)` receives `inputs` as JSON text) for stdin."""
    key = secrets.token_hex(8)
    script_b64 = b64_utf8(script.lstrip("\ufeff"))
    inputs_b64 = b64_utf8(inputs_json(inputs))
    line = (
        _LINE.replace("{script}", script_b64).replace("{inputs}", inputs_b64).replace("{key}", key)
    )
    fallback = _FALLBACK_LINE.replace("{key}", key)
    return OperationRequest(
        key=key,
        stdin=(line + "\r\n" + fallback + "\r\n").encode("ascii"),
        literals=(script_b64, inputs_b64),
    )


def build_batch(requests: list[OperationRequest]) -> BatchRequest:
    """One Send for `requests` (built by build_request): a line that starts the batch's table
    (once: a resent batch finds it), each operation's batch line, and the line that prints
    every frame. Only base64 literals and hex keys vary, as in a single operation."""
    if not requests or any(not r.literals[0] and not r.literals[1] for r in requests):
        raise ValueError("a batch needs requests made by build_request")
    lines = [_BATCH_OPEN.replace("{batch}", secrets.token_hex(8))]
    for request in requests:
        script_b64, inputs_b64 = request.literals
        lines.append(
            _BATCH_LINE.replace("{script}", script_b64)
            .replace("{inputs}", inputs_b64)
            .replace("{key}", request.key)
        )
    emit = _BATCH_EMIT.replace("{keys}", ",".join(f"'{r.key}'" for r in requests))
    lines.append(emit)
    return BatchRequest(
        keys=tuple(r.key for r in requests),
        stdin=("\r\n".join(lines) + "\r\n").encode("ascii"),
        replay=(emit + "\r\n").encode("ascii"),
    )


def build_replay(key: str) -> bytes:
    """A line that prints operation `key`'s frame again (or the fallback marker if it never
    printed one): sent when a Receive reply may have been lost with the frame in it. It runs
    after the operation's own lines, so it never races them."""
    return (_REPLAY_LINE.replace("{key}", key) + "\r\n").encode("ascii")


@dataclass(frozen=True)
class Envelope:
    """What the wrapper reported: success with the script's output, or the error record."""

    ok: bool
    output: Any = None
    message: str = ""
    category: str = ""
    fqid: str = ""
    # How long the script ran on the host (its Stopwatch), without the round trips, the
    # queue in front of it or a PowerShell start: what `SessionPool.took` learns from.
    host_s: float | None = None


class FrameNotFoundError(Exception):
    """The fallback marker came but no frame: the wrapper line itself did not run."""


def find_envelope(stdout: str, key: str) -> Envelope | None:
    """The envelope for `key` once stdout holds all of it; FrameNotFoundError after fallback.

    Output of other keys (late lines of an earlier operation) is ignored.
    """
    match = re.search(
        re.escape(_BEGIN + key + ">>") + "(.*?)" + re.escape(_END + key + ">>"), stdout, re.DOTALL
    )
    if match is None:
        if _FALLBACK + key + ">>" in stdout:
            raise FrameNotFoundError(key)
        return None
    payload = re.sub(r"\s+", "", match.group(1))
    data = json.loads(base64.b64decode(payload).decode("utf-8"))
    if not isinstance(data, dict) or "ok" not in data:
        raise ValueError("envelope is not an object with 'ok'")
    return Envelope(
        ok=bool(data["ok"]),
        output=data.get("output"),
        message=str(data.get("message") or ""),
        category=str(data.get("category") or "NotSpecified"),
        fqid=str(data.get("fqid") or ""),
        host_s=_host_seconds(data.get("ms")),
    )


def _host_seconds(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    return float(value) / 1000.0


def decode_document(output: Any) -> dict[str, Any]:
    """The script's single JSON document (a string it built with ConvertTo-Json) as a dict.

    No output means an empty result. Several outputs mean the script leaked pipeline output
    (a missing `| Out-Null`), which is a script bug worth a clear message.
    """
    if output is None or output == "":
        return {}
    if isinstance(output, list):
        raise ValueError(
            f"the script wrote {len(output)} objects to the pipeline instead of one JSON "
            "document; pipe other output to Out-Null"
        )
    if not isinstance(output, str):
        raise ValueError("the script must end with one `ConvertTo-Json` document, not an object")
    document = json.loads(output)
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ValueError("the script's JSON document must be an object")
    return document


_CLIXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def clixml_to_text(stderr: str) -> str:
    """Readable text of powershell.exe's CLIXML stderr (error lines joined), or stderr as is."""
    text = stderr.strip()
    if not text.startswith("#< CLIXML"):
        return text
    lines: list[str] = []
    for chunk in re.findall(r"<Objs.*?</Objs>", text, re.DOTALL):
        try:
            root = ET.fromstring(chunk)
        except ET.ParseError:
            continue
        for node in root.iter():
            if node.tag.endswith("}S") and node.get("S") == "Error" and node.text:
                lines.append(_CLIXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), node.text))
    return "".join(lines).strip()
