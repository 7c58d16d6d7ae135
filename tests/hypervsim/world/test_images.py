"""OS images on the host: the profiles' own and `serve --image` descriptions."""

from __future__ import annotations

import pytest

from hypervsim.world.images import install_image, parse_image_spec
from hypervsim.world.model import World


def test_default_profile_carries_generalized_ws2022_datacenter(world: World) -> None:
    disk = world.root.vhd("C:\\Images\\WS2022-Datacenter.vhdx")
    assert disk is not None
    assert (disk.os_build, disk.os_edition, disk.generation, disk.generalized) == (
        20348,
        "server",
        2,
        True,
    )
    assert world.root.fs_item("C:\\Images").is_dir  # type: ignore[union-attr]


def test_win11_profile_carries_a_client_image() -> None:
    world = World.create("win11-amd")
    disk = world.root.vhd("C:\\Images\\Win11-Enterprise.vhdx")
    assert disk is not None and (disk.os_build, disk.os_edition, disk.generation) == (
        22621,
        "client",
        2,
    )


def test_image_spec_adds_an_image(world: World) -> None:
    spec = parse_image_spec(
        "C:\\Images\\WS2012R2.vhdx=family=windows-server,build=9600,edition=server,"
        "generation=1,generalized=true"
    )
    install_image(world.root, spec)
    disk = world.root.vhd("c:\\images\\ws2012r2.vhdx")
    assert disk is not None and disk.generation == 1 and disk.os_build == 9600


def test_prepared_image_keeps_only_a_password_hash() -> None:
    spec = parse_image_spec(
        "D:\\Img\\prep.vhdx=family=windows-client,build=19045,generalized=false,"
        "admin_password=S3cret!"
    )
    assert spec.edition == "client" and not spec.generalized
    assert spec.admin_password_hash and "S3cret!" not in repr(spec)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("C:\\x.vhdx", "expected PATH=family"),
        ("x.vhdx=family=windows-server,build=1", "absolute Windows path"),
        ("C:\\x.iso=family=windows-server,build=1", ".vhdx or .vhd"),
        ("C:\\x.vhdx=family=windows-server,build=abc", "build must be"),
        ("C:\\x.vhdx=family=windows-server,build=1,generation=3", "generation must be 1 or 2"),
        ("C:\\x.vhdx=family=windows-server,build=1,edition=client", "edition of a windows-server"),
        ("C:\\x.vhdx=family=windows-server,build=1,colour=red", "unknown key 'colour'"),
        ("C:\\x.vhdx=family=windows-server,build=1,generalized=false", "needs admin_password"),
        ("C:\\x.vhdx=family=windows-server,build=1,admin_password=x", "only for a prepared"),
    ],
)
def test_bad_image_specs_are_refused(text: str, reason: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_image_spec(text)
    assert reason in str(info.value)
