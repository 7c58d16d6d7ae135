"""The seed procedure from Microsoft's German nested-virtualization article, run verbatim
(EN DASHes, curly quotes and all) through PowerShellSession on a fresh World.

After the procedure an L2 guest inside the L1 NestedHost reaches the Internet by name; undoing
any one step of the NAT path breaks that. MAC address spoofing matters for the bridged variant
(an L2 on an External switch of L1), not for NAT, exactly as on Windows.
"""

from __future__ import annotations

import pytest

from hypervsim.powershell.session import PowerShellSession
from hypervsim.world.model import World

from ..guest_images import PASSWORD, copy_image_ps, prepare_disk_ps

CRED = (
    f"$pw = ConvertTo-SecureString '{PASSWORD}' -AsPlainText -Force\n"
    "$cred = New-Object System.Management.Automation.PSCredential ('Administrator', $pw)"
)
# The L1 boots the host's generalized image (a differencing disk with an answer file).
CREATE_L1 = (
    prepare_disk_ps("C:\\VMs\\NestedHost.vhdx", "NESTEDHOST")
    + "\nNew-VM -Name NestedHost -Generation 2 -MemoryStartupBytes 8GB "
    "-VHDPath C:\\VMs\\NestedHost.vhdx -SwitchName External"
)
# An L2 boots the same image, copied into the L1.
L2_DISK = prepare_disk_ps("C:\\VMs\\L2.vhdx", "L2")
# Lines as the article prints them (placeholders filled in).
EXPOSE = "Set-VMProcessor -VMName NestedHost -ExposeVirtualizationExtensions $true"
SPOOF = "Get-VMNetworkAdapter -VMName NestedHost | Set-VMNetworkAdapter -MacAddressSpoofing On"
SWITCH = "New-VMSwitch -Name VmNAT -SwitchType Internal"
NAT = "New-NetNat –Name LocalNAT –InternalIPInterfaceAddressPrefix “192.168.100.0/24”"  # noqa: RUF001
GATEWAY_IP = 'Get-NetAdapter "vEthernet (VmNat)" | New-NetIPAddress -IPAddress 192.168.100.1 -AddressFamily IPv4 -PrefixLength 24'
GUEST_IP = (
    'Get-NetAdapter "Ethernet" | New-NetIPAddress -IPAddress 192.168.100.2 -DefaultGateway 192.168.100.1 '
    "-AddressFamily IPv4 -PrefixLength 24"
)
DNS = "Netsh interface ip add dnsserver “Ethernet” address=1.1.1.1"


def in_l1(body: str) -> str:
    return f"Invoke-Command -VMName NestedHost -Credential $cred -ScriptBlock {{\n{body}\n}}"


def in_l2(body: str) -> str:
    """From L0 into L1 into L2 (PowerShell Direct twice), the credential passed along."""
    return in_l1(
        "param($c)\nInvoke-Command -VMName L2 -Credential $c -ScriptBlock {\n" + body + "\n}"
    ).replace("-ScriptBlock {\nparam($c)", "-ArgumentList $cred -ScriptBlock {\nparam($c)", 1)


CHECK = in_l2("Test-NetConnection www.microsoft.com -Port 443 -InformationLevel Quiet")


def run_ok(ps: PowerShellSession, script: str) -> str:
    result = ps.run(script)
    errors = [r.text for r in result.records if r.kind == "error"]
    assert not errors, f"{script!r} failed: {errors}"
    return result.stdout


def build_lab(world: World) -> PowerShellSession:
    ps = PowerShellSession(world, world.root)
    run_ok(ps, CRED)
    run_ok(ps, CREATE_L1)
    run_ok(ps, EXPOSE)
    run_ok(ps, SPOOF)
    run_ok(ps, "Start-VM -Name NestedHost")
    run_ok(ps, in_l1("Install-WindowsFeature -Name Hyper-V -IncludeManagementTools -Restart"))
    run_ok(ps, in_l1("\n".join([SWITCH, NAT, GATEWAY_IP])))
    run_ok(ps, copy_image_ps("NestedHost"))
    run_ok(
        ps,
        in_l1(
            L2_DISK
            + "\nNew-VM -Name L2 -Generation 2 -MemoryStartupBytes 2GB -VHDPath C:\\VMs\\L2.vhdx "
            "-SwitchName VmNAT\nStart-VM -Name L2"
        ),
    )
    run_ok(ps, in_l2("\n".join([GUEST_IP, DNS])))
    return ps


