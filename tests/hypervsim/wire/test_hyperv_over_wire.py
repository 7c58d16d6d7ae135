"""Hyper-V cmdlets through pywinrm's `run_ps`: Restart-VM, Add/Remove-VMNetworkAdapter,
`$PSItem`, errors from PowerShell Direct, and many WinRM sessions changing the one world at
the same time without losing an update."""

from __future__ import annotations

import threading

from hypervsim.world.model import World
from tests.conftest import Emulator, EmulatorFactory
from tests.hypervsim.guest_images import PASSWORD, prepare_disk_ps

CRED = (
    f"$pw = ConvertTo-SecureString '{PASSWORD}' -AsPlainText -Force\n"
    "$cred = New-Object System.Management.Automation.PSCredential ('Administrator', $pw)\n"
)


def ps_ok(emu: Emulator, script: str) -> str:
    result = emu.session("ntlm").run_ps(script)
    assert result.status_code == 0, result.std_err.decode(errors="replace")
    return str(result.std_out.decode("cp437"))


def test_restart_vm_completes_a_guest_restart(emulator_factory: EmulatorFactory) -> None:
    emu = emulator_factory()
    ps_ok(
        emu,
        prepare_disk_ps("C:\\VMs\\L1.vhdx")
        + "\nNew-VM -Name L1 -Generation 2 -MemoryStartupBytes 8GB -VHDPath C:\\VMs\\L1.vhdx "
        "-SwitchName External | Out-Null\n"
        "Set-VMProcessor -VMName L1 -ExposeVirtualizationExtensions $true\nStart-VM -Name L1",
    )
    in_guest = CRED + "Invoke-Command -VMName L1 -Credential $cred -ScriptBlock {{ {} }}"
    pending = ps_ok(emu, in_guest.format("(Install-WindowsFeature -Name Hyper-V).RestartNeeded"))
    assert pending.strip() == "Yes"
    state = in_guest.format("(Get-WindowsFeature -Name Hyper-V).InstallState")
    assert ps_ok(emu, state).strip() == "InstallPending"

    assert ps_ok(emu, "Restart-VM -Name L1 -Force; (Get-VM -Name L1).State").strip() == "Running"
    assert ps_ok(emu, state).strip() == "Installed"


def test_restart_vm_of_an_off_vm_is_refused(emulator_factory: EmulatorFactory) -> None:
    emu = emulator_factory()
    ps_ok(emu, "New-VM -Name Off1 -NoVHD | Out-Null")
    result = emu.session("ntlm").run_ps("Restart-VM -Name Off1 -Force")
    assert result.status_code == 1
    assert b"'Off1' failed to change state." in result.std_err
    assert ps_ok(emu, "(Get-VM -Name Off1).State").strip() == "Off"


def test_add_and_remove_vm_network_adapter(emulator_factory: EmulatorFactory) -> None:
    emu = emulator_factory()
    ps_ok(
        emu,
        "New-VMSwitch -Name Lab -SwitchType Private | Out-Null\n"
        "New-VM -Name Multi -Generation 2 -NoVHD -SwitchName External | Out-Null\n"
        "Add-VMNetworkAdapter -VMName Multi -Name Second -SwitchName Lab",
    )
    listing = "Get-VMNetworkAdapter -VMName Multi | ForEach-Object { $PSItem.Name + '=' + $PSItem.SwitchName }"
    assert ps_ok(emu, listing).splitlines() == ["Network Adapter=External", "Second=Lab"]
    ps_ok(emu, "Remove-VMNetworkAdapter -VMName Multi -Name Second")
    assert ps_ok(emu, listing).splitlines() == ["Network Adapter=External"]
    saved = World.load(emu.state_path).root.vms_named(["Multi"])[0]
    assert [a.name for a in saved.adapters] == ["Network Adapter"]


def test_generation1_adapters_cannot_be_added_while_running(
    emulator_factory: EmulatorFactory,
) -> None:
    emu = emulator_factory()
    ps_ok(emu, "New-VM -Name Gen1 -NewVHDPath C:\\VMs\\g1.vhdx -SwitchName External | Out-Null")
    ps_ok(emu, "Start-VM -Name Gen1")
    result = emu.session("ntlm").run_ps("Add-VMNetworkAdapter -VMName Gen1 -SwitchName External")
    assert result.status_code == 1
    assert b"Failed to add device 'Synthetic Ethernet Port'." in result.std_err
    assert ps_ok(emu, "@(Get-VMNetworkAdapter -VMName Gen1).Count").strip() == "1"


