"""Start the gRPC server, announce its port to the engine, and live as long as the engine does."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import threading
from concurrent import futures
from pathlib import Path

import grpc
from pulumi.runtime.proto import language_pb2_grpc

from hyperv_lab_langhost.arguments import parse_host_arguments
from hyperv_lab_langhost.service import PythonLanguageRuntime, sdk_version

EXEC_SCRIPT_NAME = "pulumi-language-python-exec"
# The engine's gRPC limit for plugin messages; a large stack config must fit.
_MAX_MESSAGE_BYTES = 400 * 1024 * 1024
# Enough for concurrent Run/Cancel/metadata calls; Run blocks a thread for the program's life.
_SERVER_THREADS = 8
_PARENT_POLL_SECONDS = 1.0


def default_executor() -> str:
    """The exec script on PATH; our launcher passes `--use-executor` with the one beside it."""
    return shutil.which(EXEC_SCRIPT_NAME) or EXEC_SCRIPT_NAME


def main(argv: list[str]) -> int:
    """Serve until the engine closes us (SIGTERM/SIGINT/kill) or our parent process exits."""
    arguments = parse_host_arguments(argv, default_executor())
    if arguments.show_version:
        print(sdk_version())
        return 0
    if not Path(arguments.executor).is_file():
        print(f"missing executor {arguments.executor}", file=sys.stderr)
        return 1

    runtime = PythonLanguageRuntime(
        engine_address=arguments.engine_address,
        tracing=arguments.tracing,
        executor=arguments.executor,
    )
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=_SERVER_THREADS),
        options=[
            ("grpc.max_receive_message_length", _MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", _MAX_MESSAGE_BYTES),
        ],
    )
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(runtime, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    parent = os.getppid()
    while not stop.wait(_PARENT_POLL_SECONDS):
        if os.getppid() != parent:  # the engine died without stopping us
            break
    runtime.shutdown()
    server.stop(grace=2).wait()
    return 0
