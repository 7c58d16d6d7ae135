"""WinRS shells and their commands: what Create/Command/Send/Receive/Signal/Delete act on."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from hypervsim.wire import soap
from hypervsim.wire.processes import Process

MAX_SHELLS_PER_USER = 30


@dataclass
class Shell:
    shell_id: str
    owner: str
    client_ip: str
    codepage: int = 437
    environment: dict[str, str] = field(default_factory=dict)
    working_directory: str | None = None
    idle_timeout: str = "PT7200.000S"
    input_streams: str = "stdin"
    output_streams: str = "stdout stderr"
    created: float = field(default_factory=time.monotonic)
    commands: dict[str, Process] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_command(self, command_id: str, process: Process) -> None:
        with self.lock:
            self.commands[command_id] = process

    def command(self, command_id: str) -> Process:
        with self.lock:
            process = self.commands.get(command_id.upper())
        if process is None:
            raise soap.unknown_command()
        return process

    def remove_command(self, command_id: str) -> Process:
        with self.lock:
            process = self.commands.pop(command_id.upper(), None)
        if process is None:
            raise soap.unknown_command()
        return process

    def close(self) -> list[Process]:
        """Terminate every command; returns them, so a caller may wait until they are gone."""
        with self.lock:
            processes = list(self.commands.values())
            self.commands.clear()
        for process in processes:
            process.terminate()
        return processes


class ShellManager:
    """All open shells of the server, with the per-user quota (MaxShellsPerUser)."""

    def __init__(
        self,
        max_shells_per_user: int = MAX_SHELLS_PER_USER,
        on_change: Callable[[int], None] | None = None,
    ) -> None:
        self.max_shells_per_user = max_shells_per_user
        self._shells: dict[str, Shell] = {}
        self._lock = threading.Lock()
        self._on_change = on_change

    def add(self, shell: Shell) -> None:
        with self._lock:
            owned = sum(1 for s in self._shells.values() if s.owner.lower() == shell.owner.lower())
            if owned >= self.max_shells_per_user:
                raise soap.max_shells(self.max_shells_per_user)
            self._shells[shell.shell_id.upper()] = shell
            count = len(self._shells)
        if self._on_change:
            self._on_change(count)

    def get(self, shell_id: str) -> Shell:
        with self._lock:
            shell = self._shells.get(shell_id.upper())
        if shell is None:
            raise soap.unknown_shell(shell_id)
        return shell

    def delete(self, shell_id: str) -> list[Process]:
        """Remove the shell and terminate its commands (returned, still possibly ending)."""
        with self._lock:
            shell = self._shells.pop(shell_id.upper(), None)
            count = len(self._shells)
        if shell is None:
            raise soap.unknown_shell(shell_id)
        processes = shell.close()
        if self._on_change:
            self._on_change(count)
        return processes

    def close_all(self) -> None:
        """Every shell ends (server stop, host reboot)."""
        with self._lock:
            shells = list(self._shells.values())
            self._shells.clear()
        for shell in shells:
            shell.close()
        if self._on_change:
            self._on_change(0)

    def __len__(self) -> int:
        with self._lock:
            return len(self._shells)
