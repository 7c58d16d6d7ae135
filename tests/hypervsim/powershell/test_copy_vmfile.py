"""Integration services and Copy-VMFile into a running guest."""

from __future__ import annotations

from collections.abc import Callable

from hypervsim.powershell.session import RunResult
from hypervsim.world.model import World

from ..world.test_boot import child_of_image, unattend
from .conftest import errors, lines
from .test_files import IMAGE, state

Run = Callable[[str], RunResult]
PREFIX = "Failed to initiate copying files to the guest.\n'l1' failed to initiate copying files to the guest: "


def _l1(ps: Run, world: World, answer: str | None = None, start: bool = True) -> None:
    path = child_of_image(world, "l1", answer if answer is not None else unattend())
    r = ps(f"New-VM -Name l1 -Generation 2 -MemoryStartupBytes 4GB -VHDPath '{path}' | Out-Null")
    if start:
        r = ps("Start-VM -Name l1")
    assert not errors(r)


def _guest_file(world: World, path: str) -> object:
    guest = world.root.vms[0].guest
    assert guest is not None
    return guest.fs_item(path)


def test_integration_services_as_windows_lists_them(ps: Run, world: World) -> None:
    _l1(ps, world)
    r = ps(
        'Get-VMIntegrationService -VMName l1 | ForEach-Object { "$($_.Name)=$($_.Enabled) $($_.PrimaryStatusDescription)" }'
    )
    assert lines(r) == [
        "Guest Service Interface=False ",
        "Heartbeat=True OK",
        "Key-Value Pair Exchange=True OK",
        "Shutdown=True OK",
        "Time Synchronization=True OK",
        "VSS=True OK",
    ]
    r = ps(
        "Enable-VMIntegrationService -VMName l1 -Name 'Guest Service Interface'\n"
        "(Get-VMIntegrationService -VMName l1 -Name 'Guest Service Interface').Enabled\n"
        "Disable-VMIntegrationService -VMName l1 -Name 'Guest Service Interface'\n"
        "(Get-VMIntegrationService -VMName l1 -Name 'Guest Service Interface').Enabled"
    )
    assert lines(r) == ["True", "False"]
    before = state(world)
    r = ps("Enable-VMIntegrationService -VMName l1 -Name 'Bogus Service'")
    assert errors(r) == ["No integration component with the given name could be found."]
    assert state(world) == before


def test_integration_service_by_vm_object_and_from_the_pipeline(ps: Run, world: World) -> None:
    """With -VM, -Name is the service (Windows' VMObject parameter set), and service objects
    piped from Get-VMIntegrationService name both the VM and the service."""
    _l1(ps, world)
    r = ps(
        "$vm = Get-VM -Name l1\n"
        "Enable-VMIntegrationService -VM $vm -Name 'Guest Service Interface'\n"
        "(Get-VMIntegrationService -VM $vm -Name 'Guest Service Interface').Enabled\n"
        "Get-VMIntegrationService -VMName l1 -Name 'Guest Service Interface' | Disable-VMIntegrationService\n"
        "(Get-VMIntegrationService -VMName l1 | Where-Object Name -eq 'Guest Service Interface').Enabled\n"
        "@(Get-VMIntegrationService -VM $vm).Count"
    )
    assert not errors(r)
    assert lines(r) == ["True", "False", "6"]


def test_copy_needs_the_guest_service_interface(ps: Run, world: World) -> None:
    _l1(ps, world)
    before = state(world)
    r = ps(
        f"Copy-VMFile -Name l1 -SourcePath '{IMAGE}' -DestinationPath C:\\Images\\x.vhdx -FileSource Host -CreateFullPath"
    )
    assert len(errors(r)) == 1 and errors(r)[0].startswith(PREFIX)
    assert "'Guest Service Interface' integration service is not enabled" in errors(r)[0]
    assert state(world) == before


def test_copy_an_image_into_the_guest(ps: Run, world: World) -> None:
    _l1(ps, world)
    r = ps(
        "Enable-VMIntegrationService -VMName l1 -Name 'Guest Service Interface'\n"
        f"Copy-VMFile -Name l1 -SourcePath '{IMAGE}' -DestinationPath C:\\Images\\WS2022.vhdx -FileSource Host -CreateFullPath\n"
        + "$c = New-Object System.Management.Automation.PSCredential('Administrator', (ConvertTo-SecureString 'P@ssw0rd!' -AsPlainText -Force))\n"
        + "Invoke-Command -VMName l1 -Credential $c { (Get-FileHash -LiteralPath C:\\Images\\WS2022.vhdx).Hash }\n"
        + f"(Get-FileHash -LiteralPath '{IMAGE}').Hash"
    )
    assert not errors(r)
    inner, outer = lines(r)
    assert inner == outer
    guest = world.root.vms[0].guest
    assert guest is not None and guest.vhd("C:\\Images\\WS2022.vhdx") is not None


