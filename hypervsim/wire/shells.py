"""WinRS shells and their commands: what Create/Command/Send/Receive/Signal/Delete act on.

Quotas as a Windows Server 2016+ host applies them by default: a user may hold 30 shells
(winrm/config/winrs MaxShellsPerUser) and 1500 operations (winrm/config/service
MaxConcurrentOperationsPerUser; an open shell and each of its live commands is one), and a
shell that receives no request for its idle timeout is deleted with its processes. The idle
timeout is the one the client asked for in Create (rsp:IdleTimeOut), capped by the host's
winrs IdleTimeout (7200000 ms) and at least the quota's documented minimum of 1000 ms.
Tests let idle time pass without waiting through `POST /hypervsim/shell-clock`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from hypervsim.wire import soap
from hypervsim.wire.processes import Process

MAX_SHELLS_PER_USER = 30
MAX_OPERATIONS_PER_USER = 1500
IDLE_TIMEOUT_S = 7200.0
MIN_IDLE_TIMEOUT_S = 1.0
REAP_INTERVAL_S = 0.25  # how often idle shells are looked for (their processes then end)

Clock = Callable[[], float]


@dataclass
class Shell:
    shell_id: str
    owner: str
    client_ip: str
    codepage: int = 437
    environment: dict[str, str] = field(default_factory=dict)
    working_directory: str | None = None
    idle_timeout_s: float = IDLE_TIMEOUT_S
    input_streams: str = "stdin"
    output_streams: str = "stdout stderr"
    created: float = field(default_factory=time.monotonic)
    last_used: float = field(default_factory=time.monotonic)
    busy: int = 0  # requests naming this shell being served now (a waiting Receive is use)
    commands: dict[str, Process] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def idle_timeout(self) -> str:
        """As Create's reply states it (xs:duration)."""
        return f"PT{self.idle_timeout_s:.3f}S"

    def idle_expired(self, now: float) -> bool:
        return self.busy == 0 and now - self.last_used >= self.idle_timeout_s

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

    def command_count(self) -> int:
        with self.lock:
            return len(self.commands)

    def close(self) -> list[Process]:
        """Terminate every command; returns them, so a caller may wait until they are gone."""
        with self.lock:
            processes = list(self.commands.values())
            self.commands.clear()
        for process in processes:
            process.terminate()
        return processes


