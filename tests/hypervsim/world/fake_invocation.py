"""A minimal stand-in for the interpreter's Invocation, to call cmdlet functions directly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypervsim.powershell.api import CmdletError, ErrorRecord, lookup
from hypervsim.world.model import Computer


@dataclass
class FakeInvocation:
    name: str
    computer: Computer
    bound: dict[str, Any] = field(default_factory=dict)
    args: list[Any] = field(default_factory=list)
    input: list[Any] = field(default_factory=list)
    errors: list[ErrorRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    native_exit_code: int | None = None

    def write_error(self, record: ErrorRecord) -> None:
        self.errors.append(record)

    def write_warning(self, text: str) -> None:
        self.warnings.append(text)

    def write_verbose(self, text: str) -> None:
        pass

    def write_host(self, text: str) -> None:
        pass

    def invoke(
        self,
        block: Callable[..., list[Any]],
        args: list[Any] | None = None,
        *,
        computer: Computer | None = None,
        **_: Any,
    ) -> list[Any]:
        return list(block(computer or self.computer, *(args or [])))

    def sleep(self, seconds: float) -> None:
        pass

    def set_exit_code(self, code: int) -> None:
        self.native_exit_code = code


def run(
    computer: Computer, command: str, *args: Any, input: list[Any] | None = None, **bound: Any
) -> tuple[list[Any], FakeInvocation]:
    """Run one registered cmdlet; terminating errors become entries of inv.errors."""
    import hypervsim.powershell.cmdlets.applications
    import hypervsim.powershell.cmdlets.dns
    import hypervsim.powershell.cmdlets.feature
    import hypervsim.powershell.cmdlets.invoke_command
    import hypervsim.powershell.cmdlets.netadapter
    import hypervsim.powershell.cmdlets.netconnection
    import hypervsim.powershell.cmdlets.netip
    import hypervsim.powershell.cmdlets.netnat
    import hypervsim.powershell.cmdlets.vhd
    import hypervsim.powershell.cmdlets.vm
    import hypervsim.powershell.cmdlets.vm_host
    import hypervsim.powershell.cmdlets.vm_memory
    import hypervsim.powershell.cmdlets.vm_network_adapter
    import hypervsim.powershell.cmdlets.vm_processor
    import hypervsim.powershell.cmdlets.vm_switch  # noqa: F401

    spec = lookup(command)
    assert spec is not None, command
    inv = FakeInvocation(spec.name, computer, dict(bound), list(args), list(input or []))
    try:
        out = list(spec.func(inv) or [])  # type: ignore[arg-type]
    except CmdletError as err:
        inv.errors.append(err.record)
        out = []
    return out, inv
