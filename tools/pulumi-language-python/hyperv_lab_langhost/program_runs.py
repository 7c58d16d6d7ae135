"""Start, track and cancel the program processes of `Run` requests.

Kept apart from the gRPC service so that cancellation (the `Cancel` RPC, a dropped request, the
engine going away) has one place that knows which children are alive.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from dataclasses import dataclass

from hyperv_lab_langhost.program_command import ProgramCommand

# The exec script exits with this code after it has already shown the user an actionable error.
EXITED_AFTER_USER_MESSAGE = 32
# After SIGINT, how long a program gets to wind down before it is killed.
_INTERRUPT_GRACE_SECONDS = 5.0


@dataclass(frozen=True)
class RunOutcome:
    """What to put in a `RunResponse`."""

    error: str
    bail: bool


def outcome_of(returncode: int) -> RunOutcome:
    """Translate a program exit status the way the engine expects it."""
    if returncode == 0:
        return RunOutcome(error="", bail=False)
    if returncode == EXITED_AFTER_USER_MESSAGE:
        return RunOutcome(error="", bail=True)
    if returncode < 0:
        return RunOutcome(error=f"program exited unexpectedly: signal {-returncode}", bail=False)
    return RunOutcome(error=f"program exited with non-zero exit code: {returncode}", bail=False)


class ProgramRuns:
    """The set of running program processes; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()

    def run(self, command: ProgramCommand) -> RunOutcome:
        """Run one program to completion with our stdout/stderr, which the engine reads."""
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            process = subprocess.Popen(command.argv, env=command.env, cwd=command.cwd)
        except OSError as error:
            return RunOutcome(
                error=f"problem executing program (could not run language executor): {error}",
                bail=False,
            )
        with self._lock:
            self._running.add(process)
        try:
            return outcome_of(process.wait())
        finally:
            with self._lock:
                self._running.discard(process)

    def interrupt(self, process: subprocess.Popen[bytes]) -> None:
        """SIGINT one program, then kill it if it has not ended after a grace period."""
        if process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        timer = threading.Timer(_INTERRUPT_GRACE_SECONDS, _kill_if_running, args=(process,))
        timer.daemon = True
        timer.start()

    def interrupt_all(self) -> None:
        """Interrupt every running program (the `Cancel` RPC, or shutdown)."""
        with self._lock:
            running = list(self._running)
        for process in running:
            self.interrupt(process)


def _kill_if_running(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