def test_copy_refusals(ps: Run, world: World) -> None:
    _l1(ps, world)
    ps(
        "Enable-VMIntegrationService -VMName l1 -Name 'Guest Service Interface'\n"
        "Set-Content C:\\a.txt hello\n"
        "Copy-VMFile -Name l1 -SourcePath C:\\a.txt -DestinationPath C:\\a.txt -FileSource Host"
    )
    before = state(world)
    r = ps("Copy-VMFile -Name l1 -SourcePath C:\\a.txt -DestinationPath C:\\a.txt -FileSource Host")
    assert errors(r) == [
        PREFIX + "The file exists. (0x80070050). " + f"(Virtual machine ID {world.root.vms[0].id})"
    ]
    r = ps(
        "Copy-VMFile -Name l1 -SourcePath C:\\a.txt -DestinationPath C:\\New\\a.txt -FileSource Host"
    )
    assert errors(r) and "The system cannot find the path specified. (0x80070003)." in errors(r)[0]
    assert state(world) == before
    r = ps(
        "Set-Content C:\\a.txt changed\n"
        "Copy-VMFile -Name l1 -SourcePath C:\\a.txt -DestinationPath C:\\a.txt -FileSource Host -Force"
    )
    assert not errors(r)
    guest = world.root.vms[0].guest
    assert guest is not None and guest.fs_read("C:\\a.txt") == "changed\r\n"


def test_copy_into_a_vm_that_is_off(ps: Run, world: World) -> None:
    _l1(ps, world, start=False)
    ps("Enable-VMIntegrationService -VMName l1 -Name 'Guest Service Interface'")
    before = state(world)
    r = ps(
        f"Copy-VMFile -Name l1 -SourcePath '{IMAGE}' -DestinationPath C:\\x.vhdx -FileSource Host"
    )
    assert errors(r) and errors(r)[0].startswith(PREFIX)
    assert "current state" in errors(r)[0]
    assert state(world) == before


CRED = (
    "$c = New-Object System.Management.Automation.PSCredential('Administrator', "
    "(ConvertTo-SecureString 'P@ssw0rd!' -AsPlainText -Force))\n"
)


def test_copy_item_to_and_from_a_powershell_direct_session(ps: Run, world: World) -> None:
    _l1(ps, world)
    r = ps(
        CRED + "$s = New-PSSession -VMName l1 -Credential $c\n"
        "Invoke-Command -Session $s { New-Item -ItemType Directory C:\\Images | Out-Null }\n"
        f"Copy-Item -LiteralPath '{IMAGE}' -Destination C:\\Images\\base.vhdx -ToSession $s\n"
        "Invoke-Command -Session $s { (Get-FileHash C:\\Images\\base.vhdx).Hash; Set-Content C:\\out.txt back }\n"
        f"(Get-FileHash '{IMAGE}').Hash\n"
        "Copy-Item -Path C:\\out.txt -Destination C:\\back.txt -FromSession $s\n"
        "Get-Content C:\\back.txt\n"
        "Remove-PSSession $s"
    )
    assert not errors(r)
    inner, outer, back = lines(r)
    assert inner == outer and back == "back"


def test_session_with_a_wrong_password_is_refused(ps: Run, world: World) -> None:
    _l1(ps, world)
    before = state(world)
    r = ps(
        "$c = New-Object System.Management.Automation.PSCredential('Administrator', "
        "(ConvertTo-SecureString 'nope' -AsPlainText -Force))\n"
        "$s = New-PSSession -VMName l1 -Credential $c\n"
        "$null -eq $s"
    )
    assert errors(r) == ["The credential is invalid."] and lines(r) == ["True"]
    assert state(world) == before


def test_copy_into_a_vm_on_an_empty_disk(ps: Run, world: World) -> None:
    r = ps(
        "New-VM -Name bare -Generation 2 -NewVHDPath C:\\VMs\\bare.vhdx | Out-Null\n"
        "Enable-VMIntegrationService -VMName bare -Name 'Guest Service Interface'\n"
        "Start-VM -Name bare"
    )
    assert not errors(r)
    before = state(world)
    r = ps(
        f"Copy-VMFile -Name bare -SourcePath '{IMAGE}' -DestinationPath C:\\x.vhdx -FileSource Host"
    )
    assert errors(r) and errors(r)[0].startswith(
        "Failed to initiate copying files to the guest.\n'bare' failed to initiate copying files"
    )
    r = ps(CRED + "$s = New-PSSession -VMName bare -Credential $c")
    assert errors(r) == [
        "An error has occurred which Windows PowerShell cannot handle. A remote session might "
        "have ended."
    ]
    assert state(world) == before
