"""A registration the engine cancelled ends the program with one line, not a traceback.

When an update is cancelled (Ctrl-C, or `pulumi cancel` from elsewhere), the engine lets the
operations in flight finish and answers the program's registrations still waiting with gRPC
CANCELLED ("context canceled"). The Python SDK (`pulumi.runtime.settings.grpc_error_to_exception`,
SDK 3.272.0) turns every status but UNAVAILABLE into a plain `Exception`, so the language host
prints "Program failed with an unhandled exception" and a traceback through the SDK's runtime,
although nothing in the program failed. `RunError` is the SDK's own "error without a
traceback"; UNAVAILABLE (the engine gone) already maps to it. `HYPERV_LAB_SDK_CANCELLED_RPCS=sdk`
keeps the SDK's own mapping.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import grpc  # type: ignore[import-untyped]
import pulumi.runtime.settings as sdk_settings
from pulumi.errors import RunError

KEEP_ENV = "HYPERV_LAB_SDK_CANCELLED_RPCS"

CANCELLED_MESSAGE = (
    "the update was cancelled (Ctrl-C or `pulumi cancel`); the resources the program had not "
    "registered yet were not created"
)

_SDK_TO_EXCEPTION: Callable[[grpc.RpcError], Exception] = sdk_settings.grpc_error_to_exception


def cancelled_as_run_error(
    sdk: Callable[[grpc.RpcError], Exception],
) -> Callable[[grpc.RpcError], Exception]:
    """The SDK's mapping, with CANCELLED as a `RunError` (shown as one line)."""

    def to_exception(exn: grpc.RpcError) -> Exception:
        code = getattr(exn, "code", None)
        if callable(code) and code() == grpc.StatusCode.CANCELLED:
            return RunError(CANCELLED_MESSAGE)
        return sdk(exn)

    return to_exception


def report_cancelled_rpcs_in_one_line() -> bool:
    """Install the mapping unless HYPERV_LAB_SDK_CANCELLED_RPCS=sdk; True if installed."""
    if os.environ.get(KEEP_ENV, "").strip().lower() == "sdk":
        sdk_settings.grpc_error_to_exception = _SDK_TO_EXCEPTION  # type: ignore[assignment]
        return False
    sdk_settings.grpc_error_to_exception = cancelled_as_run_error(_SDK_TO_EXCEPTION)  # type: ignore[assignment]
    return True


def restore_sdk_mapping() -> None:
    sdk_settings.grpc_error_to_exception = _SDK_TO_EXCEPTION  # type: ignore[assignment]
