"""A password the host refuses (issue 16, item 9): one line naming the host's own password
setting and environment variable (not a `HYPERV_LAB_PASSWORD_<NAME>` template), no secret."""

from __future__ import annotations

from typing import Any

import pytest

from components.remote import HostAuthError, RemotePowerShell
from tests.components.test_remote_emulator import ECHO, settings_for


def test_wrong_password_names_the_real_variable_and_secret_path(emulator: Any) -> None:
    wrong = "Not-" + emulator.password
    client = RemotePowerShell(settings_for(emulator, name="lab-host-1", password=wrong))
    with pytest.raises(HostAuthError) as info:
        client.run(ECHO, {"name": "x", "count": 1}, "echo")
    message = str(info.value)
    assert message == (
        f"[lab-host-1] echo: {emulator.endpoint} refused user '{emulator.user}' with transport "
        "'ntlm': check hyperv-lab:hosts.lab-host-1.user and its password (pulumi config set "
        "--secret --path 'hyperv-lab:passwords.lab-host-1', or the environment variable "
        "HYPERV_LAB_PASSWORD_LAB_HOST_1)"
    )
    assert wrong not in message and emulator.password not in message
