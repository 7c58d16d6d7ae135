"""Get-/Set-VMNetworkAdapterVlan and the adapters' VlanSetting (OperationMode, AccessVlanId,
NativeVlanId, AllowedVlanIdList), as scripts such as the Terraform provider read them."""

from __future__ import annotations

from collections.abc import Callable

from hypervsim.powershell.session import RunResult
from hypervsim.world.model import World

from .conftest import errors, lines

Run = Callable[[str], RunResult]
VM = "New-VM -Name v1 -SwitchName External | Out-Null\n"
SET = "Microsoft.HyperV.PowerShell.Commands.SetVMNetworkAdapterVlan"


def _fqids(r: RunResult) -> list[str]:
    return [x.error.fqid for x in r.records if x.kind == "error" and x.error is not None]


def test_default_is_untagged(ps: Run) -> None:
    r = ps(
        VM + "$v = (Get-VMNetworkAdapter -VMName v1).VlanSetting\n"
        '"$($v.OperationMode) $($v.AccessVlanId) $($v.NativeVlanId) $($v.AllowedVlanIdList.Count)"\n'
        "$v.GetType().FullName; [int]$v.OperationMode\n"
        "Get-VMNetworkAdapterVlan -VMName v1"
    )
    assert not errors(r)
    assert lines(r) == [
        "Untagged 0 0 0",
        "Microsoft.HyperV.PowerShell.VMNetworkAdapterVlanSetting",
        "0",
        "",
        "VMName VMNetworkAdapterName Mode     VlanList",
        "------ -------------------- ----     --------",
        "v1     Network Adapter      Untagged",
        "",
        "",
    ]


def test_access_mode_reads_back_as_the_terraform_provider_reads_it(ps: Run, world: World) -> None:
    r = ps(
        VM + "Set-VMNetworkAdapterVlan -VMName v1 -Access -VlanId 12\n"
        "Get-VMNetworkAdapter -VMName v1 | ForEach-Object { [pscustomobject]@{\n"
        "  VlanAccess = if ($_.VLanSetting.OperationMode -eq 'Access') {$true} else {$false}\n"
        "  VlanId = $_.VLanSetting.AccessVlanId } } | ConvertTo-Json -Compress\n"
        "[int](Get-VMNetworkAdapterVlan -VMName v1).OperationMode"
    )
    assert not errors(r)
    assert lines(r) == ['{"VlanAccess":true,"VlanId":12}', "1"]
    assert world.root.vms[0].adapters[0].vlan.access_vlan_id == 12


def test_trunk_then_untagged(ps: Run) -> None:
    r = ps(
        VM + "$s = Set-VMNetworkAdapterVlan -VMName v1 -Trunk -NativeVlanId 5"
        " -AllowedVlanIdList '1-100,200,101' -Passthru\n"
        '"$($s.OperationMode) $($s.NativeVlanId) $($s.AllowedVlanIdListString)'
        ' $($s.AllowedVlanIdList.Count)"\n'
        "Get-VMNetworkAdapter -VMName v1 | Set-VMNetworkAdapterVlan -Untagged\n"
        "(Get-VMNetworkAdapterVlan -VMName v1).OperationMode.ToString()"
    )
    assert not errors(r)
    assert lines(r) == ["Trunk 5 1-101,200 102", "Untagged"]


def test_management_os_adapter(ps: Run) -> None:
    r = ps(
        "Set-VMNetworkAdapterVlan -ManagementOS -VMNetworkAdapterName External -Access -VlanID 20\n"
        "(Get-VMNetworkAdapter -ManagementOS -Name External).VlanSetting.AccessVlanId\n"
        "(Get-VMNetworkAdapterVlan -ManagementOS).ParentAdapter.Name"
    )
    assert not errors(r)
    assert lines(r) == ["20", "External"]


def test_refusals_change_nothing(ps: Run, world: World) -> None:
    r = ps(VM + "Set-VMNetworkAdapterVlan -VMName v1 -Access")
    assert _fqids(r) == [f"InvalidParameter,{SET}"]
    r = ps("Set-VMNetworkAdapterVlan -VMName v1 -Access -VlanId 4095")
    assert _fqids(r) == [f"InvalidParameter,{SET}"]
    assert "4095" in errors(r)[0]
    r = ps("Set-VMNetworkAdapterVlan -VMName v1 -Trunk -NativeVlanId 5")
    assert _fqids(r) == [f"InvalidParameter,{SET}"]
    r = ps("Set-VMNetworkAdapterVlan -VMName v1 -Trunk -NativeVlanId 5 -AllowedVlanIdList 'a-b'")
    assert _fqids(r) == [f"InvalidParameter,{SET}"]
    r = ps("Set-VMNetworkAdapterVlan -VMName v1 -Access -Untagged -VlanId 3")
    assert _fqids(r) == [f"InvalidParameter,{SET}"]
    r = ps("Set-VMNetworkAdapterVlan -VMName v1 -Isolated -PrimaryVlanId 3 -SecondaryVlanId 4")
    assert _fqids(r) == [f"NotSupportedByEmulator,{SET}"]
    r = ps("Set-VMNetworkAdapterVlan -VMName nope -Access -VlanId 3")
    assert "nope" in errors(r)[0]
    port = world.root.vms[0].adapters[0].vlan
    assert port.mode == "Untagged" and port.access_vlan_id == 0
