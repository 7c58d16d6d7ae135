"""SOAP 1.2 / WS-Management envelopes: parse requests, build replies and faults.

Replies use the namespace prefixes real Windows uses (s, a, x, w, rsp, p) so that recorded
exchanges and emulator replies can be compared element by element.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

NS_SOAP = "http://www.w3.org/2003/05/soap-envelope"
NS_ADDR = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
NS_TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
NS_WSMAN = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
NS_SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
NS_MSWSMAN = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
NS_FAULT = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
NS_CONFIG = "http://schemas.microsoft.com/wbem/wsman/1/config"
NS_XML = "http://www.w3.org/XML/1998/namespace"

ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
FAULT_ACTION = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
CMD_RESOURCE_URI = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"

_PREFIXES = {
    "s": NS_SOAP,
    "a": NS_ADDR,
    "x": NS_TRANSFER,
    "w": NS_WSMAN,
    "rsp": NS_SHELL,
    "p": NS_MSWSMAN,
    "f": NS_FAULT,
    "cfg": NS_CONFIG,
}
for _prefix, _uri in _PREFIXES.items():
    ET.register_namespace(_prefix, _uri)

# Windows WS-Management error codes (WSManFault Code attribute).
CODE_TIMED_OUT = 2150858793
CODE_INVALID_SELECTORS = 2150858843
CODE_MAX_SHELLS = 2150859173
CODE_MAX_OPERATIONS = 2150859174
CODE_SCHEMA_VALIDATION = 2150858817
CODE_INVALID_XML = 2150858819
CODE_ACTION_NOT_SUPPORTED = 2150858771
CODE_INVALID_PARAMETER = 87
CODE_FILE_NOT_FOUND = 2147942402


def q(ns: str, tag: str) -> str:
    """Clark-notation name, e.g. q(NS_SHELL, 'Stream') -> '{...shell}Stream'."""
    return f"{{{ns}}}{tag}"


class SoapFaultError(Exception):
    """A WS-Management fault; the HTTP layer answers it with status 500 and a fault envelope."""

    def __init__(
        self,
        code: str,
        subcode: str,
        reason: str,
        wsman_code: int,
        message: str | None = None,
        fault_detail: str | None = None,
        provider_fault: bool = False,
    ) -> None:
        super().__init__(reason)
        self.code = code  # "s:Sender" | "s:Receiver"
        self.subcode = subcode  # e.g. "w:InvalidSelectors"
        self.reason = reason
        self.wsman_code = wsman_code
        self.message = message if message is not None else reason
        self.fault_detail = fault_detail
        self.provider_fault = provider_fault


def invalid_selectors(message: str) -> SoapFaultError:
    return SoapFaultError(
        "s:Sender",
        "w:InvalidSelectors",
        "The WS-Management service cannot process the request because the request contained "
        "invalid selectors for the resource. ",
        CODE_INVALID_SELECTORS,
        message,
        fault_detail="http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors",
    )


def unknown_shell(shell_id: str) -> SoapFaultError:
    return invalid_selectors(
        f"The request for the Windows Remote Shell with ShellId {shell_id} failed because the "
        "shell was not found on the server. Possible causes are: the specified ShellId is "
        "incorrect or the shell no longer exists on the server. Provide the correct ShellId or "
        "create a new shell and retry the operation. "
    )


def unknown_command() -> SoapFaultError:
    return invalid_selectors(
        "The Windows Remote Shell received a request to perform an operation on a command "
        "identifier that does not exist. Either the command has completed execution or the "
        "client specified an invalid command identifier. "
    )


def timed_out() -> SoapFaultError:
    text = (
        "The WS-Management service cannot complete the operation within the time specified in "
        "OperationTimeout.  "
    )
    return SoapFaultError("s:Receiver", "w:TimedOut", text, CODE_TIMED_OUT, text)


def max_shells(limit: int) -> SoapFaultError:
    text = (
        f"The WS-Management service cannot process the request. This user is allowed a maximum "
        f"number of {limit} concurrent shells, which has been exceeded. Close existing shells or "
        "raise the quota for this user. "
    )
    return SoapFaultError("s:Sender", "w:QuotaLimit", text, CODE_MAX_SHELLS, text)


def max_operations(limit: int) -> SoapFaultError:
    text = (
        f"The WS-Management service cannot process the request. This user is allowed a maximum "
        f"number of {limit} concurrent operations, which has been exceeded. Close existing "
        "operations for this user, or raise the quota for this user. "
    )
    return SoapFaultError("s:Sender", "w:QuotaLimit", text, CODE_MAX_OPERATIONS, text)


def schema_validation() -> SoapFaultError:
    """A body element whose value its schema refuses (e.g. an IdleTimeOut in milliseconds
    where an xs:duration belongs)."""
    text = (
        "The SOAP XML in the message does not match the corresponding XML schema definition. "
        "Change the XML and retry. "
    )
    return SoapFaultError("s:Sender", "w:SchemaValidationError", text, CODE_SCHEMA_VALIDATION, text)


def invalid_xml(detail: str) -> SoapFaultError:
    return SoapFaultError(
        "s:Sender",
        "w:InternalError",
        "The WS-Management service cannot process the request because the XML is invalid. ",
        CODE_INVALID_XML,
        f"WinRM cannot process the request because the input XML is not valid: {detail} ",
        fault_detail="http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/Invalid",
    )


def invalid_parameter() -> SoapFaultError:
    return SoapFaultError(
        "s:Sender",
        "w:InvalidParameter",
        "The parameter is incorrect. ",
        CODE_INVALID_PARAMETER,
        "The parameter is incorrect. ",
        fault_detail="http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/InvalidValue",
        provider_fault=True,
    )


def action_not_supported(action: str) -> SoapFaultError:
    return SoapFaultError(
        "s:Sender",
        "a:ActionNotSupported",
        "The action is not supported by the service. ",
        CODE_ACTION_NOT_SUPPORTED,
        f"The WS-Management service cannot process the request because the action {action} is "
        "not supported. ",
    )


def file_not_found() -> SoapFaultError:
    return SoapFaultError(
        "s:Receiver",
        "w:InternalError",
        "The system cannot find the file specified. ",
        CODE_FILE_NOT_FOUND,
        "The system cannot find the file specified. ",
        provider_fault=True,
    )


@dataclass
class WsmanRequest:
    """The parts of a request envelope the dispatcher needs."""

    action: str
    message_id: str
    resource_uri: str
    selectors: dict[str, str]
    options: dict[str, str]  # option names upper-cased
    operation_timeout: float | None  # seconds
    max_envelope_size: int | None
    body: ET.Element
    header: ET.Element = field(repr=False)


_DURATION = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str) -> float | None:
    """xs:duration (PT20S, PT1.5S, P0DT0H0M10S) -> seconds; None when unparsable."""
    m = _DURATION.match(text.strip())
    if not m:
        return None
    parts = {k: float(v) for k, v in m.groupdict().items() if v}
    return (
        parts.get("d", 0.0) * 86400
        + parts.get("h", 0.0) * 3600
        + parts.get("m", 0.0) * 60
        + parts.get("s", 0.0)
    )


def parse_request(data: bytes) -> WsmanRequest:
    """Parse an envelope; malformed XML or a missing header/body becomes a SoapFaultError."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise invalid_xml("DTDs are not allowed")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise invalid_xml(str(exc)) from None
    if root.tag != q(NS_SOAP, "Envelope"):
        raise invalid_xml("the root element is not a SOAP 1.2 Envelope")
    header = root.find(q(NS_SOAP, "Header"))
    body = root.find(q(NS_SOAP, "Body"))
    if header is None or body is None:
        raise invalid_xml("the envelope has no Header or Body")

    def text(ns: str, tag: str) -> str:
        el = header.find(q(ns, tag))
        return (el.text or "").strip() if el is not None else ""

    selectors: dict[str, str] = {}
    sel_set = header.find(q(NS_WSMAN, "SelectorSet"))
    if sel_set is not None:
        for sel in sel_set.findall(q(NS_WSMAN, "Selector")):
            selectors[sel.get("Name", "")] = (sel.text or "").strip()
    options: dict[str, str] = {}
    opt_set = header.find(q(NS_WSMAN, "OptionSet"))
    if opt_set is not None:
        for opt in opt_set.findall(q(NS_WSMAN, "Option")):
            options[opt.get("Name", "").upper()] = (opt.text or "").strip()
    timeout_text = text(NS_WSMAN, "OperationTimeout")
    size_text = text(NS_WSMAN, "MaxEnvelopeSize")
    return WsmanRequest(
        action=text(NS_ADDR, "Action"),
        message_id=text(NS_ADDR, "MessageID"),
        resource_uri=text(NS_WSMAN, "ResourceURI"),
        selectors=selectors,
        options=options,
        operation_timeout=parse_duration(timeout_text) if timeout_text else None,
        max_envelope_size=int(size_text) if size_text.isdigit() else None,
        body=body,
        header=header,
    )


