# ruff: noqa: RUF001  (typographic quotes and dashes are the subject here)
"""format_output / format_error, plus regressions from real scripts (doc lines, product scripts)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

from hypervsim.powershell.api import ErrorCategory, ErrorRecord, PSObject
from hypervsim.powershell.format_error import format_error_record
from hypervsim.powershell.format_output import format_objects, register_view
from hypervsim.powershell.session import PowerShellSession, RunResult
from tests.hypervsim.powershell.conftest import errors, lines

Run = Callable[[str], RunResult]


def test_scalars_print_one_per_line_and_null_prints_nothing() -> None:
    assert format_objects(["a", 1, 2.5, True, None]) == "a\r\n1\r\n2.5\r\nTrue\r\n"


def test_small_objects_print_as_one_table() -> None:
    rows = [PSObject({"Name": "vm1", "CPU": 2}), PSObject({"Name": "longer-name", "CPU": 16})]
    assert format_objects(rows) == (
        "\r\nName        CPU\r\n----        ---\r\nvm1           2\r\nlonger-name  16\r\n\r\n\r\n"
    )


def test_wide_objects_print_as_lists_and_views_choose_columns() -> None:
    obj = PSObject({"A": 1, "Bb": 2, "C": 3, "D": 4, "E": 5}, type_names=("Test.Wide",))
    text = format_objects([obj])
    assert text.startswith("\r\nA  : 1\r\nBb : 2\r\n")
    register_view("Test.Wide", ["A", "E"])
    assert format_objects([obj]) == "\r\nA E\r\n- -\r\n1 5\r\n\r\n\r\n"


def test_hashtable_prints_name_value_table() -> None:
    # DictionaryEntry's view: the Name column is 30 wide, longer names are cut with "...".
    assert format_objects([{"k": "v", "n" * 31: 1}]).split("\r\n") == [
        "",
        "Name".ljust(31) + "Value",
        "----".ljust(31) + "-----",
        "k".ljust(31) + "v",
        "n" * 27 + "... 1",
        "",
        "",
        "",
    ]


def test_error_record_text_has_windows_shape() -> None:
    record = ErrorRecord(
        message='Hyper-V was unable to find a virtual machine with name "x".',
        category=ErrorCategory.InvalidArgument,
        fqid="InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVM",
        target="x",
        command="Get-VM",
        exception_type="Microsoft.HyperV.PowerShell.VirtualizationException",
        line=1,
        column=1,
        script_line="Get-VM x",
        extent=8,
    )
    assert format_error_record(record) == (
        'Get-VM : Hyper-V was unable to find a virtual machine with name "x".\r\n'
        "At line:1 char:1\r\n"
        "+ Get-VM x\r\n"
        "+ ~~~~~~~~\r\n"
        "    + CategoryInfo          : InvalidArgument: (x:String) [Get-VM],"
        " VirtualizationException\r\n"
        "    + FullyQualifiedErrorId : InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVM"
    )


def test_parse_error_text_puts_position_first(ps: Run) -> None:
    result = ps("Write-Output 'abc")
    assert result.exit_code == 1
    assert result.records[0].text == (
        "At line:1 char:14\r\n"
        "+ Write-Output 'abc\r\n"
        "+              ~~~~\r\n"
        "The string is missing the terminator: '.\r\n"
        "    + CategoryInfo          : ParserError: (:) [], ParentContainsErrorRecordException\r\n"
        "    + FullyQualifiedErrorId : TerminatorExpectedAtEndOfString"
    )


def test_microsoft_doc_nat_lines_run_verbatim(ps: Run) -> None:
    script = (
        "New-VMSwitch –Name VmNAT –SwitchType Internal | Out-Null\n"
        "New-NetNat –Name LocalNAT –InternalIPInterfaceAddressPrefix “192.168.100.0/24” |"
        " Out-Null\n"
        "(Get-NetNat).InternalIPInterfaceAddressPrefix\n"
    )
    result = ps(script)
    assert errors(result) == []
    assert lines(result) == ["192.168.100.0/24"]


PRODUCT_SCRIPT = """
$in = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('{b64}')) | ConvertFrom-Json
$name = $in.name
[pscustomobject]@{{ok=$true; name=$name; len=$name.Length}} | ConvertTo-Json -Compress -Depth 5
"""


def test_product_script_pattern_passes_hostile_names_through_unchanged(
    ps: Run, session: PowerShellSession
) -> None:
    hostile = "a\"b'c $(Remove-VM -Name x -Force) `t `$env:X\r\nline2 Ü€ “curly” –dash ; Stop-VM y"
    payload = base64.b64encode(json.dumps({"name": hostile}).encode("utf-8")).decode("ascii")
    result = ps(PRODUCT_SCRIPT.format(b64=payload))
    assert errors(result) == []
    assert json.loads(lines(result)[0]) == {"ok": True, "name": hostile, "len": len(hostile)}
    executed = session.world.executed
    assert "Remove-VM" not in executed and "Stop-VM" not in executed
    assert "Ü€" in result.stdout  # non-ASCII is kept as-is by ConvertTo-Json


def test_product_script_with_param_block_and_error_reporting(ps: Run) -> None:
    script = """