def test_psitem_in_pipelines(emulator: Emulator) -> None:
    out = ps_ok(
        emulator,
        "$names = 'b','a','c' | Where-Object { $PSItem -ne 'c' } | ForEach-Object { $PSItem.ToUpper() }\n"
        "($names | Sort-Object) -join ','\n"
        "Get-VMSwitch | Where-Object { $PSItem.SwitchType -eq 'External' } | ForEach-Object { \"sw=$($PSItem.Name)\" }\n"
        "try { throw 'boom' } catch { \"caught: $($PSItem.Exception.Message)\" }",
    )
    assert out.splitlines() == ["A,B", "sw=External", "caught: boom"]


def test_errors_inside_powershell_direct_fail_the_command(
    emulator_factory: EmulatorFactory,
) -> None:
    """Invoke-Command -VMName re-writes the guest's errors: $? is False, the exit code 1."""
    emu = emulator_factory()
    ps_ok(
        emu,
        prepare_disk_ps("C:\\VMs\\g.vhdx")
        + "\nNew-VM -Name G -Generation 2 -VHDPath C:\\VMs\\g.vhdx | Out-Null; Start-VM G",
    )
    script = CRED + "Invoke-Command -VMName G -Credential $cred -ScriptBlock { Get-VM -Name nope }"
    result = emu.session("ntlm").run_ps(script)
    assert result.status_code == 1
    assert b"The term 'Get-VM' is not recognized" in result.std_err  # no Hyper-V in the guest
    quiet = emu.session("ntlm").run_ps(
        CRED + "Invoke-Command -VMName G -Credential $cred -ScriptBlock "
        "{ Write-Error 'hidden' -ErrorAction SilentlyContinue; 'ok' }"
    )
    assert (quiet.status_code, quiet.std_out) == (0, b"ok\r\n")


def test_concurrent_mutations_from_many_sessions_lose_nothing(
    emulator_factory: EmulatorFactory,
) -> None:
    emu = emulator_factory()
    workers, rounds = 8, 3
    errors: list[str] = []

    def worker(n: int) -> None:
        session = emu.session("ntlm")
        for i in range(rounds):
            steps = (
                f"New-VMSwitch -Name sw-{n}-{i} -SwitchType Private | Out-Null",
                f"New-VM -Name vm-{n}-{i} -NoVHD -SwitchName sw-{n}-{i} | Out-Null",
                f"Set-VM -Name vm-{n}-{i} -NewVMName vm-{n}-{i}-renamed",
                f"Set-VM -Name vm-{n}-{i}-renamed -Notes 'owner {n} round {i}'",
            )
            for script in steps:
                r = session.run_ps(script)
                if r.status_code != 0:
                    errors.append(f"{script}: {r.std_err.decode(errors='replace')}")
        # each worker removes its first round again
        for script in (
            f"Remove-VM -Name vm-{n}-0-renamed -Force",
            f"Remove-VMSwitch -Name sw-{n}-0 -Force",
        ):
            r = session.run_ps(script)
            if r.status_code != 0:
                errors.append(f"{script}: {r.std_err.decode(errors='replace')}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []

    kept = [(n, i) for n in range(workers) for i in range(1, rounds)]
    expected_vms = sorted(f"vm-{n}-{i}-renamed" for n, i in kept)
    expected_switches = sorted(["External"] + [f"sw-{n}-{i}" for n, i in kept])
    vms = ps_ok(emu, "(Get-VM | Sort-Object Name).Name").split()
    switches = ps_ok(emu, "(Get-VMSwitch | Sort-Object Name).Name").split()
    assert sorted(vms) == expected_vms
    assert sorted(switches) == expected_switches
    notes = ps_ok(emu, "Get-VM | ForEach-Object { $PSItem.Name + '|' + $PSItem.Notes }")
    for n, i in kept:
        assert f"vm-{n}-{i}-renamed|owner {n} round {i}" in notes.splitlines()
    # every VM kept its own switch
    saved = World.load(emu.state_path).root
    for vm in saved.vms:
        owner_round = vm.name.removeprefix("vm-").removesuffix("-renamed")
        switch = saved.switch_by_id(vm.adapters[0].switch_id)
        assert switch is not None and switch.name == f"sw-{owner_round}"
    assert sorted(vm.name for vm in saved.vms) == expected_vms
