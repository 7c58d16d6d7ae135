"""Every documented Hyper-V / NetNat / TCP-IP rule, as a WinRM client meets it: pywinrm's
`run_ps` against a served emulator (with the host profile the rule needs) gets Windows' own
error text in the CLIXML stderr it decodes, exit code 1, and a following Get-* (and the
persisted world) shows that nothing changed. Then the German seed procedure, verbatim, runs
once over WinRM."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from tests.conftest import Emulator, EmulatorFactory
from tests.hypervsim.guest_images import PASSWORD, prepare_disk_ps
from tests.hypervsim.world import test_seed_procedure as seed

CRED = (
    f"$pw = ConvertTo-SecureString '{PASSWORD}' -AsPlainText -Force\n"
    "$cred = New-Object System.Management.Automation.PSCredential ('Administrator', $pw)\n"
)
NEW_L1 = (
    "New-VM -Name L1 -Generation 2 -MemoryStartupBytes 8GB -NewVHDPath C:\\VMs\\L1.vhdx "
    "-NewVHDSizeBytes 80GB -SwitchName External | Out-Null\n"
)
# An L1 that boots Windows (the host's image, with an answer file).
NEW_L1_OS = (
    prepare_disk_ps("C:\\VMs\\L1os.vhdx")
    + "\nNew-VM -Name L1 -Generation 2 -MemoryStartupBytes 8GB -VHDPath C:\\VMs\\L1os.vhdx "
    "-SwitchName External | Out-Null\n"
)
EXPOSE = "Set-VMProcessor -VMName L1 -ExposeVirtualizationExtensions $true"
GET_EXPOSE = "(Get-VMProcessor -VMName L1).ExposeVirtualizationExtensions"
INVALID_STATE = (
    "The operation cannot be performed while the virtual machine is in its current state."
)
IN_L1 = CRED + "Invoke-Command -VMName L1 -Credential $cred -ScriptBlock {{ {} }}"


@dataclass(frozen=True)
class Rule:
    profile: str
    setup: str  # must succeed
    refused: str  # must fail with `text`
    text: str
    query: str  # Get-* whose output must be the same before and after


RULES: dict[str, Rule] = {
    "processor-flag-only-while-off": Rule(
        "server2022-intel",
        NEW_L1 + "Start-VM -Name L1",
        EXPOSE,
        "Failed to modify device 'Processor'.",
        GET_EXPOSE + "; (Get-VM -Name L1).State",
    ),
    "processor-flag-running-text": Rule(
        "server2022-intel", NEW_L1 + "Start-VM -Name L1", EXPOSE, INVALID_STATE, GET_EXPOSE
    ),
    "vbs-needs-opt-out": Rule(
        "server2022-intel-vbs",
        NEW_L1,
        EXPOSE,
        "Cannot modify property without enabling VirtualizationBasedSecurityOptOut",
        GET_EXPOSE + "; (Get-VMSecurity -VMName L1).VirtualizationBasedSecurityOptOut",
    ),
    "amd-on-server2016-cannot-nest": Rule(
        "server2016-amd",
        NEW_L1,
        EXPOSE,
        "Nested virtualization on AMD processors requires Windows Server 2022 / Windows 11",
        GET_EXPOSE + "; (Get-VM -Name L1).Version",
    ),
    "old-config-version-cannot-nest": Rule(
        "server2022-intel",
        "New-VM -Name L1 -Version 7.0 -NoVHD | Out-Null",
        EXPOSE,
        "configuration version 8.0 or later",
        GET_EXPOSE + "; (Get-VM -Name L1).Version",
    ),
    "hyperv-in-l1-needs-extensions": Rule(
        "server2022-intel",
        NEW_L1_OS + "Start-VM -Name L1",
        IN_L1.format("Install-WindowsFeature -Name Hyper-V -IncludeManagementTools"),
        "Hyper-V cannot be installed: The processor does not have required virtualization "
        "capabilities.",
        IN_L1.format("(Get-WindowsFeature -Name Hyper-V).InstallState"),
    ),
    "l1-memory-while-hyperv-runs-inside": Rule(
        "server2022-intel",
        NEW_L1_OS
        + EXPOSE
        + "\nStart-VM -Name L1\n"
        + IN_L1.format("Install-WindowsFeature -Name Hyper-V -IncludeManagementTools -Restart")
        + " | Out-Null",
        "Set-VMMemory -VMName L1 -StartupBytes 16GB",
        "Failed to modify device 'Memory'.",
        "(Get-VMMemory -VMName L1).Startup; (Get-VM -Name L1).State",
    ),
    "vcpu-limit": Rule(
        "server2022-intel",
        NEW_L1,
        "Set-VMProcessor -VMName L1 -Count 257",
        "The range is 1 through 256.",  # the host's logical processors (Windows: 1,024)
        "(Get-VMProcessor -VMName L1).Count",
    ),
    "one-netnat-per-host": Rule(
        "server2022-intel",
        "New-VMSwitch -Name VmNAT -SwitchType Internal | Out-Null\n"
        "New-NetNat -Name LocalNAT -InternalIPInterfaceAddressPrefix 192.168.100.0/24 | Out-Null",
        "New-NetNat -Name Second -InternalIPInterfaceAddressPrefix 192.168.200.0/24",
        "The parameter is incorrect.",
        "Get-NetNat | ForEach-Object { $_.Name + ' ' + $_.InternalIPInterfaceAddressPrefix }",
    ),
    "netnat-prefix-overlapping-is-incorrect": Rule(
        "server2022-intel",
        "",
        "New-NetNat -Name Bad -InternalIPInterfaceAddressPrefix 10.0.0.0/16",
        "The parameter is incorrect.",
        "@(Get-NetNat).Count",
    ),
    "duplicate-ip-address": Rule(
        "server2022-intel",
        "New-VMSwitch -Name VmNAT -SwitchType Internal | Out-Null\n"
        "New-NetIPAddress -InterfaceAlias 'vEthernet (VmNAT)' -IPAddress 192.168.100.1 "
        "-PrefixLength 24 | Out-Null",
        "New-NetIPAddress -InterfaceAlias 'vEthernet (VmNAT)' -IPAddress 192.168.100.1 "
        "-PrefixLength 24",
        "Instance MSFT_NetIPAddress already exists",
        "Get-NetIPAddress -InterfaceAlias 'vEthernet (VmNAT)' | "
        "ForEach-Object { $_.IPAddress + '/' + $_.PrefixLength }",
    ),
    "switch-in-use-by-running-vm": Rule(
        "server2022-intel",
        NEW_L1 + "Start-VM -Name L1",
        "Remove-VMSwitch -Name External -Force",
        "cannot be deleted because it is being used by running virtual machines",
        "(Get-VMSwitch).Name; (Get-VMNetworkAdapter -VMName L1).SwitchName",
    ),
    "switch-names-unique-per-host": Rule(
        "server2022-intel",
        "",
        "New-VMSwitch -Name external -SwitchType Internal",
        "a virtual switch with this name already exists",
        "Get-VMSwitch | ForEach-Object { $_.Name + ' ' + $_.SwitchType }",
    ),
}


def persisted(emu: Emulator) -> str:
    """The persisted estate without the execution log (which grows with every command)."""
    data = json.loads(emu.state_path.read_text(encoding="utf-8"))
    for key in ("executed", "executed_total"):
        data.pop(key, None)
    return json.dumps(data, sort_keys=True)


@pytest.mark.parametrize("name", sorted(RULES))
def test_rule_over_winrm(emulator_factory: EmulatorFactory, name: str) -> None:
    rule = RULES[name]
    emu = emulator_factory(host_profile=rule.profile)
    session = emu.session("ntlm")
    if rule.setup:
        done = session.run_ps(rule.setup)
        assert done.status_code == 0, done.std_err.decode(errors="replace")
    before = session.run_ps(rule.query)
    assert before.status_code == 0 and before.std_out.strip(), before.std_err
    world_before = persisted(emu)

    result = session.run_ps(rule.refused)

    assert result.status_code == 1
    stderr = result.std_err.decode("utf-8", errors="replace")
    assert "#< CLIXML" not in stderr  # pywinrm decoded our CLIXML into text
    assert rule.text in " ".join(stderr.split())  # run_ps re-wraps long lines
    after = session.run_ps(rule.query)
    assert (after.status_code, after.std_out) == (0, before.std_out)
    assert persisted(emu) == world_before


def test_german_seed_procedure_runs_verbatim_over_winrm(
    emulator_factory: EmulatorFactory,
) -> None:
    """The article's lines (EN DASHes, curly quotes) in one script, sent once with run_ps
    (pywinrm encodes it as UTF-16LE base64, so every character arrives as written)."""
    assert "\u2013" in seed.NAT and "\u201c" in seed.NAT and "\u201c" in seed.DNS
    script = "\n".join(
        [
            seed.CRED,
            seed.CREATE_L1 + " | Out-Null",
            seed.EXPOSE,
            seed.SPOOF,
            "Start-VM -Name NestedHost",
            seed.in_l1("Install-WindowsFeature -Name Hyper-V -IncludeManagementTools -Restart")
            + " | Out-Null",
            seed.in_l1("\n".join([seed.SWITCH, seed.NAT, seed.GATEWAY_IP])) + " | Out-Null",
            seed.copy_image_ps("NestedHost"),
            seed.in_l1(
                seed.L2_DISK + "\nNew-VM -Name L2 -Generation 2 -MemoryStartupBytes 2GB -VHDPath "
                "C:\\VMs\\L2.vhdx -SwitchName VmNAT\nStart-VM -Name L2"
            )
            + " | Out-Null",
            seed.in_l2("\n".join([seed.GUEST_IP, seed.DNS])) + " | Out-Null",
            seed.CHECK,
        ]
    )
    emu = emulator_factory()
    result = emu.session("ntlm").run_ps(script)
    assert result.status_code == 0, result.std_err.decode(errors="replace")
    assert result.std_out.decode().splitlines()[-1] == "True"
    counters = emu.counters()
    assert (counters["powershell_starts"], counters["commands"]) == (1, 1)  # sent once
    executed = json.loads(emu.state_path.read_text(encoding="utf-8"))["executed"]
    assert "New-NetNat" in executed and "Test-NetConnection" in executed