param([string]$Name = 'vm-x')
try {
    Get-VM -Name $Name -ErrorAction Stop | Out-Null
    [pscustomobject]@{ok=$true} | ConvertTo-Json -Compress
} catch {
    [pscustomobject]@{ok=$false; error=$_.Exception.Message; id=$_.FullyQualifiedErrorId} |
        ConvertTo-Json -Compress
    exit 1
}
"""
    result = ps(script)
    doc = json.loads(lines(result)[0])
    assert doc["ok"] is False and "vm-x" in doc["error"]
    assert result.exit_code == 1 and result.exited


def test_lab_tool_idioms(ps: Run) -> None:
    script = """
New-VM -Name 'Nested-01' -MemoryStartupBytes 4GB -Generation 2 | Out-Null
$vm = Hyper-V\\Get-VM -Name 'Nested*'
if (-not (Get-VMProcessor -VMName $vm.Name).ExposeVirtualizationExtensions) {
    Set-VMProcessor -VMName $vm.Name -ExposeVirtualizationExtensions $true
}
(Get-VMProcessor -VMName 'Nested-01').ExposeVirtualizationExtensions
Get-VMNetworkAdapter -VMName 'Nested-01' | Set-VMNetworkAdapter -MacAddressSpoofing On
(Get-VMNetworkAdapter -VMName 'Nested-01').MacAddressSpoofing
(Get-VM 'Nested-01' | ConvertTo-Json -Depth 1 | ConvertFrom-Json).State
"""
    result = ps(script)
    assert errors(result) == []
    assert lines(result) == ["True", "On", "3"]


def test_hyperv_objects_print_windows_default_tables(ps: Run) -> None:
    setup = (
        "New-VM -Name vm1 -Generation 2 -MemoryStartupBytes 2GB -NoVHD | Out-Null\n"
        "New-VMSwitch -Name sw -SwitchType Internal | Out-Null\n"
        "Connect-VMNetworkAdapter -VMName vm1 -SwitchName sw\n"
    )
    assert not errors(ps(setup))
    assert lines(ps("Get-VM")) == [
        "",
        "Name State CPUUsage(%) MemoryAssigned(M) Uptime   Status             Version",
        "---- ----- ----------- ----------------- ------   ------             -------",
        "vm1  Off   0           0                 00:00:00 Operating normally 10.0",
        "",
        "",
    ]
    assert lines(ps("Get-VMSwitch -Name sw")) == [
        "",
        "Name SwitchType NetAdapterInterfaceDescription",
        "---- ---------- ------------------------------",
        "sw   Internal",
        "",
        "",
    ]
    adapter = lines(ps("Get-VMNetworkAdapter -VMName vm1"))
    assert adapter[1:3] == [
        "Name            IsManagementOs VMName SwitchName MacAddress   Status IPAddresses",
        "----            -------------- ------ ---------- ----------   ------ -----------",
    ]
    assert adapter[3].startswith("Network Adapter False          vm1    sw         00155D")
    host_side = lines(ps("Get-VMNetworkAdapter -ManagementOS -Name sw"))
    assert host_side[1].startswith("Name IsManagementOs VMName SwitchName MacAddress")
    assert host_side[3].startswith("sw   True                  sw         00155D")


def test_netnat_and_netipaddress_print_windows_lists(ps: Run) -> None:
    ps("New-NetNat -Name nat -InternalIPInterfaceAddressPrefix 192.168.100.0/24 | Out-Null")
    nat = lines(ps("Get-NetNat"))
    assert nat[1:4] == [
        "Name                             : nat",
        "ExternalIPInterfaceAddressPrefix :",
        "InternalIPInterfaceAddressPrefix : 192.168.100.0/24",
    ]
    address = lines(ps("Get-NetIPAddress -IPAddress 10.0.0.10"))
    assert address[1:] == [
        "IPAddress         : 10.0.0.10",
        "InterfaceIndex    : 3",
        "InterfaceAlias    : vEthernet (External)",
        "AddressFamily     : IPv4",
        "Type              : Unicast",
        "PrefixLength      : 24",
        "PrefixOrigin      : Dhcp",
        "SuffixOrigin      : Dhcp",
        "AddressState      : Preferred",
        "ValidLifetime     : 8.00:00:00",
        "PreferredLifetime : 8.00:00:00",
        "SkipAsSource      : False",
        "PolicyStore       : ActiveStore",
        "",
        "",
    ]