class ShellManager:
    """All open shells of the server, with the per-user quotas and the idle timeout."""

    def __init__(
        self,
        max_shells_per_user: int = MAX_SHELLS_PER_USER,
        on_change: Callable[[int], None] | None = None,
        *,
        idle_timeout_s: float = IDLE_TIMEOUT_S,
        max_operations_per_user: int = MAX_OPERATIONS_PER_USER,
        clock: Clock = time.monotonic,
    ) -> None:
        self.max_shells_per_user = max_shells_per_user
        self.max_operations_per_user = max_operations_per_user
        self.idle_timeout_s = idle_timeout_s
        self._clock = clock
        self._clock_offset = 0.0  # time the host was told to let pass (`advance_clock`)
        self._shells: dict[str, Shell] = {}
        self._lock = threading.Lock()
        self._on_change = on_change
        self._reaper: threading.Thread | None = None
        self._stop_reaper = threading.Event()

    def _now(self) -> float:
        return self._clock() + self._clock_offset

    def advance_clock(self, seconds: float) -> int:
        """Let `seconds` pass for the shells' idle clocks at once (tests of expiry without
        waiting it out); returns how many shells then expired."""
        with self._lock:
            self._clock_offset += max(0.0, seconds)
        return self.expire_idle()

    def idle_timeout_for(self, requested_s: float | None) -> float:
        """The idle timeout a new shell gets when its client asked for `requested_s`."""
        if requested_s is None:
            return self.idle_timeout_s
        return max(MIN_IDLE_TIMEOUT_S, min(requested_s, self.idle_timeout_s))

    # -- quota -----------------------------------------------------------------------------
    def _operations_locked(self, owner: str) -> tuple[int, int]:
        """(shells, operations) of `owner`: a shell and each of its live commands count."""
        shells = [s for s in self._shells.values() if s.owner.lower() == owner.lower()]
        return len(shells), len(shells) + sum(s.command_count() for s in shells)

    def add(self, shell: Shell) -> None:
        expired = self._take_expired()
        try:
            with self._lock:
                shells, operations = self._operations_locked(shell.owner)
                if shells >= self.max_shells_per_user:
                    raise soap.max_shells(self.max_shells_per_user)
                if operations >= self.max_operations_per_user:
                    raise soap.max_operations(self.max_operations_per_user)
                shell.last_used = self._now()
                self._shells[shell.shell_id.upper()] = shell
        finally:
            self._end(expired)
        self._changed()

    def check_new_command(self, owner: str) -> None:
        """A Command is one more operation for its user: refused when the quota is used up."""
        with self._lock:
            _, operations = self._operations_locked(owner)
        if operations >= self.max_operations_per_user:
            raise soap.max_operations(self.max_operations_per_user)

    # -- use -------------------------------------------------------------------------------
    @contextmanager
    def using(self, shell_id: str) -> Iterator[Shell]:
        """The shell a request names, kept from expiring while the request is served (its
        idle time starts again when the request ends). Unknown or expired: InvalidSelectors."""
        expired = self._take_expired()
        self._end(expired)
        with self._lock:
            shell = self._shells.get(shell_id.upper())
            if shell is None:
                raise soap.unknown_shell(shell_id)
            shell.busy += 1
            shell.last_used = self._now()
        try:
            yield shell
        finally:
            with self._lock:
                shell.busy -= 1
                shell.last_used = self._now()

    def get(self, shell_id: str) -> Shell:
        """The shell (no use recorded: for looking, not for serving a client's request)."""
        self._end(self._take_expired())
        with self._lock:
            shell = self._shells.get(shell_id.upper())
        if shell is None:
            raise soap.unknown_shell(shell_id)
        return shell

    def delete(self, shell_id: str) -> list[Process]:
        """Remove the shell and terminate its commands (returned, still possibly ending)."""
        with self._lock:
            shell = self._shells.pop(shell_id.upper(), None)
        if shell is None:
            raise soap.unknown_shell(shell_id)
        processes = shell.close()
        self._changed()
        return processes

    def close_all(self) -> None:
        """Every shell ends (server stop, host reboot)."""
        with self._lock:
            shells = list(self._shells.values())
            self._shells.clear()
        for shell in shells:
            shell.close()
        self._changed()

    def __len__(self) -> int:
        self._end(self._take_expired())
        with self._lock:
            return len(self._shells)

    # -- idle timeout ----------------------------------------------------------------------
    def expire_idle(self) -> int:
        """Delete every shell idle past its timeout (ending its processes); how many."""
        expired = self._take_expired()
        self._end(expired)
        return len(expired)

    def start_reaper(self, interval_s: float = REAP_INTERVAL_S) -> None:
        """Expire idle shells in the background too, so their processes end and the
        counters show them gone even when no request arrives."""
        if self._reaper is not None:
            return
        self._stop_reaper.clear()

        def run() -> None:
            while not self._stop_reaper.wait(interval_s):
                self.expire_idle()

        self._reaper = threading.Thread(target=run, name="hypervsim-shell-reaper", daemon=True)
        self._reaper.start()

    def stop_reaper(self) -> None:
        if self._reaper is not None:
            self._stop_reaper.set()
            self._reaper.join(timeout=5)
            self._reaper = None

    def _take_expired(self) -> list[Shell]:
        now = self._now()
        with self._lock:
            expired = [s for s in self._shells.values() if s.idle_expired(now)]
            for shell in expired:
                del self._shells[shell.shell_id.upper()]
        return expired

    def _end(self, expired: list[Shell]) -> None:
        if not expired:
            return
        for shell in expired:
            shell.close()
        self._changed()

    def _changed(self) -> None:
        if self._on_change:
            with self._lock:
                count = len(self._shells)
            self._on_change(count)