def new_uuid() -> str:
    return str(uuid.uuid4()).upper()


def build_envelope(action: str, relates_to: str | None, body_children: list[ET.Element]) -> bytes:
    """A reply envelope with Action, MessageID, To and RelatesTo, as Windows writes them."""
    env = ET.Element(q(NS_SOAP, "Envelope"), {q(NS_XML, "lang"): "en-US"})
    header = ET.SubElement(env, q(NS_SOAP, "Header"))
    ET.SubElement(header, q(NS_ADDR, "Action")).text = action
    ET.SubElement(header, q(NS_ADDR, "MessageID")).text = f"uuid:{new_uuid()}"
    ET.SubElement(header, q(NS_ADDR, "To")).text = ANONYMOUS
    if relates_to:
        ET.SubElement(header, q(NS_ADDR, "RelatesTo")).text = relates_to
    body = ET.SubElement(env, q(NS_SOAP, "Body"))
    body.extend(body_children)
    return ET.tostring(env, encoding="utf-8", xml_declaration=False)


def build_fault(fault: SoapFaultError, relates_to: str | None, machine: str) -> bytes:
    """The s:Fault envelope for `fault` (HTTP status 500)."""
    el = ET.Element(q(NS_SOAP, "Fault"))
    code = ET.SubElement(el, q(NS_SOAP, "Code"))
    ET.SubElement(code, q(NS_SOAP, "Value")).text = fault.code
    sub = ET.SubElement(code, q(NS_SOAP, "Subcode"))
    ET.SubElement(sub, q(NS_SOAP, "Value")).text = fault.subcode
    reason = ET.SubElement(el, q(NS_SOAP, "Reason"))
    ET.SubElement(reason, q(NS_SOAP, "Text"), {q(NS_XML, "lang"): "en-US"}).text = fault.reason
    detail = ET.SubElement(el, q(NS_SOAP, "Detail"))
    if fault.fault_detail:
        ET.SubElement(detail, q(NS_WSMAN, "FaultDetail")).text = fault.fault_detail
    wf = ET.SubElement(
        detail, q(NS_FAULT, "WSManFault"), {"Code": str(fault.wsman_code), "Machine": machine}
    )
    msg = ET.SubElement(wf, q(NS_FAULT, "Message"))
    if fault.provider_fault:
        pf = ET.SubElement(
            msg,
            q(NS_FAULT, "ProviderFault"),
            {"provider": "Shell cmd plugin", "path": "%systemroot%\\system32\\winrscmd.dll"},
        )
        pf.text = fault.message
    else:
        msg.text = fault.message
    return build_envelope(FAULT_ACTION, relates_to, [el])
