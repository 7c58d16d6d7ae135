"""Replays the requests of real Windows WinRS exchanges and compares reply structure.

For each `test_winrs_*.yml` in the shared vectors: every recorded request is re-sent (fresh
MessageID, recorded ShellId/CommandId rewritten to the emulator's), and the reply's shape —
action, body element tree, attribute names, stream names/End flags, CommandState, fault
subcode and WSManFault code — must equal the recorded reply's shape. Ids, text, and the
number of consecutive identical stream chunks may differ.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

from tests.conftest import Emulator
from tests.hypervsim.wire.wsman_client import NS, send, transport

# shared/ sits beside the checkout (here and in CI): <root>/../shared/vectors/winrm-windows.
VECTORS = Path(__file__).resolve().parents[3].parent / "shared" / "vectors" / "winrm-windows"
FILES = sorted(VECTORS.glob("test_winrs_*.yml"))


def test_the_recorded_windows_exchanges_are_there() -> None:
    """Without the vectors the parametrized replay below would silently collect nothing."""
    assert len(FILES) >= 12, f"expected the WinRS vectors in {VECTORS}"


STATE_PREFIX = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/"
GUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def shape(el: ET.Element) -> tuple[Any, ...]:
    """Structure of an element: tag, attribute names, the values that carry meaning, children."""
    tag = local(el.tag)
    attrs = tuple(sorted(local(a) for a in el.attrib))
    meaning: tuple[Any, ...] = ()
    if tag == "Stream":
        meaning = (el.get("Name"), el.get("End", "").lower(), bool((el.text or "").strip()))
    elif tag == "CommandState":
        meaning = (el.get("State", "").removeprefix(STATE_PREFIX),)
    elif tag == "WSManFault":
        meaning = (el.get("Code"),)
    elif tag == "Value" or tag in ("ExitCode",):
        meaning = ((el.text or "").strip(),) if tag == "Value" else ("exitcode" if el.text else "",)
    children: list[tuple[Any, ...]] = []
    for child in el:
        s = shape(child)
        if not children or children[-1] != s:  # chunking of identical streams may differ
            children.append(s)
    return (tag, attrs, meaning, tuple(children))


def without_data(sh: tuple[Any, ...]) -> tuple[Any, ...]:
    """The shape with output-carrying (non-End) Stream elements removed."""
    tag, attrs, meaning, children = sh
    kept = tuple(without_data(c) for c in children if not (c[0] == "Stream" and c[2][1] != "true"))
    return (tag, attrs, meaning, kept)


def reply_shape(xml: bytes | str) -> tuple[str, bool, tuple[Any, ...]]:
    root = ET.fromstring(xml)
    action = root.findtext("s:Header/a:Action", namespaces=NS) or ""
    relates = root.find("s:Header/a:RelatesTo", NS) is not None
    body = root.find("s:Body", NS)
    assert body is not None
    return action, relates, shape(body)


def rewrite(request: str, ids: dict[str, str]) -> str:
    request = re.sub(
        r"<wsa:MessageID>uuid:[^<]+</wsa:MessageID>",
        f"<wsa:MessageID>uuid:{str(uuid.uuid4()).upper()}</wsa:MessageID>",
        request,
    )
    return GUID.sub(lambda m: ids.get(m.group(0).upper(), m.group(0)), request)


def learn_ids(recorded: str, actual: bytes, ids: dict[str, str]) -> None:
    """Map the recorded ShellId/CommandId of a reply to the emulator's."""
    for tag in ("ShellId", "CommandId"):
        rec = re.search(rf"<rsp:{tag}>([^<]+)</rsp:{tag}>", recorded)
        got = re.search(rf"<rsp:{tag}>([^<]+)</rsp:{tag}>", actual.decode())
        if rec and got:
            ids[rec.group(1).upper()] = got.group(1)


def speed_up(request: str) -> str:
    """test_winrs_operation_timeout waits 30 s on Windows; keep its shape, not its duration."""
    request = request.replace(
        "<wsman:OperationTimeout>PT10S</wsman:OperationTimeout>",
        "<wsman:OperationTimeout>PT1S</wsman:OperationTimeout>",
    )
    return request.replace("Start-Sleep 30", "Start-Sleep 2")


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_replay_winrs_vector(emulator: Emulator, path: Path) -> None:
    messages = yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]
    t = transport(emulator)
    ids: dict[str, str] = {}
    receive_shapes = {
        (a, r, without_data(b))
        for a, r, b in (reply_shape(m["response"]) for m in messages if "/Receive<" in m["request"])
    }
    is_timeout_vector = path.stem == "test_winrs_operation_timeout"
    for index, message in enumerate(messages):
        request = rewrite(speed_up(message["request"]), ids)
        status, reply = send(t, request)
        expected_status = message.get("transport_error", {}).get("code", 200)
        if is_timeout_vector and "/Receive<" in message["request"]:
            # Windows streamed "hi" before the sleep, our interpreter hands over a script's
            # output when it ends: whatever we answer must be one of the recorded Receive
            # shapes (Running, w:TimedOut fault, Done), output chunks aside.
            action, relates, body = reply_shape(reply)
            assert (action, relates, without_data(body)) in receive_shapes, f"message {index}"
            continue
        assert status == expected_status, f"message {index}: {reply[:400]!r}"
        assert reply_shape(reply) == reply_shape(message["response"]), f"message {index}"
        learn_ids(message["response"], reply, ids)
