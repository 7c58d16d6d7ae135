"""The Pulumi Python SDK's per-resource stack traces, cut to the program's own frames.

The SDK sends every resource's whole Python call stack (the program's frames, then the SDK's
runtime, asyncio and the language host's start-up) with its registration, and the engine keeps
it in the stack's state: in a 10-host lab that is 37 % of the state file (bench/bench_lab_up.py
reports its make-up), and the engine re-serialises the whole state at every step, which is most
of its CPU (README, "Performance"). Only the frames of this project say where a resource was
declared; the rest are the same for every resource. `HYPERV_LAB_SDK_STACK_TRACES=1` keeps the
SDK's full traces.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pulumi.runtime.resource as sdk_resource
from pulumi.runtime.proto import source_pb2

KEEP_ENV = "HYPERV_LAB_SDK_STACK_TRACES"

_SDK_STACK_TRACE: Callable[[], source_pb2.StackTrace] = sdk_resource._get_stack_trace


def _project_uri_prefix(root: Path) -> str:
    return root.resolve().as_uri().rstrip("/") + "/"


def project_frames_only(
    full: Callable[[], source_pb2.StackTrace], root: Path
) -> Callable[[], source_pb2.StackTrace]:
    """A stack-trace maker that keeps the frames of files under `root` (the project), but
    always the first one: it is the resource's source position, which the engine shows."""
    prefix = _project_uri_prefix(root)

    def trimmed() -> source_pb2.StackTrace:
        trace = full()
        frames = list(trace.frames)
        kept = [f for i, f in enumerate(frames) if i == 0 or f.pc.uri.startswith(prefix)]
        if len(kept) == len(frames):
            return trace
        return source_pb2.StackTrace(frames=kept)

    return trimmed


def trim_sdk_stack_traces(root: Path | None = None) -> bool:
    """Keep only the project's frames in resource registrations unless
    HYPERV_LAB_SDK_STACK_TRACES=1; True if they are trimmed. `root`: the project directory
    (default: the one holding `components/`)."""
    if os.environ.get(KEEP_ENV, "").strip() == "1":
        sdk_resource._get_stack_trace = _SDK_STACK_TRACE
        return False
    project = root if root is not None else Path(__file__).resolve().parent.parent
    sdk_resource._get_stack_trace = project_frames_only(_SDK_STACK_TRACE, project)
    return True
