"""What a Windows image becomes at its first boot, and the guest's local accounts.

A generalized (sysprepped) image runs Windows Setup's specialize and oobeSystem passes with the
answer file `\\Windows\\Panther\\unattend.xml` found in its volume: computer name (specialize,
Microsoft-Windows-Shell-Setup/ComputerName, "*" = a random name), the Administrator password
(oobeSystem, UserAccounts/AdministratorPassword with Value and PlainText; PlainText false means
Value is base64 of UTF-16LE(password + "AdministratorPassword"), as Windows SIM writes it) and
TimeZone. Without an answer file it stops at the out-of-box experience: no account can log on.
Passwords are kept only as salted hashes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from hypervsim.world.records import Account

UNATTEND_NS = "urn:schemas-microsoft-com:unattend"
UNATTEND_PATH = "\\Windows\\Panther\\unattend.xml"
PASSWORD_SUFFIX = "AdministratorPassword"
SHELL_SETUP = "Microsoft-Windows-Shell-Setup"


def hash_password(password: str) -> str:
    return hashlib.sha256(("hypervsim-account\0" + password).encode("utf-8")).hexdigest()


@dataclass
class AnswerFile:
    """What an answer file sets (None: not set)."""

    computer_name: str | None = None
    admin_password: str | None = None
    time_zone: str | None = None


def _q(tag: str) -> str:
    return f"{{{UNATTEND_NS}}}{tag}"


def parse_unattend(text: str) -> AnswerFile | None:
    """The settings of an answer file; None if it is not a valid one (Setup then fails)."""
    try:
        root = ET.fromstring(text.lstrip("\ufeff"))
    except ET.ParseError:
        return None
    if root.tag != _q("unattend"):
        return None
    answer = AnswerFile()
    for settings in root.findall(_q("settings")):
        setup_pass = settings.get("pass", "")
        for component in settings.findall(_q("component")):
            if component.get("name") != SHELL_SETUP:
                continue
            name = component.findtext(_q("ComputerName"))
            if setup_pass == "specialize" and name is not None:
                answer.computer_name = name.strip()
            tz = component.findtext(_q("TimeZone"))
            if setup_pass in ("specialize", "oobeSystem") and tz is not None:
                answer.time_zone = tz.strip()
            pw = component.find(f"{_q('UserAccounts')}/{_q('AdministratorPassword')}")
            if setup_pass == "oobeSystem" and pw is not None:
                value = pw.findtext(_q("Value")) or ""
                plain = (pw.findtext(_q("PlainText")) or "true").strip().lower() == "true"
                answer.admin_password = value if plain else _decode_password(value)
    return answer


def _decode_password(value: str) -> str | None:
    try:
        text = base64.b64decode(value.strip(), validate=True).decode("utf-16-le")
    except (binascii.Error, ValueError):
        return None
    return text[: -len(PASSWORD_SUFFIX)] if text.endswith(PASSWORD_SUFFIX) else None


def administrator(password_hash: str) -> Account:
    return Account(name="Administrator", password_hash=password_hash)


def check_credential(accounts: list[Account], computer_name: str, user: str, password: str) -> bool:
    """Whether user/password log on to a guest: `Administrator`, `.\\Administrator` or
    `COMPUTERNAME\\Administrator` (case-insensitive)."""
    domain, sep, name = user.rpartition("\\")
    if sep and domain.lower() not in (".", computer_name.lower()):
        return False
    wanted = hash_password(password)
    return any(a.name.lower() == name.lower() and a.password_hash == wanted for a in accounts)
