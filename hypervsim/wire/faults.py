"""Fault injection (`--fault SPEC`), deterministic under `--seed`.

Specs:
- `drop-after:N`: close the TCP connection instead of answering every request after the N-th.
- `http500:P`: answer HTTP 500 with probability P. On a logged-in connection this happens
  after unsealing the request, as the WinRM service would, so the login survives; in the
  middle of a login it interrupts the handshake.
- `drop-reply:P`: with probability P, carry out a WS-Man request but close the connection
  instead of answering (the reply is lost in transit; the client cannot know it ran).
- `cut-reply:P`: with probability P, carry out a WS-Man request, then send the reply's headers
  and only half of its body before closing the connection (cut mid-reply: the client's HTTP
  stack reports an incomplete read, and cannot know the request ran).
- `slow-receive:MS`: delay every Receive reply by MS milliseconds.
- `reboot-host-after:N`: the host reboots once, right after the N-th request: the world's
  `reboot_host()` runs and every shell is gone.
- `login-alone:1`: the NTLM authenticate message is taken only on a request of its own (empty
  body); one that carries a message too is answered 401 and the login starts over (a host
  that, unlike the default, does not process the first request of a login with it).
"""

from __future__ import annotations

import enum
import random
import threading
from dataclasses import dataclass


class FaultKind(enum.Enum):
    DROP_AFTER = "drop-after"
    HTTP500 = "http500"
    DROP_REPLY = "drop-reply"
    CUT_REPLY = "cut-reply"
    SLOW_RECEIVE = "slow-receive"
    REBOOT_HOST_AFTER = "reboot-host-after"
    LOGIN_ALONE = "login-alone"


@dataclass(frozen=True)
class FaultSpec:
    kind: FaultKind
    value: float

    @classmethod
    def parse(cls, text: str) -> FaultSpec:
        """`drop-after:3` -> FaultSpec(DROP_AFTER, 3.0); ValueError on anything else."""
        name, sep, raw = text.partition(":")
        if not sep:
            raise ValueError(f"fault spec {text!r} must look like NAME:VALUE")
        try:
            kind = FaultKind(name.strip().lower())
        except ValueError:
            known = ", ".join(k.value for k in FaultKind)
            raise ValueError(f"unknown fault {name!r} (known: {known})") from None
        value = float(raw)
        if (
            kind in (FaultKind.HTTP500, FaultKind.DROP_REPLY, FaultKind.CUT_REPLY)
            and not 0.0 <= value <= 1.0
        ):
            raise ValueError(f"{kind.value} probability must be between 0 and 1")
        if value < 0:
            raise ValueError(f"fault value must not be negative: {text!r}")
        return cls(kind, value)


class RequestFate(enum.Enum):
    SERVE = "serve"
    DROP = "drop"
    HTTP500 = "http500"
    DROP_REPLY = "drop-reply"  # serve the request, then close the connection unanswered
    CUT_REPLY = "cut-reply"  # serve the request, then close halfway through the reply's body


@dataclass(frozen=True)
class RequestDecision:
    fate: RequestFate
    reboot_before: bool  # reboot the host before serving this request


class FaultInjector:
    """Decides, request by request, which configured fault strikes. One per server."""

    def __init__(self, specs: list[FaultSpec], seed: int) -> None:
        self._specs = specs
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._count = 0
        self._rebooted = False

    @property
    def login_alone(self) -> bool:
        return any(s.kind is FaultKind.LOGIN_ALONE and s.value > 0 for s in self._specs)

    @property
    def slow_receive_seconds(self) -> float:
        return sum(s.value for s in self._specs if s.kind is FaultKind.SLOW_RECEIVE) / 1000.0

    def next_request(self) -> RequestDecision:
        """Call once per HTTP request to /wsman, in arrival order."""
        with self._lock:
            self._count += 1
            fate = RequestFate.SERVE
            reboot = False
            for spec in self._specs:
                if spec.kind is FaultKind.DROP_AFTER and self._count > spec.value:
                    fate = RequestFate.DROP
                elif spec.kind is FaultKind.HTTP500:
                    if self._random.random() < spec.value and fate is RequestFate.SERVE:
                        fate = RequestFate.HTTP500
                elif spec.kind is FaultKind.DROP_REPLY:
                    if self._random.random() < spec.value and fate is RequestFate.SERVE:
                        fate = RequestFate.DROP_REPLY
                elif spec.kind is FaultKind.CUT_REPLY:
                    if self._random.random() < spec.value and fate is RequestFate.SERVE:
                        fate = RequestFate.CUT_REPLY
                elif spec.kind is FaultKind.REBOOT_HOST_AFTER:
                    if not self._rebooted and self._count > spec.value:
                        self._rebooted = True
                        reboot = True
            return RequestDecision(fate, reboot)
