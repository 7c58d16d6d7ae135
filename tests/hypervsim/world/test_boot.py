"""What a VM boots: only an OS image of its generation (or a copy / child of one); a generalized
image is specialized from its answer file at first boot, or stays at OOBE."""

from __future__ import annotations

import base64

import pytest

from hypervsim.world.errors import WorldError
from hypervsim.world.guest_os import check_credential, parse_unattend
from hypervsim.world.images import install_image, parse_image_spec
from hypervsim.world.model import VM, World

from .conftest import GiB, snapshot

IMAGE = "C:\\Images\\WS2022-Datacenter.vhdx"
NS = "urn:schemas-microsoft-com:unattend"


def unattend(
    name: str = "LAB-L1",
    password: str = "P@ssw0rd!",
    plain: bool = True,
    time_zone: str = "UTC",
) -> str:
    value = (
        password
        if plain
        else base64.b64encode((password + "AdministratorPassword").encode("utf-16-le")).decode()
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<unattend xmlns="{NS}">
  <settings pass="specialize">
    <component name="Microsoft-Windows-Shell-Setup" processorArchitecture="amd64"
        publicKeyToken="31bf3856ad364e35" language="neutral" versionScope="nonSxS">
      <ComputerName>{name}</ComputerName>
      <TimeZone>{time_zone}</TimeZone>
    </component>
  </settings>
  <settings pass="oobeSystem">
    <component name="Microsoft-Windows-Shell-Setup" processorArchitecture="amd64"
        publicKeyToken="31bf3856ad364e35" language="neutral" versionScope="nonSxS">
      <UserAccounts>
        <AdministratorPassword>
          <Value>{value}</Value>
          <PlainText>{"true" if plain else "false"}</PlainText>
        </AdministratorPassword>
      </UserAccounts>
    </component>
  </settings>
</unattend>
"""


def child_of_image(world: World, name: str, answer: str | None) -> str:
    """A differencing disk on the image with `answer` written into its volume (offline)."""
    host = world.root
    if host.fs_item("C:\\VMs") is None:
        host.fs_mkdir("C:\\VMs")
    path = f"C:\\VMs\\{name}.vhdx"
    host.new_vhd(path, parent_path=IMAGE)
    if answer is not None:
        disk = host.mount_vhd(path)
        assert disk.drive_letter is not None
        host.fs_write(f"{disk.drive_letter}:\\Windows\\Panther\\unattend.xml", answer)
        host.dismount_vhd(disk)
    return path


def boot(world: World, path: str, generation: int = 2, name: str = "vm") -> VM:
    vm = world.root.new_vm(name, generation=generation, vhd_path=path, memory_startup=2 * GiB)
    world.root.start_vm(vm)
    return vm


def test_image_child_with_answer_file_gets_name_password_time_zone(world: World) -> None:
    vm = boot(world, child_of_image(world, "a", unattend(time_zone="W. Europe Standard Time")))
    g = vm.guest
    assert g is not None and vm.guest_up
    assert (g.name, g.build, g.edition, g.time_zone) == (
        "LAB-L1",
        20348,
        "server",
        "W. Europe Standard Time",
    )
    assert check_credential(g.accounts, g.name, "Administrator", "P@ssw0rd!")
    assert check_credential(g.accounts, g.name, ".\\administrator", "P@ssw0rd!")
    assert check_credential(g.accounts, g.name, "lab-l1\\Administrator", "P@ssw0rd!")
    assert not check_credential(g.accounts, g.name, "Administrator", "wrong")
    assert not check_credential(g.accounts, g.name, "OTHER\\Administrator", "P@ssw0rd!")
    assert not check_credential(g.accounts, g.name, "Guest", "P@ssw0rd!")


def test_base64_password_as_windows_sim_writes_it(world: World) -> None:
    vm = boot(world, child_of_image(world, "b", unattend(password="Enc0ded!", plain=False)))
    g = vm.guest
    assert g is not None and check_credential(g.accounts, g.name, "Administrator", "Enc0ded!")
    assert not check_credential(g.accounts, g.name, "Administrator", "Enc0ded!Administrator")


def test_star_name_is_random(world: World) -> None:
    vm = boot(world, child_of_image(world, "c", unattend(name="*")))
    assert vm.guest is not None and vm.guest.name.startswith("WIN-")


def test_generalized_image_without_answer_file_stays_at_oobe(world: World) -> None:
    vm = boot(world, child_of_image(world, "d", None))
    g = vm.guest
    assert g is not None and vm.guest_up and g.accounts == []
    assert not check_credential(g.accounts, g.name, "Administrator", "")


def test_answer_file_is_consumed_at_first_boot(world: World) -> None:
    path = child_of_image(world, "e", unattend(password="First1!"))
    vm = boot(world, path)
    world.root.stop_vm(vm)
    disk = world.root.mount_vhd(path)
    world.root.fs_write(
        f"{disk.drive_letter}:\\Windows\\Panther\\unattend.xml", unattend(password="Second2!")
    )
    world.root.dismount_vhd(disk)
    world.root.start_vm(vm)
    g = vm.guest
    assert g is not None and check_credential(g.accounts, g.name, "Administrator", "First1!")
    assert not check_credential(g.accounts, g.name, "Administrator", "Second2!")
    # a new VM on the same (now specialized) disk boots that installation
    world.root.stop_vm(vm)
    world.root.remove_vm(vm)
    again = boot(world, path, name="again")
    assert again.guest is not None and again.guest.name == "LAB-L1"


def test_generation_mismatch_boots_nothing(world: World) -> None:
    vm = boot(world, child_of_image(world, "f", unattend()), generation=1)
    assert vm.state == "Running" and vm.guest is None and not vm.guest_up


def test_gen1_image_boots_a_gen1_vm(world: World) -> None:
    install_image(
        world.root,
        parse_image_spec("C:\\Images\\WS2012R2.vhdx=family=windows-server,build=9600,generation=1"),
    )
    world.root.fs_mkdir("C:\\VMs")
    world.root.new_vhd("C:\\VMs\\old.vhdx", parent_path="C:\\Images\\WS2012R2.vhdx")
    vm = boot(world, "C:\\VMs\\old.vhdx", generation=1)
    assert vm.guest is not None and vm.guest.build == 9600


def test_prepared_image_has_its_known_login(world: World) -> None:
    install_image(
        world.root,
        parse_image_spec(
            "C:\\Images\\Prep.vhdx=family=windows-client,build=19045,generalized=false,"
            "admin_password=Known1!"
        ),
    )
    world.root.fs_mkdir("C:\\VMs")
    world.root.new_vhd("C:\\VMs\\p.vhdx", parent_path="C:\\Images\\Prep.vhdx")
    vm = boot(world, "C:\\VMs\\p.vhdx")
    g = vm.guest
    assert g is not None and g.edition == "client" and g.build == 19045
    assert check_credential(g.accounts, g.name, "Administrator", "Known1!")


def test_full_copy_of_an_image_boots(world: World) -> None:
    world.root.fs_mkdir("C:\\VMs")
    world.root.fs_copy(IMAGE, "C:\\VMs\\full.vhdx")
    disk = world.root.mount_vhd("C:\\VMs\\full.vhdx")
    world.root.fs_write(f"{disk.drive_letter}:\\Windows\\Panther\\unattend.xml", unattend())
    world.root.dismount_vhd(disk)
    vm = boot(world, "C:\\VMs\\full.vhdx")
    assert vm.guest is not None and vm.guest.name == "LAB-L1"
    image = world.root.vhd(IMAGE)
    assert image is not None and image.installed is None  # the image itself is untouched


def test_first_boot_writes_the_child_not_the_image(world: World) -> None:
    before = world.root.fs_hash(IMAGE)
    path = child_of_image(world, "g", unattend())
    size = world.root.fs_item(path).length  # type: ignore[union-attr]
    boot(world, path)
    assert world.root.fs_hash(IMAGE) == before
    assert world.root.fs_item(path).length > size  # type: ignore[union-attr]


def test_mounted_disk_cannot_start_with_a_vm(world: World) -> None:
    path = child_of_image(world, "h", unattend())
    vm = world.root.new_vm("h", generation=2, vhd_path=path, memory_startup=2 * GiB)
    world.root.mount_vhd(path)
    before = snapshot(world)
    with pytest.raises(WorldError) as info:
        world.root.start_vm(vm)
    assert info.value.message.startswith("'h' failed to start.")
    assert "being used by another process" in info.value.message
    assert snapshot(world) == before


def test_malformed_answer_file_leaves_no_account(world: World) -> None:
    assert parse_unattend("<unattend") is None
    vm = boot(world, child_of_image(world, "i", "<not-xml"))
    assert vm.guest is not None and vm.guest.accounts == []
