"""The Pulumi Python SDK's own debug messages, dropped in the program unless asked for.

The SDK sends about six debug messages per resource (`registering resource`, `resource
registration prepared`, ...), each as a blocking gRPC call to the engine made on the program's
event loop. The CLI shows them only with `pulumi up --debug`, but every call still waits for
the engine's answer, and while it waits no other resource is registered: in a 120-resource lab
that is several hundred round trips on the path between a resource finishing and the resources
that depend on it starting (measured in bench/bench_lab_up.py). `HYPERV_LAB_SDK_DEBUG_LOGS=1`
keeps them, for use with `pulumi up --debug`.
"""

from __future__ import annotations

import os
from typing import Any

import pulumi.log

KEEP_ENV = "HYPERV_LAB_SDK_DEBUG_LOGS"

_SDK_DEBUG = pulumi.log.debug


def _dropped(msg: str, *args: Any, **kwargs: Any) -> None:
    """Debug messages go nowhere (the CLI would not show them without --debug)."""


def drop_sdk_debug_messages() -> bool:
    """Drop debug-level messages of this program (the SDK's and `pulumi.log.debug` alike)
    unless HYPERV_LAB_SDK_DEBUG_LOGS=1; True if they are dropped. Info, warnings and errors
    are untouched."""
    if os.environ.get(KEEP_ENV, "").strip() == "1":
        pulumi.log.debug = _SDK_DEBUG
        return False
    pulumi.log.debug = _dropped
    return True
