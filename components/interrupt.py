"""Ctrl-C during a run: one line saying what happened and what to run next, no traceback.

The terminal sends SIGINT to the whole process group. The Pulumi CLI handles it itself: it
stops starting operations, lets the ones in progress finish, records them and ends the run
("update canceled"). The program's Python process would meanwhile die of KeyboardInterrupt
wherever its event loop happened to be, and the engine shows that traceback in the
diagnostics, although nothing in the program failed. So the program answers Ctrl-C with one
line and carries on until the engine ends it. A second Ctrl-C is the CLI's to handle (it then
terminates at once).
"""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType
from typing import TextIO

INTERRUPTED_MESSAGE = (
    "hyperv-lab: interrupted (Ctrl-C): Pulumi lets the operations in progress finish, records "
    "them and stops; run `pulumi up` again to finish the lab (after a second Ctrl-C, which "
    "stops at once: `pulumi cancel --yes` if the stack is locked, then `pulumi refresh --yes "
    "--clear-pending-creates`, then `pulumi up`)"
)

PREVIEW_INTERRUPTED_MESSAGE = "hyperv-lab: preview interrupted (Ctrl-C): nothing was changed"


def explain_interrupts(stream: TextIO | None = None, *, preview: bool = False) -> bool:
    """Answer SIGINT with `INTERRUPTED_MESSAGE` (`PREVIEW_INTERRUPTED_MESSAGE` in a preview),
    once, instead of KeyboardInterrupt; True if installed (only the main thread may install
    signal handlers)."""
    if threading.current_thread() is not threading.main_thread():
        return False
    told = False

    def on_interrupt(_signum: int, _frame: FrameType | None) -> None:
        nonlocal told
        if not told:
            told = True
            out = stream or sys.stderr
            out.write((PREVIEW_INTERRUPTED_MESSAGE if preview else INTERRUPTED_MESSAGE) + "\n")
            out.flush()

    signal.signal(signal.SIGINT, on_interrupt)
    return True
