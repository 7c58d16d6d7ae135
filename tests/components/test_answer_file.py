"""The answer file a generalized image reads at first boot: what Windows Setup looks for,
the password encoded as Windows SIM encodes it (no plain text), valid computer names."""

from __future__ import annotations

import base64
from xml.etree import ElementTree as ET

import pytest

from components.answer_file import (
    PANTHER_PATH,
    answer_file,
    check_computer_name,
    computer_name_for,
    encode_password,
)

NS = {"u": "urn:schemas-microsoft-com:unattend"}
PASSWORD = "Pa<ss>&'w\u00f6rd\""


def _shell_setup(root: ET.Element, pass_name: str) -> ET.Element:
    found = root.find(
        f"u:settings[@pass='{pass_name}']/u:component[@name='Microsoft-Windows-Shell-Setup']", NS
    )
    assert found is not None, pass_name
    return found


def test_answer_file_sets_name_time_zone_and_encoded_administrator_password() -> None:
    text = answer_file("LAB-L1", PASSWORD, "W. Europe Standard Time")
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(text)
    assert root.tag == "{urn:schemas-microsoft-com:unattend}unattend"
    specialize = _shell_setup(root, "specialize")
    assert specialize.findtext("u:ComputerName", namespaces=NS) == "LAB-L1"
    assert specialize.findtext("u:TimeZone", namespaces=NS) == "W. Europe Standard Time"
    oobe = _shell_setup(root, "oobeSystem")
    admin = oobe.find("u:UserAccounts/u:AdministratorPassword", NS)
    assert admin is not None
    assert admin.findtext("u:PlainText", namespaces=NS) == "false"
    value = admin.findtext("u:Value", namespaces=NS) or ""
    # Windows Setup decodes base64, UTF-16LE, and drops the element name appended to it.
    decoded = base64.b64decode(value).decode("utf-16-le")
    assert decoded == PASSWORD + "AdministratorPassword"
    assert PASSWORD not in text and "w\u00f6rd" not in text


def test_encoded_password_matches_windows_sim() -> None:
    # "Passw0rd!" as Windows System Image Manager writes it with "hide sensitive data".
    expected = base64.b64encode("Passw0rd!AdministratorPassword".encode("utf-16-le")).decode()
    assert encode_password("Passw0rd!") == expected


def test_the_file_goes_where_windows_setup_looks_on_the_windows_volume() -> None:
    assert PANTHER_PATH == "Windows\\Panther\\unattend.xml"


@pytest.mark.parametrize(
    ("vm_name", "computer"),
    [
        ("hv-l1", "hv-l1"),
        ("dev-example-phone-emulator", "dev-example-pho"),
        ("lab_hv.ext (2)", "lab-hv-ext-2"),
        ("---x", "x"),
        ("12345", "VM-12345"),
        ("\u2603", "VM"),
        ("abcdefghijklmn-p", "abcdefghijklmn"),
    ],
)
def test_computer_name_from_vm_name_is_a_valid_netbios_name(vm_name: str, computer: str) -> None:
    assert computer_name_for(vm_name) == computer
    assert check_computer_name(computer) == computer


@pytest.mark.parametrize("bad", ["", "a" * 16, "has space", "dot.ted", "1234", "\u00e9t\u00e9"])
def test_invalid_computer_names_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="is not a valid computer name"):
        check_computer_name(bad)
