"""Per-process memory of hosts that stopped answering (a circuit breaker, shared by threads).

A host that accepts TCP connections but never answers costs every operation its full read
timeout times its retries (minutes each), and a run has many operations for the same host.
Once one operation has run out of retries without any answer from a host, the rest of the run
(the provider process) fails at once for that host with one clear error instead of waiting
again. It is forgotten when the pool is reset (`SessionPool.close_all`, the end of a run).
"""

from __future__ import annotations

import threading


class HostBreaker:
    """Endpoints that did not answer in this run, with what they did (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._down: dict[str, str] = {}

    def down(self, endpoint: str) -> str | None:
        """How `endpoint` failed to answer earlier in this run, or None if it did not."""
        with self._lock:
            return self._down.get(endpoint)

    def trip(self, endpoint: str, how: str) -> None:
        """Remember that `endpoint` did not answer (`how`: e.g. 'after 2 attempt(s) (ReadTimeout)')."""
        with self._lock:
            self._down.setdefault(endpoint, how)

    def reset(self) -> None:
        with self._lock:
            self._down.clear()
