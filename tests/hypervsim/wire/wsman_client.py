"""Raw WS-Management requests for tests, sent with pywinrm's own transport (NTLM + sealing)."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET

from winrm.exceptions import WinRMTransportError
from winrm.transport import Transport

from tests.conftest import Emulator

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
    "f": "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault",
}


def transport(emu: Emulator) -> Transport:
    if emu.https:
        return Transport(
            emu.endpoint,
            username=emu.user,
            password=emu.password,
            auth_method="ntlm",
            server_cert_validation="validate",
            ca_trust_path=str(emu.ca_path),
        )
    return Transport(emu.endpoint, username=emu.user, password=emu.password, auth_method="ntlm")


def send(t: Transport, xml: str | bytes) -> tuple[int, bytes]:
    """(HTTP status, reply body) — faults come back as (500, fault envelope)."""
    try:
        return 200, t.send_message(xml)
    except WinRMTransportError as exc:
        return exc.code, exc.response_text.encode()


def envelope(
    action: str, body: str, shell_id: str | None = None, options: str = "", timeout: str = "PT20S"
) -> str:
    selector = (
        f'<w:SelectorSet><w:Selector Name="ShellId">{shell_id}</w:Selector></w:SelectorSet>'
        if shell_id
        else ""
    )
    return (
        f'<s:Envelope xmlns:s="{NS["s"]}" xmlns:a="{NS["a"]}" '
        f'xmlns:w="{NS["w"]}" xmlns:rsp="{NS["rsp"]}">'
        f'<s:Header><a:Action s:mustUnderstand="true">{action}</a:Action>'
        f"<a:MessageID>uuid:{str(uuid.uuid4()).upper()}</a:MessageID>"
        f"<w:MaxEnvelopeSize>153600</w:MaxEnvelopeSize><w:OperationTimeout>{timeout}</w:OperationTimeout>"
        f"<w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI>"
        f"{selector}{options}</s:Header><s:Body>{body}</s:Body></s:Envelope>"
    )


def fault_info(reply: bytes) -> tuple[str, str]:
    """(subcode, WSManFault code) of a fault envelope."""
    root = ET.fromstring(reply)
    subcode = root.findtext(".//s:Fault/s:Code/s:Subcode/s:Value", namespaces=NS) or ""
    wsman = root.find(".//f:WSManFault", NS)
    return subcode, (wsman.get("Code", "") if wsman is not None else "")
