"""VM network adapters and switches as the Terraform Hyper-V provider drives and reads them:
-IsLegacy on Add-/Get-VMNetworkAdapter, MandatoryFeatureId as the String[] Windows returns (its
JSON is an array the provider's client decodes into a list), and settings read back under the
property names Windows' objects have (PortMirroringMode, IPsecOffloadMaxSA, BandwidthSetting,
PoolName, ClusterMonitored, the *Requested queue settings)."""

from __future__ import annotations

from collections.abc import Callable

from hypervsim.powershell.session import RunResult

from .conftest import errors, lines

Run = Callable[[str], RunResult]

SETUP = (
    "New-VMSwitch -Name sw -SwitchType Internal | Out-Null\n"
    "New-VM -Name v -Generation 2 -NoVHD | Out-Null\n"
    "Get-VMNetworkAdapter -VMName v | Remove-VMNetworkAdapter\n"
)


def test_is_legacy_false_adds_a_synthetic_adapter(ps: Run) -> None:
    r = ps(
        SETUP + "Add-VMNetworkAdapter -VMName v -Name lan -SwitchName sw -IsLegacy $false\n"
        "$a = Get-VMNetworkAdapter -VMName v\n"
        "'{0} {1}' -f $a.Name, $a.IsLegacy\n"
        "@(Get-VMNetworkAdapter -VMName v -IsLegacy $true).Count\n"
        "@(Get-VMNetworkAdapter -VMName v -IsLegacy $false).Count"
    )
    assert not errors(r)
    assert lines(r) == ["lan False", "0", "1"]


def test_is_legacy_true_is_refused_not_turned_into_a_synthetic_adapter(ps: Run) -> None:
    r = ps(
        SETUP
        + "Add-VMNetworkAdapter -VMName v -Name old -IsLegacy $true\n@(Get-VMNetworkAdapter -VMName v).Count"
    )
    records = [rec.error for rec in r.records if rec.kind == "error" and rec.error is not None]
    assert [rec.fqid for rec in records] == ["NotSupportedByEmulator"]
    assert "does not model legacy network adapters" in records[0].message
    assert lines(r) == ["0"]


def test_mandatory_feature_id_is_a_string_array(ps: Run) -> None:
    r = ps(
        SETUP + "Add-VMNetworkAdapter -VMName v -Name lan\n"
        "@{ Ids = (Get-VMNetworkAdapter -VMName v).MandatoryFeatureId } | ConvertTo-Json -Compress\n"
        "Set-VMNetworkAdapter -VMName v -Name lan -MandatoryFeatureId @()\n"
        "@{ Ids = (Get-VMNetworkAdapter -VMName v).MandatoryFeatureId } | ConvertTo-Json -Compress\n"
        "Set-VMNetworkAdapter -VMName v -Name lan -MandatoryFeatureId 'a', 'b'\n"
        "(Get-VMNetworkAdapter -VMName v).MandatoryFeatureId -join ','"
    )
    assert not errors(r)
    assert lines(r) == ['{"Ids":[]}', '{"Ids":[]}', "a,b"]


def test_adapter_and_switch_settings_read_back_under_windows_property_names(ps: Run) -> None:
    r = ps(
        SETUP + "Add-VMNetworkAdapter -VMName v -Name lan -SwitchName sw\n"
        "$n = Get-VMNetworkAdapter -VMName v\n"
        "'{0} {1} {2} {3} {4} {5}' -f $n.PortMirroringMode, $n.IPsecOffloadMaxSA,"
        " ($null -eq $n.BandwidthSetting), $n.ClusterMonitored, $n.VrssEnabledRequested,"
        " $n.VmmqQueuePairsRequested\n"
        "Set-VMNetworkAdapter -VMName v -PortMirroring Source -IPsecOffloadMaximumSecurityAssociation 4"
        " -MaximumBandwidth 1000000 -NotMonitoredInCluster $true -ResourcePoolName p\n"
        "$n = Get-VMNetworkAdapter -VMName v\n"
        "'{0} {1} {2} {3} {4}' -f $n.PortMirroringMode, $n.IPsecOffloadMaxSA,"
        " $n.BandwidthSetting.MaximumBandwidth, $n.ClusterMonitored, $n.PoolName\n"
        "$names = $n.PSObject.Properties.Name\n"
        "@('PortMirroring', 'NotMonitoredInCluster', 'MaximumBandwidth', 'PoolName') |"
        " ? { $names -contains $_ }\n"
        "Set-VMSwitch sw -DefaultQueueVmmqQueuePairs 8 -DefaultQueueVrssEnabled $false\n"
        "$s = Get-VMSwitch sw\n"
        "'{0} {1} {2}' -f $s.DefaultQueueVmmqQueuePairsRequested,"
        " $s.DefaultQueueVrssEnabledRequested, $s.DefaultQueueVmmqEnabledRequested"
    )
    assert not errors(r)
    assert lines(r) == [
        "None 512 True True True 16",
        "Source 4 1000000 False p",
        "PoolName",
        "8 False True",
    ]
