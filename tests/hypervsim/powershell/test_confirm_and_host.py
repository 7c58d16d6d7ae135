"""-Confirm and ConfirmImpact on a non-interactive host, -WhatIf/-Confirm only where Windows
has them, and the $Host calls scripts make (ConsoleHost; ServerRemoteHost inside a VM)."""

from __future__ import annotations

from collections.abc import Callable

from hypervsim.powershell.session import RunResult
from hypervsim.world.model import World
from tests.hypervsim.powershell.conftest import errors, lines
from tests.hypervsim.world.test_boot import child_of_image, unattend

Run = Callable[[str], RunResult]
NON_INTERACTIVE = (
    "Windows PowerShell is in NonInteractive mode. Read and Prompt functionality is not available."
)


def fqids(result: RunResult) -> list[str]:
    return [r.error.fqid for r in result.records if r.kind == "error" and r.error is not None]


def test_confirm_fails_on_the_non_interactive_host_and_changes_nothing(
    ps: Run, world: World
) -> None:
    result = ps("New-VMSwitch -Name s1 -SwitchType Internal -Confirm; 'next'")
    assert lines(result) == ["next"]
    assert errors(result) == [NON_INTERACTIVE]
    assert fqids(result) == ["InvalidOperation,Microsoft.HyperV.PowerShell.Commands.NewVMSwitch"]
    assert [s.name for s in world.root.switches if s.name == "s1"] == []
    result = ps("New-VMSwitch -Name s1 -SwitchType Internal -Confirm:$false | ForEach-Object Name")
    assert lines(result) == ["s1"]
    result = ps("New-Item -ItemType Directory C:\\Nope -Confirm")
    assert fqids(result) == ["InvalidOperation,Microsoft.PowerShell.Commands.NewItemCommand"]
    assert world.root.fs_item("C:\\Nope") is None


def test_confirm_impact_high_asks_unless_confirm_is_false(ps: Run) -> None:
    ps("New-NetNat -Name n1 -InternalIPInterfaceAddressPrefix 192.168.50.0/24 | Out-Null")
    result = ps("Remove-NetNat -Name n1; @(Get-NetNat -Name n1).Count")
    assert errors(result) == [NON_INTERACTIVE]
    assert lines(result) == ["1"]
    result = ps("Remove-NetNat -Name n1 -Confirm:$false; @(Get-NetNat).Count")
    assert not errors(result)
    assert lines(result)[-1] == "0"
    ps("New-NetNat -Name n2 -InternalIPInterfaceAddressPrefix 192.168.51.0/24 | Out-Null")
    result = ps("$ConfirmPreference = 'None'; Remove-NetNat -Name n2; @(Get-NetNat).Count")
    assert not errors(result)
    assert lines(result) == ["0"]


def test_remove_vm_asks_unless_force(ps: Run, world: World) -> None:
    # Microsoft's Remove-VM help: without -Force it asks 'Are you sure you want to remove
    # virtual machine "x"?'; over WinRS the host cannot ask, so the VM stays.
    assert not errors(ps("New-VM -Name a | Out-Null; New-VM -Name b | Out-Null"))
    result = ps("Remove-VM -Name a; 'next'")
    assert lines(result) == ["next"]
    assert errors(result) == [NON_INTERACTIVE]
    assert fqids(result) == ["InvalidOperation,Microsoft.HyperV.PowerShell.Commands.RemoveVM"]
    assert sorted(vm.name for vm in world.root.vms) == ["a", "b"]
    assert fqids(ps("Get-VM -Name a | Remove-VM -Force:$false")) == fqids(result)
    assert not errors(ps("Remove-VM -Name a -Force"))
    assert not errors(ps("Remove-VM -Name b -Confirm:$false"))
    assert world.root.vms == []


def test_what_if_and_confirm_are_unknown_where_windows_lacks_them(ps: Run) -> None:
    for script, cls in (
        ("Get-VM -WhatIf", "Microsoft.HyperV.PowerShell.Commands.GetVM"),
        ("Start-Sleep -Seconds 0 -Confirm", "Microsoft.PowerShell.Commands.StartSleepCommand"),
        ("Get-Item C:\\ -WhatIf", "Microsoft.PowerShell.Commands.GetItemCommand"),
    ):
        result = ps(script)
        name = script.split(" -")[-1].split()[0]
        assert errors(result) == [
            f"A parameter cannot be found that matches parameter name '{name}'."
        ]
        assert fqids(result) == [f"NamedParameterNotFound,{cls}"]
    script = "function f { [CmdletBinding(SupportsShouldProcess)] param() 'ran' }; f -WhatIf"
    assert lines(ps(script)) == ["ran"]
    result = ps("function g { [CmdletBinding()] param() 'ran' }; g -WhatIf")
    assert errors(result) == ["A parameter cannot be found that matches parameter name 'WhatIf'."]


def test_host_ui_calls_print_like_the_console(ps: Run) -> None:
    script = (
        "$Host.Name; $Host.UI.WriteLine('hello'); $Host.UI.Write('a'); $Host.UI.WriteLine('b');"
        " $VerbosePreference = 'SilentlyContinue'; $Host.UI.WriteVerboseLine('v');"
        " $Host.UI.WriteWarningLine('w'); $Host.UI.WriteErrorLine('e');"
        " $Host.UI.RawUI.WindowTitle = 'T'; $Host.UI.RawUI.WindowTitle; (Get-Host).Name;"
        " $Host.Version.ToString()"
    )
    result = ps(script)
    assert lines(result) == [
        "ConsoleHost",
        "hello",
        "ab",
        "VERBOSE: v",
        "WARNING: w",
        "T",
        "ConsoleHost",
        "5.1.20348.2849",
    ]
    stderr = [r.text for r in result.records if r.kind == "error"]
    assert stderr == ["e\r\n"]
    assert errors(result) == []  # an error line, not an error record ($? stays True)


def test_a_block_in_a_vm_sees_the_remote_host(ps: Run, world: World) -> None:
    path = child_of_image(world, "g1", unattend(name="GUEST1", password="Right1!"))
    start = ps(
        f"$vm = New-VM -Name g1 -Generation 2 -MemoryStartupBytes 2GB -VHDPath '{path}'\n"
        "Start-VM -VM $vm"
    )
    assert not errors(start)
    result = ps(
        "$c = New-Object System.Management.Automation.PSCredential('Administrator',"
        " (ConvertTo-SecureString 'Right1!' -AsPlainText -Force))\n"
        "Invoke-Command -VMName g1 -Credential $c { $Host.Name }\n"
        "Invoke-Command -VMName g1 -Credential $c { $Host.UI.WriteLine('from guest') }\n"
        "$Host.Name"
    )
    assert not errors(result)
    assert lines(result) == ["ServerRemoteHost", "from guest", "ConsoleHost"]
