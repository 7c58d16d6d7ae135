"""`PendingCreates`: creates whose outcome is unknown, remembered on the machine running Pulumi.

A create whose reply was lost may have made its object, and Pulumi records no state for a
create that raised, so the next `pulumi up` creates again and finds the object there. A
name alone cannot tell this resource's own leftover from an object someone else made (which
must be refused). So the provider notes each create before sending it and forgets it once
the outcome is known; an entry still there when the same object (same host, kind and
declared inputs) is created again means the object found may be that create's leftover, and
it is adopted. Entries hold no secrets (inputs only, the host by endpoint and user).

A create that succeeded is not forgotten at once either: the engine records it in the stack's
state only after the provider returned it, so a `pulumi up` killed in between leaves an object
the state does not hold (and a pending create in the state). Such creates are kept as
"unrecorded" until the engine shows the object back (diff, read, update or delete of it), so
the next create of the same object adopts it too.

Best effort by design: if the directory cannot be written the provider only loses this
recognition (the next create then refuses the object, as without the journal).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def default_journal_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`$XDG_STATE_HOME/hyperv-lab/pending-creates` (else under `~/.local/state`)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "hyperv-lab" / "pending-creates"


def create_key(kind: str, host: str, declared: Mapping[str, Any]) -> str:
    """Identity of one create: the kind, the host connection and the declared inputs."""
    text = json.dumps([kind, host, dict(declared)], sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class PendingCreates:
    """One file per create whose outcome is not known yet, named by its `create_key`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @property
    def _unrecorded_dir(self) -> Path:
        return self.directory / "unrecorded"

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def _unrecorded_path(self, key: str) -> Path:
        return self._unrecorded_dir / f"{key}.json"

    def contains(self, key: str) -> bool:
        """Whether an earlier create of this object may have left it behind: its outcome is
        unknown, or it succeeded but the engine has not shown it back since."""
        return self._path(key).is_file() or self._unrecorded_path(key).is_file()

    def add(self, key: str, description: Mapping[str, Any]) -> None:
        """Remember a create about to be sent (atomically; a failure is only logged)."""
        self._write(self.directory, self._path(key), description)

    def made(self, key: str, description: Mapping[str, Any]) -> None:
        """The create succeeded: keep it as unrecorded until the engine shows it back."""
        self._write(self._unrecorded_dir, self._unrecorded_path(key), description)
        self._unlink(self._path(key))

    def _write(self, directory: Path, path: Path, description: Mapping[str, Any]) -> None:
        record = {**description, "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        try:
            directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(record, out, default=str)
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("could not note a pending create in %s: %s", directory, exc)

    def discard(self, key: str) -> None:
        """Forget a create: its outcome is known and the state holds it, or it failed
        (missing entries are fine)."""
        self._unlink(self._path(key))
        self._unlink(self._unrecorded_path(key))

    def _unlink(self, path: Path) -> None:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not clear a pending create in %s: %s", self.directory, exc)


__all__ = ["PendingCreates", "create_key", "default_journal_dir"]
