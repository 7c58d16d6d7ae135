"""Thread-safe counters of what the emulated host did, for benchmarks and tests."""

from __future__ import annotations

import threading

COUNTER_NAMES = (
    "requests",
    "logins",
    "auth_failures",
    "shells_opened",
    "shells_open",
    "powershell_starts",
    "powershell_start_ms",  # total modelled start cost paid (--ps-start-ms), in ms
    "processes_running",  # gauge: WinRS command processes whose worker has not returned
    "commands",
    "lines_run",
    "receives",
    "slow_receives",  # Receive replies delayed by the slow-receive fault
    "slow_receive_ms",
    "bytes_in",
    "bytes_out",
    "faults",
)


class Counters:
    """Named integer counters; `snapshot()` is what `/hypervsim/counters` returns as JSON."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, int] = dict.fromkeys(COUNTER_NAMES, 0)

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._values[name] = self._values.get(name, 0) + amount

    def set(self, name: str, value: int) -> None:
        with self._lock:
            self._values[name] = value

    def get(self, name: str) -> int:
        with self._lock:
            return self._values.get(name, 0)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._values)

    def __getitem__(self, name: str) -> int:
        return self.get(name)
