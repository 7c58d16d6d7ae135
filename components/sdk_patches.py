"""The program's changes to the Pulumi Python SDK, installed once, only on the SDK they fit.

Three changes make a large lab's `pulumi up` cheaper: `sdk_debug_messages`, `sdk_stack_traces`,
`sdk_output_wait`; a fourth, `sdk_stack_outputs`, keeps a failed `up` from showing every stack
output as removed; a fifth, `sdk_cancelled_rpcs`, ends a cancelled update in one line instead of
a traceback (each module says why and how to turn it off). They replace SDK functions
(two of them private) that the SDK calls in ways any release can change; so each is installed
only on the SDK version it was written and tested for (`WRITTEN_FOR`). On another version the
program warns once and runs with the SDK's own behaviour (slower, never wrong). The upstream proposals
that would make them unnecessary are in docs/upstream/.

`install_sdk_patches()` is called when the components are imported (`components.nested_host`),
so a lab written in Python gets them exactly as `__main__.py` does; calling it again does
nothing. `HYPERV_LAB_SDK_PATCHES=off` installs none.
"""

from __future__ import annotations

import importlib.metadata
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import pulumi.log
import pulumi.runtime.resource as sdk_resource
import pulumi.runtime.stack as sdk_stack

from components import (
    sdk_cancelled_rpcs,
    sdk_debug_messages,
    sdk_output_wait,
    sdk_stack_outputs,
    sdk_stack_traces,
)

WRITTEN_FOR = "3.272.0"
"""The pulumi SDK version whose private names the patches were written against (pinned in
requirements.txt; docs/toolchain.md says how to move the pin)."""
OFF_ENV = "HYPERV_LAB_SDK_PATCHES"


class SdkPatchWarning(UserWarning):
    """A patch was not installed: the SDK is not the version it was written for."""


@dataclass(frozen=True)
class SdkPatch:
    name: str
    install: Callable[[], bool]
    """Installs it (unless its own environment variable keeps the SDK's); True if active."""
    restore: Callable[[], None]
    """Puts the SDK's own function back."""


def _restore_debug() -> None:
    pulumi.log.debug = sdk_debug_messages._SDK_DEBUG


def _restore_stack_trace() -> None:
    sdk_resource._get_stack_trace = sdk_stack_traces._SDK_STACK_TRACE


def _restore_output_wait() -> None:
    sdk_stack.wait_for_rpcs = sdk_output_wait._SDK_WAIT  # type: ignore[assignment]


PATCHES = (
    SdkPatch("debug messages", sdk_debug_messages.drop_sdk_debug_messages, _restore_debug),
    SdkPatch("stack traces", sdk_stack_traces.trim_sdk_stack_traces, _restore_stack_trace),
    SdkPatch("output wait", sdk_output_wait.use_linear_output_wait, _restore_output_wait),
    SdkPatch(
        "stack outputs",
        sdk_stack_outputs.register_stack_outputs_as_they_resolve,
        sdk_stack_outputs.restore_sdk_registration,
    ),
    SdkPatch(
        "cancelled registrations",
        sdk_cancelled_rpcs.report_cancelled_rpcs_in_one_line,
        sdk_cancelled_rpcs.restore_sdk_mapping,
    ),
)

_installed: dict[str, bool] | None = None


def sdk_version() -> str:
    return importlib.metadata.version("pulumi")


def install_sdk_patches(*, version: str | None = None, force: bool = False) -> dict[str, bool]:
    """Install each patch that fits the running SDK (once per process; `force` again, e.g. in
    tests); returns which are active."""
    global _installed
    if _installed is not None and not force:
        return _installed
    running = version or sdk_version()
    off = os.environ.get(OFF_ENV, "").strip().lower() == "off"
    active: dict[str, bool] = {}
    for patch in PATCHES:
        if off:
            patch.restore()
            active[patch.name] = False
        elif running != WRITTEN_FOR:
            patch.restore()
            warnings.warn(
                f"hyperv-lab: SDK patch '{patch.name}' not installed: it was written for "
                f"pulumi {WRITTEN_FOR}, this is {running} (the SDK's own behaviour is used; "
                "see docs/upstream/)",
                SdkPatchWarning,
                stacklevel=2,
            )
            active[patch.name] = False
        else:
            active[patch.name] = patch.install()
    _installed = active
    return active


__all__ = ["OFF_ENV", "WRITTEN_FOR", "SdkPatchWarning", "install_sdk_patches", "sdk_version"]
