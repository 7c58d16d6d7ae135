"""The LanguageRuntime gRPC service: the subset of RPCs the CLI uses for Python programs."""

from __future__ import annotations

import importlib.metadata
import platform
import sys
import threading
from collections.abc import Iterator

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2

from hyperv_lab_langhost.program_command import build_program_command
from hyperv_lab_langhost.program_runs import ProgramRuns


def sdk_version() -> str:
    """The installed Pulumi Python SDK version, which this host reports as its own."""
    return importlib.metadata.version("pulumi")


class PythonLanguageRuntime(language_pb2_grpc.LanguageRuntimeServicer):
    """Runs Pulumi Python programs; knows of no plugins besides the built-in dynamic provider."""

    def __init__(self, *, engine_address: str, tracing: str, executor: str) -> None:
        self._engine_address = engine_address
        self._tracing = tracing
        self._executor = executor
        self._runs = ProgramRuns()
        self._lock = threading.Lock()

    @property
    def engine_address(self) -> str:
        with self._lock:
            return self._engine_address

    def Handshake(  # noqa: N802 - gRPC method name
        self, request: language_pb2.LanguageHandshakeRequest, context: grpc.ServicerContext
    ) -> language_pb2.LanguageHandshakeResponse:
        """Newer engines send their address here instead of (or as well as) on the command line."""
        with self._lock:
            if request.engine_address:
                self._engine_address = request.engine_address
        return language_pb2.LanguageHandshakeResponse()

    def GetPluginInfo(  # noqa: N802
        self, request: empty_pb2.Empty, context: grpc.ServicerContext
    ) -> plugin_pb2.PluginInfo:
        return plugin_pb2.PluginInfo(version=sdk_version())

    def GetRequiredPlugins(  # noqa: N802
        self, request: language_pb2.GetRequiredPluginsRequest, context: grpc.ServicerContext
    ) -> language_pb2.GetRequiredPluginsResponse:
        """None: the project uses only dynamic providers, which ship inside the SDK."""
        return language_pb2.GetRequiredPluginsResponse()

    def GetRequiredPackages(  # noqa: N802
        self, request: language_pb2.GetRequiredPackagesRequest, context: grpc.ServicerContext
    ) -> language_pb2.GetRequiredPackagesResponse:
        """None, for the same reason as `GetRequiredPlugins`."""
        return language_pb2.GetRequiredPackagesResponse()

    def Run(  # noqa: N802
        self, request: language_pb2.RunRequest, context: grpc.ServicerContext
    ) -> language_pb2.RunResponse:
        """Run the program to completion; its output goes straight to the engine via our stdio."""
        command = build_program_command(
            request,
            python=sys.executable,
            executor=self._executor,
            engine_address=self.engine_address,
            tracing=self._tracing,
        )
        outcome = self._runs.run(command)
        return language_pb2.RunResponse(error=outcome.error, bail=outcome.bail)

    def Cancel(  # noqa: N802
        self, request: empty_pb2.Empty, context: grpc.ServicerContext
    ) -> empty_pb2.Empty:
        self._runs.interrupt_all()
        return empty_pb2.Empty()

    def InstallDependencies(  # noqa: N802
        self, request: language_pb2.InstallDependenciesRequest, context: grpc.ServicerContext
    ) -> Iterator[language_pb2.InstallDependenciesResponse]:
        """Nothing to do: `scripts/setup` builds the virtualenv from the pinned requirements."""
        yield from ()

    def RuntimeOptionsPrompts(  # noqa: N802
        self, request: language_pb2.RuntimeOptionsRequest, context: grpc.ServicerContext
    ) -> language_pb2.RuntimeOptionsResponse:
        return language_pb2.RuntimeOptionsResponse()

    def About(  # noqa: N802
        self, request: language_pb2.AboutRequest, context: grpc.ServicerContext
    ) -> language_pb2.AboutResponse:
        return language_pb2.AboutResponse(
            executable=sys.executable,
            version=platform.python_version(),
            metadata={"toolchain": "pip", "typechecker": "none"},
        )

    def GetProgramDependencies(  # noqa: N802
        self, request: language_pb2.GetProgramDependenciesRequest, context: grpc.ServicerContext
    ) -> language_pb2.GetProgramDependenciesResponse:
        """The distributions installed in the interpreter that runs the program."""
        seen: dict[str, str] = {}
        for dist in importlib.metadata.distributions():
            name = dist.metadata["Name"]
            if name and name not in seen:
                seen[name] = dist.version
        return language_pb2.GetProgramDependenciesResponse(
            dependencies=[
                language_pb2.DependencyInfo(name=name, version=version)
                for name, version in sorted(seen.items(), key=lambda item: item[0].lower())
            ]
        )

    def shutdown(self) -> None:
        """Stop any program still running when the host goes away."""
        self._runs.interrupt_all()
