"""The one exception the world model raises: a Windows error, described without PowerShell.

The cmdlet layer turns it into an ErrorRecord: `message` is Windows' exact text, `reason`
the first part of the FullyQualifiedErrorId (the cmdlet adds ",<command class>"),
`category` an ErrorCategory name.
"""

from __future__ import annotations


class WorldError(Exception):
    """A rule of Windows / Hyper-V refused an operation; nothing was changed."""

    def __init__(
        self,
        message: str,
        *,
        reason: str = "OperationFailed",
        category: str = "InvalidOperation",
        exception_type: str = "Microsoft.HyperV.PowerShell.VirtualizationException",
        target: str | None = None,
        fqid: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.category = category
        self.exception_type = exception_type
        self.target = target
        # A complete FullyQualifiedErrorId when Windows does not use "<reason>,<class>" (CIM).
        self.fqid = fqid


CIM_EXCEPTION = "Microsoft.Management.Infrastructure.CimException"


def cim_error(message: str, command: str, code: int, category: str, target: str) -> WorldError:
    """Errors of CIM-based cmdlets (NetNat, NetTCPIP): FQID "Windows System Error N,<cmdlet>"."""
    return WorldError(
        message,
        reason=f"Windows System Error {code}",
        category=category,
        exception_type=CIM_EXCEPTION,
        target=target,
        fqid=f"Windows System Error {code},{command}",
    )
