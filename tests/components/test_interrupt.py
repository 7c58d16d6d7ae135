"""Ctrl-C reaches the program as one explanatory line, not a KeyboardInterrupt traceback."""

from __future__ import annotations

import io
import os
import signal
from collections.abc import Iterator

import pytest

from components.interrupt import (
    INTERRUPTED_MESSAGE,
    PREVIEW_INTERRUPTED_MESSAGE,
    explain_interrupts,
)


@pytest.fixture(autouse=True)
def _restore_sigint() -> Iterator[None]:
    original = signal.getsignal(signal.SIGINT)
    yield
    signal.signal(signal.SIGINT, original)


def test_sigint_prints_what_to_run_next_once_and_raises_nothing() -> None:
    out = io.StringIO()
    assert explain_interrupts(out)
    os.kill(os.getpid(), signal.SIGINT)
    os.kill(os.getpid(), signal.SIGINT)  # the CLI's to handle: said once is enough
    assert out.getvalue() == INTERRUPTED_MESSAGE + "\n"
    assert "\n" not in INTERRUPTED_MESSAGE
    assert "run `pulumi up` again" in INTERRUPTED_MESSAGE


def test_a_preview_says_nothing_was_changed() -> None:
    out = io.StringIO()
    assert explain_interrupts(out, preview=True)
    os.kill(os.getpid(), signal.SIGINT)
    assert out.getvalue() == PREVIEW_INTERRUPTED_MESSAGE + "\n"


def test_without_it_sigint_is_a_keyboard_interrupt() -> None:
    """The default the program replaces (so the test above can fail)."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
