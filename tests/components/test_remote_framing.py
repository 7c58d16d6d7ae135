"""Framing on stdin/stdout, decoding, CLIXML and secret scrubbing (no host needed)."""

from __future__ import annotations

import base64
import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.remote.errors import PowerShellError, Scrubber
from components.remote.framing import (
    Envelope,
    FrameNotFoundError,
    build_request,
    clixml_to_text,
    decode_document,
    find_envelope,
)

NASTY = (
    'it\'s \u2018quoted\u2019 \u201ctwice\u201d "x" $(Remove-VM *) `n back`tick'
    "\r\nnew line ünïcødé 名前 😀"
)
_LINE_SHAPE = re.compile(r"^& \{ .* \} '([A-Za-z0-9+/=]*)' '([A-Za-z0-9+/=]*)' '([0-9a-f]{16})'$")


def _args(stdin: bytes) -> tuple[str, dict, str]:
    first, second, rest = stdin.decode("ascii").split("\r\n")
    assert rest == ""
    match = _LINE_SHAPE.match(first)
    assert match, first[:200]
    script = base64.b64decode(match.group(1)).decode("utf-8")
    inputs = json.loads(base64.b64decode(match.group(2)).decode("utf-8"))
    key = match.group(3)
    assert second == f"if ($global:HvlDone -ne '{key}') {{ '<<HVL-' + 'FALLBACK {key}>>' }}"
    return script, inputs, match.group(3)


def test_request_carries_values_only_as_base64_literals() -> None:
    req = build_request("param($InputJson) 'x'", {"name": NASTY, "n": 3})
    script, inputs, key = _args(req.stdin)
    assert script == "param($InputJson) 'x'"
    assert inputs == {"name": NASTY, "n": 3}
    assert key == req.key
    assert "Remove-VM" not in req.stdin.decode("ascii")


@given(st.text(), st.text())
def test_any_text_round_trips_through_the_request(name: str, script: str) -> None:
    req = build_request(script, {"name": name})
    got_script, inputs, _ = _args(req.stdin)
    assert got_script == script.lstrip("\ufeff")
    assert inputs == {"name": name}


def test_keys_are_unique_per_request() -> None:
    assert len({build_request("", {}).key for _ in range(50)}) == 50


def _frame(key: str, envelope: dict) -> str:
    data = base64.b64encode(json.dumps(envelope).encode("utf-8")).decode("ascii")
    return f"<<HVL-BEGIN {key}>>{data}<<HVL-END {key}>>\r\n"


def test_envelope_is_found_among_noise_and_late_output_of_other_operations() -> None:
    doc = json.dumps({"name": NASTY})
    stdout = "<<HVL-FALLBACK 0000>>\r\nwarning text\r\n" + _frame(
        "abcd", {"ok": True, "output": doc}
    )
    env = find_envelope(stdout, "abcd")
    assert env == Envelope(ok=True, output=doc, category="NotSpecified")
    assert decode_document(env.output) == {"name": NASTY}


def test_partial_frame_waits_and_wrapped_base64_is_accepted() -> None:
    full = _frame(
        "k1", {"ok": False, "message": "boom", "category": "ObjectNotFound", "fqid": "X,Y"}
    )
    assert find_envelope(full[:20], "k1") is None
    data = full.split(">>")[1].split("<<")[0]
    wrapped = f"<<HVL-BEGIN k1>>{data[:10]}\r\n{data[10:]}<<HVL-END k1>>"
    env = find_envelope(wrapped, "k1")
    assert env is not None and not env.ok
    assert (env.message, env.category, env.fqid) == ("boom", "ObjectNotFound", "X,Y")


def test_fallback_without_frame_means_the_wrapper_did_not_run() -> None:
    with pytest.raises(FrameNotFoundError):
        find_envelope("<<HVL-FALLBACK k2>>\r\n", "k2")
    assert find_envelope("<<HVL-FALLBACK other>>\r\n", "k2") is None


@pytest.mark.parametrize(
    ("output", "expected"),
    [(None, {}), ("", {}), ("null", {}), ('{"a":[1,"b"]}', {"a": [1, "b"]})],
)
def test_decode_document(output: object, expected: dict) -> None:
    assert decode_document(output) == expected


@pytest.mark.parametrize(
    ("output", "fragment"),
    [(["{}", "{}"], "wrote 2 objects"), ({"a": 1}, "ConvertTo-Json"), ("[1]", "object")],
)
def test_decode_document_rejects_script_bugs(output: object, fragment: str) -> None:
    with pytest.raises(ValueError, match=re.escape(fragment)):
        decode_document(output)


def test_clixml_error_lines_become_text() -> None:
    stderr = (
        '#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'
        '<S S="Error">Get-VM : Hyper-V was unable to find a virtual machine'
        ' with name "x ü"._x000D__x000A_</S>'
        '<S S="Error">+ CategoryInfo : InvalidArgument_x000D__x000A_</S></Objs>'
    )
    text = clixml_to_text(stderr)
    assert text.startswith(
        'Get-VM : Hyper-V was unable to find a virtual machine with name "x ü".\r\n'
    )
    assert "CategoryInfo" in text
    assert clixml_to_text("plain text\r\n") == "plain text"


def test_scrubber_hides_secret_and_its_encodings() -> None:
    scrub = Scrubber(["P@ss\u2019wörd", ""])
    b64 = base64.b64encode("P@ss\u2019wörd".encode()).decode()
    b64_16 = base64.b64encode("P@ss\u2019wörd".encode("utf-16-le")).decode()
    text = scrub(f"bad P@ss\u2019wörd here {b64} and {b64_16}")
    assert "P@ss" not in text and b64 not in text and b64_16 not in text
    assert text.count("***") == 3


def test_powershell_error_keeps_fields_and_pickles() -> None:
    import pickle

    err = PowerShellError("l0", "create Vm", "It failed.", "InvalidOperation", "Foo,Bar")
    again = pickle.loads(pickle.dumps(err))
    assert (again.host, again.operation, again.message, again.category, again.fqid) == (
        "l0",
        "create Vm",
        "It failed.",
        "InvalidOperation",
        "Foo,Bar",
    )
    assert str(again) == "[l0] create Vm: It failed."
