"""`PendingCreates`: creates whose outcome is unknown, remembered on the machine running Pulumi.

A create whose reply was lost may have made its object, and Pulumi records no state for a
create that raised, so the next `pulumi up` creates again and finds the object there. A
name alone cannot tell this resource's own leftover from an object someone else made (which
must be refused). So the provider notes each create before sending it and forgets it once
the outcome is known; an entry still there when the same object (same host, kind and
declared inputs) is created again means the object found may be that create's leftover, and
it is adopted. Entries hold no secrets (inputs only, the host by endpoint and user).

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

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def contains(self, key: str) -> bool:
        return self._path(key).is_file()

    def add(self, key: str, description: Mapping[str, Any]) -> None:
        """Remember a create about to be sent (atomically; a failure is only logged)."""
        record = {**description, "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(record, out, default=str)
            os.replace(tmp, self._path(key))
        except OSError as exc:
            log.warning("could not note a pending create in %s: %s", self.directory, exc)

    def discard(self, key: str) -> None:
        """Forget a create whose outcome is known (missing entry is fine)."""
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not clear a pending create in %s: %s", self.directory, exc)


__all__ = ["PendingCreates", "create_key", "default_journal_dir"]
