"""Build a Go program kept under tests/ once per source version, cached in ~/.cache/hyperv-lab.

The binary's directory is named by a hash of its go.mod, go.sum and .go files, so a warm run
is a file check; dependencies come from the Go module proxy at the versions go.sum pins.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

CACHE_ROOT = Path.home() / ".cache" / "hyperv-lab"


def source_digest(source: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(source.iterdir()):
        if path.suffix == ".go" or path.name in ("go.mod", "go.sum"):
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def build_go_program(source: Path, name: str) -> Path:
    """The built binary for `source` (a directory with go.mod), building it if needed."""
    target_dir = CACHE_ROOT / f"{name}-{source_digest(source)}"
    binary = target_dir / name
    if binary.exists():
        return binary
    go = shutil.which("go") or "/usr/local/go/bin/go"
    target_dir.mkdir(parents=True, exist_ok=True)
    partial = target_dir / f".{name}.partial"
    env = dict(os.environ, GOFLAGS="-mod=readonly -buildvcs=false", CGO_ENABLED="0")
    subprocess.run(
        [go, "build", "-o", str(partial), "."],
        cwd=source,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    partial.replace(binary)  # atomic: a concurrent run never sees half a binary
    return binary
