"""The baseline the existing tools use (FACTS 4 and 8), for comparison only.

Per operation script: upload it base64-encoded in chunks, one `cmd /c echo <chunk> >> file`
command per chunk (the winrmcp way Terraform's hyperv provider uses: chunk size so the
command line stays under cmd.exe's 8191 characters), then run it with `Session.run_ps`.
Every command gets a fresh `winrm.Session` (new TCP connection + NTLM login, create shell,
command, receive, signal, delete shell). This is a LOWER bound of that approach: no
elevated scheduled task, no decode step and no cleanup command are added.

In the emulator, `>> file` redirection is parsed and the echo output discarded (no file is
written), so the script that runs is passed in the run_ps command itself; the chunk
commands still cost exactly their real round trips.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import winrm

import components.providers.base as provider_base
from components.config import HostSettings
from components.remote import FollowUp, PowerShellError, RemoteProtocolError, load_script
from components.remote.framing import build_request, decode_document, find_envelope

CMD_LINE_LIMIT = 8000
"""winrmcp's budget for one `echo <chunk> >> "<path>"` command line."""


def chunk_payload(text: str, path: str) -> list[str]:
    """Base64 chunks of `text` (UTF-8), each fitting one echo command line for `path`."""
    raw = text.encode("utf-8")
    size = ((CMD_LINE_LIMIT - len(path)) // 4) * 3
    return [base64.b64encode(raw[i : i + size]).decode("ascii") for i in range(0, len(raw), size)]


class NaiveRemotePowerShell:
    """Drop-in for `RemotePowerShell.run` that pays the naive per-command costs."""

    def __init__(self, host: HostSettings, pool: Any = None) -> None:
        if host.endpoint is None or host.user is None or host.password is None:
            raise ValueError("the naive baseline needs a direct WinRM endpoint")
        self.host = host

    def _session(self) -> winrm.Session:
        assert self.host.password is not None and self.host.user is not None
        return winrm.Session(
            str(self.host.endpoint),
            auth=(self.host.user, self.host.password.get_secret_value()),
            transport="ntlm",
            message_encryption="always",
        )

    def run(
        self,
        script: str | Path,
        inputs: dict[str, Any] | None = None,
        operation: str = "operation",
        *,
        after_restart: FollowUp | None = None,
    ) -> dict[str, Any]:
        """Host operations only (as before): a guest's follow-up is not part of the baseline."""
        text = load_script(script) if isinstance(script, Path) else script
        request = build_request(text, dict(inputs or {}))
        line = request.stdin.decode("ascii").split("\r\n", 1)[0]
        path = f"C:\\Windows\\Temp\\hvl-{request.key}.ps1.b64"
        for chunk in chunk_payload(text, path):
            self._session().run_cmd("echo", [chunk, ">>", f'"{path}"'])
        result = self._session().run_ps(line)
        envelope = find_envelope(result.std_out.decode("utf-8", "replace"), request.key)
        if envelope is None:
            raise RemoteProtocolError(self.host.name, operation, "no result frame")
        if not envelope.ok:
            raise PowerShellError(self.host.name, operation, envelope.message, envelope.category)
        return decode_document(envelope.output)


@contextmanager
def naive_transport() -> Iterator[None]:
    """Make every provider `Operation` use the naive baseline while the block runs."""
    original = provider_base.RemotePowerShell
    provider_base.RemotePowerShell = NaiveRemotePowerShell  # type: ignore[misc,assignment]
    try:
        yield
    finally:
        provider_base.RemotePowerShell = original  # type: ignore[misc]
