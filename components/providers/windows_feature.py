"""`WindowsFeature`: a Windows feature (Hyper-V by default) installed inside a machine,
typically an L1 NestedHost's guest reached through PowerShell Direct.

Install-WindowsFeature on Windows Server; on client Windows 10/11, which has no
Install-WindowsFeature, Enable-WindowsOptionalFeature -Online -All -NoRestart (Hyper-V is
`Microsoft-Hyper-V` there, with its parent features, as Microsoft documents it).
With `restart=True` a guest whose install needs a restart is restarted by the install
operation itself (`Restart-Computer -Force` inside it, one round trip pair fewer than a
separate restart call), and the same operation waits on the parent host, bounded, until the
guest answers again and reads the install state there (the PowerShell Direct wrapper's
follow-up: one more round trip pair saved); if the guest had not gone down yet, the provider
polls until it reports the feature Installed. A plain host (an L0 named in config) is never restarted:
`restart_needed` says so and a warning is logged. Delete leaves the feature installed:
uninstalling Hyper-V from a lab host is out of scope.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from pulumi import Input, Output

from components.providers import api
from components.remote import (
    HostAuthError,
    HostUnreachableError,
    PowerShellError,
    RemoteError,
)

log = logging.getLogger(__name__)


@dataclass
class WindowsFeatureArgs:
    """Inputs of a `WindowsFeature`, and the declaration of each property (`declared`)."""

    host: Input[str | Mapping[str, Any]] = api.declared_as(api.HOST_PROP)
    """The machine to install on: usually a guest route `{"parent", "vm_name", "credential"}`
    (a NestedHost's `host` output); a configured host name is never restarted."""
    name: Input[str] = api.declared(str, "Hyper-V", replaces=True)
    """Server Manager feature name ("Hyper-V" is `Microsoft-Hyper-V` on client Windows)."""
    include_management_tools: Input[bool] = api.declared(bool, True)
    """Also install the management tools (Windows Server; on client Windows Hyper-V is
    enabled with -All, Microsoft's documented form, whatever this says)."""
    restart: Input[bool] = api.declared(bool, True)
    """Restart the guest when the install needs it, and wait until it is back."""


WINDOWS_FEATURE = api.PropertySet.from_args(
    "WindowsFeature",
    WindowsFeatureArgs,
    computed=[
        api.Prop("installed", bool, computed=True, doc="the feature is installed and active"),
        api.Prop("restart_needed", bool, computed=True, doc="installed, waiting for a restart"),
    ],
)


class WindowsFeatureProvider(api.HostBoundProvider):
    """Installs a feature (and restarts the guest when asked); reads its install state."""

    properties = WINDOWS_FEATURE
    restart_wait_s: ClassVar[float] = 900.0
    """How long to wait for the guest to come back and report the feature Installed."""
    poll_interval_s: ClassVar[float] = 5.0

    def _run(
        self,
        op: api.Operation,
        script: str,
        props: Mapping[str, Any],
        *,
        then_read: bool = False,
        **extra: Any,
    ) -> dict[str, Any]:
        """`then_read`: when the script restarts the guest, the same operation waits for it on
        the host and reads the install state (no second operation, no poll round trips)."""
        feature = {
            "name": props.get("name", "Hyper-V"),
            "include_management_tools": bool(props.get("include_management_tools", True)),
        }
        describe = self.script_path("describe")
        after = ("get", feature) if then_read else None
        return op.run(script, {**feature, **extra}, describe, after_restart=after)

    def _install(self, op: api.Operation, props: Mapping[str, Any]) -> dict[str, Any]:
        guest = op.client.host.via is not None
        restart = guest and bool(props.get("restart", True))
        try:
            # The restart, when needed and allowed, happens in the same operation, and so
            # does the read of the install state once the guest is back.
            state = self._run(op, "install", props, then_read=restart, restart=restart)
        except PowerShellError as exc:
            if not restart:
                raise
            return self._after_interrupted_install(op, props, exc)
        if state.get("restarting") or (restart and state["restart_needed"]):
            # The guest had not gone down yet when it was read: poll until it is back.
            return self._wait_until_installed(op, props)
        if state["restart_needed"] and not guest:
            log.warning(
                "%s: '%s' is installed but %s must be restarted to finish; "
                "hyperv-lab does not restart a physical host",
                op.label,
                state["feature"],
                op.ref.label(),
            )
        return _computed(state)

    def _after_interrupted_install(
        self, op: api.Operation, props: Mapping[str, Any], error: PowerShellError
    ) -> dict[str, Any]:
        """The install-and-restart reported an error: the guest may have dropped PowerShell
        Direct while going down, or the install failed. A fresh read tells which."""
        try:
            state = self._run(op, "get", props)
        except PowerShellError as read_error:
            if read_error.guest_not_answering:
                # Still restarting (a slow reboot): keep waiting, bounded, as after a restart.
                return self._wait_until_installed(op, props, cause=error)
            raise error from None
        if state["installed"]:
            return _computed(state)
        if not state["restart_needed"]:
            raise error  # nothing was installed: the install's own error is the answer
        log.info("%s: install on %s reported: %s", op.label, op.ref.label(), error.message)
        return self._restart_and_wait(op, props)

    def _restart_and_wait(self, op: api.Operation, props: Mapping[str, Any]) -> dict[str, Any]:
        cause: RemoteError | None = None
        try:
            op.run("restart", {})
        except PowerShellError as exc:
            # The guest may drop the PowerShell Direct session while it goes down; the
            # install state read below is what decides success.
            log.info("%s: restart of %s reported: %s", op.label, op.ref.label(), exc.message)
            cause = exc
        return self._wait_until_installed(op, props, cause=cause)

    def _wait_until_installed(
        self, op: api.Operation, props: Mapping[str, Any], cause: RemoteError | None = None
    ) -> dict[str, Any]:
        """Poll (bounded) until the restarted guest answers and reports the feature Installed;
        the PowerShell Direct wrapper itself waits while the guest does not answer yet.
        `cause`: an error seen before waiting, named in the timeout message if nothing later
        explains it."""
        deadline = time.monotonic() + self.restart_wait_s
        last: RemoteError | None = cause
        while True:
            try:
                state = self._run(op, "get", props)
                if not state["restart_needed"]:
                    return _computed(state)
            except (HostUnreachableError, HostAuthError):
                # The Hyper-V host itself stopped answering (after the client's own retries):
                # waiting for the guest cannot help; the next `pulumi up` re-reads the install.
                raise
            except RemoteError as exc:
                last = exc
            if time.monotonic() >= deadline:
                detail = f": {last.message}" if last is not None else ""
                raise api.ProviderError(
                    f"{op.ref.label()}: {op.label} failed: the guest did not come back with "
                    f"'{props.get('name', 'Hyper-V')}' installed within "
                    f"{self.restart_wait_s:.0f} s after the restart{detail}"
                )
            time.sleep(self.poll_interval_s)

    def create_object(self, op: api.Operation, inputs: api.Props) -> tuple[str, api.Props]:
        computed = self._install(op, inputs)
        return f"{op.ref.label()}/{inputs.get('name', 'Hyper-V')}", computed

    def read_object(self, op: api.Operation, id_: str, props: api.Props) -> api.Props | None:
        return _computed(self._run(op, "get", props))

    def update_object(
        self, op: api.Operation, id_: str, olds: api.Props, news: api.Props, diff: api.PropertyDiff
    ) -> api.Props:
        return self._install(op, news)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Leaves the feature installed (uninstalling Hyper-V is out of scope), so it needs
        neither the host nor its configuration."""
        return None


def _computed(state: Mapping[str, Any]) -> dict[str, Any]:
    return {"installed": bool(state["installed"]), "restart_needed": bool(state["restart_needed"])}


_PROVIDER = WindowsFeatureProvider()


class WindowsFeature(
    api.HostBoundResource[WindowsFeatureArgs], module="hyperv", name="WindowsFeature"
):
    """A Windows feature installed inside a machine."""

    host: Output[Any]
    name: Output[str]
    include_management_tools: Output[bool]
    restart: Output[bool]
    installed: Output[bool]
    restart_needed: Output[bool]

    dynamic_provider = _PROVIDER


__all__ = ["WINDOWS_FEATURE", "WindowsFeature", "WindowsFeatureArgs", "WindowsFeatureProvider"]
