"""Typed failures of a remote PowerShell operation, free of secrets by construction.

Pulumi prints exception text verbatim (with traceback), so every message built here goes
through `Scrubber` and never includes inputs, script source or credentials.
"""

from __future__ import annotations

from collections.abc import Iterable


class Scrubber:
    """Replaces every known secret (and its common encodings) with `***` in a text."""

    def __init__(self, secrets: Iterable[str]) -> None:
        import base64

        forms: set[str] = set()
        for secret in secrets:
            if not secret:
                continue
            forms.add(secret)
            forms.add(base64.b64encode(secret.encode("utf-8")).decode("ascii"))
            forms.add(base64.b64encode(secret.encode("utf-16-le")).decode("ascii"))
        # Longest first so a secret that contains another is replaced whole.
        self._forms = sorted((f for f in forms if len(f) >= 3), key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for form in self._forms:
            text = text.replace(form, "***")
        return text


class RemoteError(Exception):
    """Root of every failure talking to a Hyper-V host."""

    def __init__(self, host: str, operation: str, message: str) -> None:
        self.host = host
        self.operation = operation
        self.message = message
        super().__init__(f"[{host}] {operation}: {message}")

    def __reduce__(self) -> tuple[type, tuple[str, str, str]]:
        return (type(self), (self.host, self.operation, self.message))


class PowerShellError(RemoteError):
    """The operation's PowerShell raised an error (never retried): the Windows message."""

    def __init__(
        self,
        host: str,
        operation: str,
        message: str,
        category: str = "NotSpecified",
        fqid: str = "",
    ) -> None:
        self.category = category
        self.fqid = fqid
        super().__init__(host, operation, message)

    def __reduce__(self) -> tuple[type, tuple[str, str, str, str, str]]:  # type: ignore[override]
        return (type(self), (self.host, self.operation, self.message, self.category, self.fqid))

    @property
    def guest_not_answering(self) -> bool:
        """The guest was not reachable through PowerShell Direct yet, so the script never ran."""
        return self.fqid.startswith(GUEST_NOT_ANSWERING_ID)


GUEST_VM_MISSING_ID = "HyperVLab.GuestVmMissing"
"""ErrorId the PowerShell Direct wrapper writes when the VM to enter does not exist."""

GUEST_NOT_ANSWERING_ID = "HyperVLab.GuestNotAnswering"
"""ErrorId the PowerShell Direct wrapper writes when the VM exists but its guest did not
answer within the wait (it may be restarting): nothing ran inside it."""


GUEST_VM_OFF_ID = "HyperVLab.GuestVmOff"
"""ErrorId the PowerShell Direct wrapper writes when the VM to enter exists but is Off (or
Saved, Paused): its guest cannot answer until the VM is started, so the wrapper does not wait."""

GUEST_LOGIN_REFUSED_ID = "HyperVLab.GuestLoginRefused"
"""ErrorId the PowerShell Direct wrapper writes when the guest kept answering "The credential
is invalid." for longer than the credential's login_retry_s."""


class GuestLoginError(PowerShellError):
    """The guest refuses the route's credential (wrong password, or not the image's login)."""


class GuestVmMissingError(PowerShellError):
    """A guest route's VM does not exist on its parent host (so neither does anything in it)."""


class GuestVmOffError(PowerShellError):
    """A guest route's VM exists but is not running: nothing inside it can be read or changed
    until it is started (what it holds is unknown, not gone)."""


class HostUnreachableError(RemoteError):
    """Transport failed (refused, reset, 5xx, timeouts) after the bounded retries."""


class OutcomeUnknownError(RemoteError):
    """The operation was sent and may have run, but its result never arrived (the connection
    or the shell went away meanwhile). Never retried: a caller that created something
    re-reads the object to learn what happened."""


class HostQuotaError(RemoteError):
    """The host refused a new WinRM shell: the user's quota is used up (MaxShellsPerUser or
    MaxConcurrentOperationsPerUser) and this process holds no shell there to use instead.
    Nothing was sent: the operation did not run."""


class HostAuthError(RemoteError):
    """The host refused the credentials or the transport settings are unsafe."""


class RemoteProtocolError(RemoteError):
    """The host answered but not in the framed form the client expects (a bug, not a user error)."""
