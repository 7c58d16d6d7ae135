"""The Pulumi Python SDK's per-resource stack traces, cut to the declaring frame.

The SDK sends every resource's whole Python call stack (the program's frames, then the SDK's
runtime, asyncio and the language host's start-up) with its registration, and the engine keeps
it in the stack's state: in a 10-host lab that was 37 % of the state file (bench/bench_lab_up.py
reports its make-up), and the engine re-serialises the whole state at every step, which is most
of its CPU (docs/benchmarks.md). The first frame, the line that declared the resource, is
kept: the SDK derives the resource's source position from it. The rest says nothing the URN's
parent chain does not. `HYPERV_LAB_SDK_STACK_TRACES=1` keeps the SDK's full traces.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pulumi.runtime.resource as sdk_resource
from pulumi.runtime.proto import source_pb2

KEEP_ENV = "HYPERV_LAB_SDK_STACK_TRACES"

_SDK_STACK_TRACE: Callable[[], source_pb2.StackTrace] = sdk_resource._get_stack_trace


def declaring_frame_only(
    full: Callable[[], source_pb2.StackTrace],
) -> Callable[[], source_pb2.StackTrace]:
    """A stack-trace maker that keeps only the first frame of `full`'s traces."""

    def trimmed() -> source_pb2.StackTrace:
        trace = full()
        if len(trace.frames) <= 1:
            return trace
        return source_pb2.StackTrace(frames=trace.frames[:1])

    return trimmed


def trim_sdk_stack_traces() -> bool:
    """Keep only the declaring frame in resource registrations unless
    HYPERV_LAB_SDK_STACK_TRACES=1; True if they are trimmed."""
    if os.environ.get(KEEP_ENV, "").strip() == "1":
        sdk_resource._get_stack_trace = _SDK_STACK_TRACE
        return False
    sdk_resource._get_stack_trace = declaring_frame_only(_SDK_STACK_TRACE)
    return True
