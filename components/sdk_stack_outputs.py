"""The stack's outputs registered with the engine as they resolve, so a failed `up` shows them.

The engine (CLI 3.274.1) keeps the latest RegisterResourceOutputs of the root stack and applies
it when the deployment ends; if the deployment failed, every old output that registration does
not name is kept (pkg/resource/deploy/step_executor.go, `executeRegisterResourceOutputs`,
`finalizingStackOutputs && errored`; deployment_executor.go, "Finalize the stack outputs").
The SDK (3.272.0, `Stack._finish`) registers the outputs once, when every exported value has
resolved. When a resource fails the engine stops reading the program first (its outputs never
resolve), no registration arrives, and the CLI prints the stack's outputs as empty: every
output as removed ("- nested_hosts: ..."), although the state keeps them (pulumi/pulumi#15755).

`register_as_they_resolve` replaces `Stack.register_outputs` (which `_finish` calls with every
export): it registers no output at once (a failure from then on keeps all old ones), then the
exports resolved so far each time one more resolves, and the complete set last, as the SDK
would. Registrations go one at a time, each naming a superset of the one before, and none
after the complete one, so a successful run ends with exactly the SDK's outputs. An export
that cannot resolve (its resource failed) stays as the previous run left it.
`HYPERV_LAB_SDK_STACK_OUTPUTS=sdk` keeps the SDK's single registration.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from typing import Any

import grpc  # type: ignore[import-untyped]
from pulumi.output import Output
from pulumi.runtime import rpc
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.settings import _get_rpc_manager, get_monitor, handle_grpc_error
from pulumi.runtime.stack import Stack

KEEP_ENV = "HYPERV_LAB_SDK_STACK_OUTPUTS"

_SDK_REGISTER = Stack.__dict__.get("register_outputs")
"""Stack's own override, if a release adds one (3.272.0 inherits Resource.register_outputs)."""


class _Registrations:
    """The registrations of one stack's outputs: one at a time, growing, the complete one last."""

    def __init__(self, stack: Stack, outputs: Mapping[str, Any]) -> None:
        self.stack = stack
        self.outputs = dict(outputs)
        self.resolved: list[str] = []
        self.sent: list[str] | None = None
        self.complete_sent = False
        self.lock = asyncio.Lock()
        self.tasks: list[asyncio.Future[Any]] = []

    async def _send(self, outputs: Mapping[str, Any]) -> None:
        urn = await self.stack.urn.future()
        serialized = await rpc.serialize_properties(dict(outputs), {})
        monitor = get_monitor()
        if monitor is None or urn is None:
            return
        request = resource_pb2.RegisterResourceOutputsRequest(urn=urn, outputs=serialized)
        await asyncio.get_running_loop().run_in_executor(
            None, monitor.RegisterResourceOutputs, request
        )

    async def partial(self) -> None:
        """Register the exports resolved so far, unless that set was sent already or the
        complete one was. Best effort: once the engine has stopped (a resource failed) it
        refuses, and the complete registration reports the program's failure as the SDK does."""
        async with self.lock:
            names = list(self.resolved)
            if self.complete_sent or names == self.sent:
                return
            try:
                await self._send({name: self.outputs[name] for name in names})
            except grpc.RpcError:
                return
            self.sent = names

    async def watch(self, name: str) -> None:
        """Wait for one export to resolve (known, unknown in a preview, or failed); then send."""
        try:
            await Output.from_input(self.outputs[name]).future(with_unknowns=True)
        except Exception:  # its resource failed: the export keeps its previous value
            return
        self.resolved.append(name)
        await self.partial()

    async def complete(self) -> None:
        """The SDK's registration of every export, after every earlier one."""
        urn = await self.stack.urn.future()
        serialized = await rpc.serialize_properties(self.outputs, {})
        async with self.lock:
            self.complete_sent = True
            monitor = get_monitor()
            if monitor is None or urn is None:
                return
            request = resource_pb2.RegisterResourceOutputsRequest(urn=urn, outputs=serialized)
            try:
                await asyncio.get_running_loop().run_in_executor(
                    None, monitor.RegisterResourceOutputs, request
                )
            except grpc.RpcError as exn:
                handle_grpc_error(exn)


def register_as_they_resolve(self: Stack, outputs: Any) -> None:
    """Drop-in for `Stack.register_outputs`, called once by the SDK with every export."""
    registrations = _Registrations(self, outputs or {})
    manager = _get_rpc_manager()
    # Tracked as RPCs: the SDK waits for them before the program ends, and an error of the
    # complete registration is the program's error, as with the SDK's own registration.
    steps = [
        manager.do_rpc("register stack outputs early", registrations.partial)(),
        *(
            manager.do_rpc("register resolved stack outputs", registrations.watch)(name)
            for name in registrations.outputs
        ),
        manager.do_rpc("register resource outputs", registrations.complete)(),
    ]
    registrations.tasks = [asyncio.ensure_future(step) for step in steps]


def restore_sdk_registration() -> None:
    if _SDK_REGISTER is None:
        if "register_outputs" in Stack.__dict__:
            del Stack.register_outputs
    else:
        Stack.register_outputs = _SDK_REGISTER  # type: ignore[method-assign]


def register_stack_outputs_as_they_resolve() -> bool:
    """Install `register_as_they_resolve` on the SDK's Stack unless
    HYPERV_LAB_SDK_STACK_OUTPUTS=sdk; True if installed."""
    if os.environ.get(KEEP_ENV, "").strip().lower() == "sdk":
        restore_sdk_registration()
        return False
    Stack.register_outputs = register_as_they_resolve  # type: ignore[method-assign, assignment]
    return True