def test_seed_procedure_reaches_outside_from_l2() -> None:
    world = World.create()
    ps = build_lab(world)
    assert run_ok(ps, CHECK).strip() == "True"
    assert "Test-NetConnection" in world.executed and "netsh" in [c.lower() for c in world.executed]
    l2 = world.root.vms[0].guest.vms[0]
    assert l2.guest.adapter_by_name("Ethernet").dns_servers == ["1.1.1.1"]


def test_expose_refused_while_running_and_nothing_changed() -> None:
    world = World.create()
    ps = PowerShellSession(world, world.root)
    run_ok(ps, CREATE_L1)
    run_ok(ps, "Start-VM -Name NestedHost")
    before = world.to_json()["root"]
    result = ps.run(EXPOSE)
    errors = [r for r in result.records if r.kind == "error"]
    assert len(errors) == 1 and "Failed to modify device 'Processor'." in errors[0].text
    assert result.exit_code == 1
    assert world.to_json()["root"] == before
    out = run_ok(ps, "(Get-VMProcessor -VMName NestedHost).ExposeVirtualizationExtensions")
    assert out.strip() == "False"


UNDO = {
    "nat": in_l1("Get-NetNat | Remove-NetNat -Confirm:$false"),
    "gateway-address": in_l1("Remove-NetIPAddress -IPAddress 192.168.100.1 -Confirm:$false"),
    "guest-address": in_l2("Remove-NetIPAddress -IPAddress 192.168.100.2 -Confirm:$false"),
    "dns": in_l2("Set-DnsClientServerAddress -InterfaceAlias Ethernet -ResetServerAddresses"),
    "l2-switch": in_l1("Disconnect-VMNetworkAdapter -VMName L2"),
    "l1-uplink": "Disconnect-VMNetworkAdapter -VMName NestedHost",
    "extensions": (
        "Stop-VM -Name NestedHost -Force\n"
        "Set-VMProcessor -VMName NestedHost -ExposeVirtualizationExtensions $false\n"
        "Start-VM -Name NestedHost"
    ),
}


@pytest.mark.parametrize("step", sorted(UNDO))
def test_undoing_any_step_breaks_outside_access(step: str) -> None:
    world = World.create()
    ps = build_lab(world)
    run_ok(ps, UNDO[step])
    result = ps.run(CHECK)
    assert result.stdout.strip() != "True"


def test_bridged_l2_needs_mac_spoofing() -> None:
    world = World.create()
    ps = PowerShellSession(world, world.root)
    run_ok(ps, CRED)
    run_ok(ps, CREATE_L1)
    run_ok(ps, EXPOSE)
    run_ok(ps, SPOOF)
    run_ok(ps, "Start-VM -Name NestedHost")
    run_ok(ps, in_l1("Install-WindowsFeature -Name Hyper-V -IncludeManagementTools -Restart"))
    run_ok(ps, copy_image_ps("NestedHost"))
    run_ok(
        ps,
        in_l1(
            'New-VMSwitch -Name Bridge -NetAdapterName "Ethernet" -AllowManagementOS $true\n'
            + L2_DISK
            + "\nNew-VM -Name L2 -Generation 2 -VHDPath C:\\VMs\\L2.vhdx -SwitchName Bridge\nStart-VM -Name L2"
        ),
    )
    assert run_ok(ps, CHECK).strip() == "True"
    run_ok(
        ps, "Get-VMNetworkAdapter -VMName NestedHost | Set-VMNetworkAdapter -MacAddressSpoofing Off"
    )
    assert run_ok(ps, CHECK).strip() == "False"
