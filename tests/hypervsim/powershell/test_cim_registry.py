"""Get-CimInstance / Get-WmiObject and registry reads, from the world's model of the machine."""

from __future__ import annotations

from collections.abc import Callable

from hypervsim.powershell.session import PowerShellSession, RunResult
from hypervsim.world.model import World
from tests.hypervsim.powershell.conftest import errors, lines

Run = Callable[[str], RunResult]
VERSION_KEY = "'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion'"
GUARD_KEY = "'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\DeviceGuard'"


def on(profile: str) -> Run:
    world = World.create(profile=profile)
    session = PowerShellSession(world, world.root, sleep=lambda _s: None)

    def run(script: str) -> RunResult:
        with world.lock:
            return session.run(script)

    return run


def out(ps: Run, script: str) -> list[str]:
    result = ps(script)
    assert not errors(result), errors(result)
    return lines(result)


def fqids(result: RunResult) -> list[str]:
    return [r.error.fqid for r in result.records if r.kind == "error" and r.error is not None]


def test_processor_vendor_and_virtualization_flags_follow_the_host() -> None:
    script = (
        "$p = Get-CimInstance -ClassName Win32_Processor; $p.Manufacturer;"
        " $p.VirtualizationFirmwareEnabled; $p.SecondLevelAddressTranslationExtensions;"
        " (Get-CimInstance Win32_ComputerSystem).HypervisorPresent"
    )
    # Hyper-V runs on the default host: the hypervisor hides VT-x from the root partition.
    assert out(on("server2022-intel"), script) == ["GenuineIntel", "False", "False", "True"]
    assert out(on("server2016-amd"), script)[0] == "AuthenticAMD"


def test_operating_system_from_the_model(ps: Run, world: World) -> None:
    script = (
        "$os = Get-CimInstance -ClassName Win32_OperatingSystem -Namespace root\\cimv2;"
        " $os.Caption; $os.Version; $os.BuildNumber; $os.TotalVisibleMemorySize;"
        " $os.FreePhysicalMemory -lt $os.TotalVisibleMemorySize"
    )
    assert out(ps, script) == [
        "Microsoft Windows Server 2022 Datacenter",
        "10.0.20348",
        "20348",
        str(world.root.physical_memory() // 1024),
        "True",
    ]
    assert out(on("win11-amd"), "(Get-WmiObject -Class Win32_OperatingSystem).Caption") == [
        "Microsoft Windows 11 Enterprise"
    ]


def test_device_guard_status_from_the_host_profile() -> None:
    script = (
        "(Get-CimInstance -Namespace root\\Microsoft\\Windows\\DeviceGuard"
        " -ClassName Win32_DeviceGuard).VirtualizationBasedSecurityStatus"
    )
    assert out(on("server2022-intel-vbs"), script) == ["2"]
    assert out(on("server2022-intel"), script) == ["0"]


def test_filters_and_the_wmi_cmdlet(ps: Run) -> None:
    script = (
        "(Get-WmiObject Win32_ComputerSystem -Filter \"Name='HV-HOST01'\").Name;"
        " @(Get-CimInstance Win32_Processor -Filter \"DeviceID = 'CPU1'\").Count;"
        " (Get-WmiObject -Class Win32_Processor).__CLASS"
    )
    assert out(ps, script) == ["HV-HOST01", "0", "Win32_Processor"]


def test_unknown_class_and_namespace_have_windows_errors(ps: Run) -> None:
    result = ps("Get-CimInstance -ClassName Win32_Nope; 'next'")
    assert lines(result) == ["next"]
    assert errors(result) == ["Invalid class "]
    assert fqids(result) == [
        "HRESULT 0x80041010,Microsoft.Management.Infrastructure.CimCmdlets.GetCimInstanceCommand"
    ]
    result = ps("Get-CimInstance -Namespace root\\nope -ClassName Win32_Processor")
    assert errors(result) == ["Invalid namespace "]
    result = ps("Get-WmiObject -Class Win32_Nope")
    assert errors(result) == ['Invalid class "Win32_Nope"']
    assert fqids(result) == [
        "GetWMIManagementException,Microsoft.PowerShell.Commands.GetWmiObjectCommand"
    ]
    result = ps('Get-CimInstance Win32_Processor -Filter "Bogus = 1"')
    assert errors(result) == ["Invalid query "]


def test_windows_version_key(ps: Run) -> None:
    script = (
        f"$k = Get-ItemProperty {VERSION_KEY}; $k.ProductName; $k.CurrentBuild;"
        f" $k.CurrentBuildNumber; $k.UBR; $k.DisplayVersion; $k.EditionID; $k.InstallationType;"
        f" Get-ItemPropertyValue -Path {VERSION_KEY} -Name UBR"
    )
    assert out(ps, script) == [
        "Windows Server 2022 Datacenter",
        "20348",
        "20348",
        "2849",
        "21H2",
        "ServerDatacenter",
        "Server",
        "2849",
    ]
    client = out(on("win11-amd"), f"(Get-ItemProperty {VERSION_KEY}).InstallationType")
    assert client == ["Client"]


def test_device_guard_key_and_test_path() -> None:
    vbs = on("server2022-intel-vbs")
    script = f"Get-ItemPropertyValue {GUARD_KEY} -Name EnableVirtualizationBasedSecurity"
    assert out(vbs, script) == ["1"]
    plain = on("server2022-intel")
    result = plain(script)
    assert errors(result) == [
        "Property EnableVirtualizationBasedSecurity does not exist at path"
        " HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\DeviceGuard."
    ]
    assert out(
        plain,
        f"Test-Path {GUARD_KEY}; Test-Path HKLM:\\SOFTWARE\\Nope;"
        " Test-Path 'Registry::HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft'",
    ) == ["True", "False", "True"]


def test_missing_key_is_path_not_found(ps: Run) -> None:
    result = ps("Get-ItemProperty HKLM:\\SOFTWARE\\Nope; 'next'")
    assert lines(result) == ["next"]
    assert errors(result) == ["Cannot find path 'HKLM:\\SOFTWARE\\Nope' because it does not exist."]
    assert fqids(result) == ["PathNotFound,Microsoft.PowerShell.Commands.GetItemPropertyCommand"]


def test_real_but_unmodelled_classes_are_said_plainly(ps: Run) -> None:
    for script in (
        "Get-CimInstance Win32_LogicalDisk",
        "Get-CimInstance -Namespace root/virtualization/v2 -ClassName Msvm_ComputerSystem",
    ):
        result = ps(script)
        assert fqids(result) == ["NotSupportedByEmulator"]
        assert errors(result)[0].startswith("hypervsim does not model the WMI class")


def test_real_but_unmodelled_registry_keys_are_said_plainly(ps: Run) -> None:
    assert out(ps, "Test-Path 'HKLM:\\SYSTEM\\CurrentControlSet\\Services'") == ["True"]
    for script in (
        "Get-ItemProperty HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion",
        "Test-Path HKLM:\\SYSTEM\\CurrentControlSet\\Services\\vmms",
    ):
        result = ps(script)
        assert fqids(result) == ["NotSupportedByEmulator"]
