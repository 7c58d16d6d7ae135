"""Remote PowerShell over WinRM: one warm PowerShell per host, inputs and results as JSON data.

from components.remote import RemotePowerShell
result = RemotePowerShell(settings).run(Path(".../get_vm.ps1"), {"name": name}, "read Vm")
"""

from components.remote.client import FollowUp, RemotePowerShell, load_script
from components.remote.errors import (
    GuestLoginError,
    GuestVmMissingError,
    GuestVmOffError,
    HostAuthError,
    HostQuotaError,
    HostUnreachableError,
    OutcomeUnknownError,
    PowerShellError,
    RemoteError,
    RemoteProtocolError,
    Scrubber,
)
from components.remote.session_pool import POOL, SessionPool

__all__ = [
    "POOL",
    "FollowUp",
    "GuestLoginError",
    "GuestVmMissingError",
    "GuestVmOffError",
    "HostAuthError",
    "HostQuotaError",
    "HostUnreachableError",
    "OutcomeUnknownError",
    "PowerShellError",
    "RemoteError",
    "RemotePowerShell",
    "RemoteProtocolError",
    "Scrubber",
    "SessionPool",
    "load_script",
]
