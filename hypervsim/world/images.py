"""OS image files a host carries: the profile's own, and more from `serve --image PATH=DESC`.

DESC is comma-separated key=value: family (windows-server | windows-client), build, edition
(server | client, default from the family), generation (1 | 2, default 2), generalized (true |
false, default true) and, for a prepared (not generalized) image, admin_password: the
Administrator password it was prepared with (kept only as a hash).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hypervsim.world.guest_os import hash_password

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.world.model import Computer

FAMILIES = {"windows-server": "server", "windows-client": "client"}
GiB = 1024**3


@dataclass(frozen=True)
class ImageSpec:
    """One OS image file: where it is and what Windows it holds."""

    path: str
    family: str
    build: int
    edition: str
    generation: int = 2
    generalized: bool = True
    admin_password_hash: str | None = None


def _bool(key: str, text: str) -> bool:
    low = text.strip().lower()
    if low in ("true", "yes", "1"):
        return True
    if low in ("false", "no", "0"):
        return False
    raise ValueError(f"{key} must be true or false, not {text!r}")


def parse_image_spec(text: str) -> ImageSpec:
    """`C:\\Images\\x.vhdx=family=windows-server,build=9600,...` -> ImageSpec (ValueError with
    a one-line reason otherwise)."""
    path, sep, desc = text.partition("=")
    path = path.strip()
    if not sep or not path:
        raise ValueError("expected PATH=family=...,build=...")
    if len(path) < 4 or path[1] != ":" or path[2] not in "\\/" or not path[0].isalpha():
        raise ValueError(
            f"PATH must be an absolute Windows path like C:\\Images\\x.vhdx, not {path!r}"
        )
    if not path.lower().endswith((".vhd", ".vhdx")):
        raise ValueError(f"PATH must name a .vhdx or .vhd file, not {path!r}")
    fields: dict[str, str] = {}
    for part in desc.split(","):
        key, eq, value = part.partition("=")
        key = key.strip().lower()
        if not eq or not key:
            raise ValueError(f"expected key=value in the description, got {part.strip()!r}")
        if key not in (
            "family",
            "build",
            "edition",
            "generation",
            "generalized",
            "admin_password",
        ):
            raise ValueError(
                f"unknown key {key!r} (known: family, build, edition, generation, generalized, admin_password)"
            )
        fields[key] = value.strip()
    family = fields.get("family", "").lower()
    if family not in FAMILIES:
        raise ValueError(f"family must be windows-server or windows-client, not {family!r}")
    try:
        build = int(fields.get("build", ""))
    except ValueError:
        raise ValueError(
            f"build must be a Windows build number, not {fields.get('build', '')!r}"
        ) from None
    edition = fields.get("edition", FAMILIES[family]).lower()
    if edition != FAMILIES[family]:
        raise ValueError(f"edition of a {family} image is {FAMILIES[family]}, not {edition!r}")
    generation = fields.get("generation", "2")
    if generation not in ("1", "2"):
        raise ValueError(f"generation must be 1 or 2, not {generation!r}")
    generalized = _bool("generalized", fields.get("generalized", "true"))
    password = fields.get("admin_password")
    if generalized and password is not None:
        raise ValueError("admin_password is only for a prepared image (generalized=false)")
    if not generalized and not password:
        raise ValueError("a prepared image (generalized=false) needs admin_password")
    return ImageSpec(
        path=path.replace("/", "\\"),
        family=family,
        build=build,
        edition=edition,
        generation=int(generation),
        generalized=generalized,
        admin_password_hash=hash_password(password) if password else None,
    )


def install_image(computer: Computer, spec: ImageSpec) -> None:
    """Put the image file on `computer` (nothing if a file is already there)."""
    if computer.fs_item(spec.path) is not None:
        return
    computer.add_image(
        spec.path,
        build=spec.build,
        edition=spec.edition,
        family=spec.family,
        generation=spec.generation,
        generalized=spec.generalized,
        admin_hash=spec.admin_password_hash,
        file_size=(9 if spec.edition == "server" else 14) * GiB + 512 * 1024**2,
    )
