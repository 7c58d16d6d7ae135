"""The Windows Setup answer file a VM's disk carries before its first boot.

A generalized (sysprepped) image runs Windows Setup's specialize and oobeSystem passes on its
first boot and reads `\\Windows\\Panther\\unattend.xml` from its own disk. Without one it stops
at the OOBE screens and no login works, so the Vm provider writes one into each new disk:
the computer name (specialize), the time zone, and the built-in Administrator's password
(oobeSystem). The password is encoded as Windows System Image Manager does with "hide
sensitive data" (`PlainText` false): base64 of UTF-16LE(password + "AdministratorPassword").
That is an encoding, not encryption: the file is still sensitive, but no plain text lands on
disk, and the text never reaches state, outputs or logs (it travels only inside the base64
JSON input of the create script).
"""

from __future__ import annotations

import base64
import re
from xml.etree import ElementTree as ET

NAMESPACE = "urn:schemas-microsoft-com:unattend"
SHELL_SETUP = "Microsoft-Windows-Shell-Setup"
PANTHER_PATH = r"Windows\Panther\unattend.xml"
"""Where Windows Setup looks first on the Windows volume (relative to its root)."""

_PASSWORD_SUFFIX = "AdministratorPassword"
_NETBIOS_MAX = 15
_NOT_IN_COMPUTER_NAMES = re.compile(r"[^A-Za-z0-9-]+")

_COMPONENT_ATTRS = {
    "name": SHELL_SETUP,
    "processorArchitecture": "amd64",
    "publicKeyToken": "31bf3856ad364e35",
    "language": "neutral",
    "versionScope": "nonSxS",
}


def check_computer_name(value: str) -> str:
    """`value` if Windows Setup takes it as a computer name, else ValueError saying why."""
    if not re.fullmatch(r"[A-Za-z0-9-]{1,15}", value) or value.isdigit():
        raise ValueError(
            f"'{value}' is not a valid computer name (allowed: 1 to {_NETBIOS_MAX} letters, "
            "digits or '-', not only digits)"
        )
    return value


def computer_name_for(vm_name: str) -> str:
    """A valid NetBIOS computer name from a VM name: letters, digits and '-' only (others
    become '-'), at most 15 characters, no leading or trailing '-', never all digits."""
    name = _NOT_IN_COMPUTER_NAMES.sub("-", vm_name).strip("-")[:_NETBIOS_MAX].rstrip("-")
    if not name:
        return "VM"
    if name.isdigit():
        name = ("VM-" + name)[:_NETBIOS_MAX]
    return name


def encode_password(password: str) -> str:
    """The `<Value>` of an AdministratorPassword whose `<PlainText>` is false."""
    return base64.b64encode((password + _PASSWORD_SUFFIX).encode("utf-16-le")).decode("ascii")


def answer_file(computer_name: str, password: str, time_zone: str) -> str:
    """The unattend.xml text (UTF-8) for a generalized image's first boot."""
    ET.register_namespace("", NAMESPACE)
    root = ET.Element(_q("unattend"))

    specialize = _component(root, "specialize")
    _text(specialize, "ComputerName", computer_name)
    _text(specialize, "TimeZone", time_zone)

    oobe_system = _component(root, "oobeSystem")
    accounts = ET.SubElement(oobe_system, _q("UserAccounts"))
    admin = ET.SubElement(accounts, _q("AdministratorPassword"))
    _text(admin, "Value", encode_password(password))
    _text(admin, "PlainText", "false")
    oobe = ET.SubElement(oobe_system, _q("OOBE"))
    _text(oobe, "HideEULAPage", "true")
    _text(oobe, "SkipMachineOOBE", "true")
    _text(oobe, "ProtectYourPC", "3")
    _text(oobe_system, "TimeZone", time_zone)

    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n"


def _q(tag: str) -> str:
    return f"{{{NAMESPACE}}}{tag}"


def _component(root: ET.Element, pass_name: str) -> ET.Element:
    settings = ET.SubElement(root, _q("settings"), {"pass": pass_name})
    return ET.SubElement(settings, _q("component"), _COMPONENT_ATTRS)


def _text(parent: ET.Element, tag: str, value: str) -> None:
    ET.SubElement(parent, _q(tag)).text = value


__all__ = [
    "PANTHER_PATH",
    "answer_file",
    "check_computer_name",
    "computer_name_for",
    "encode_password",
]
