"""`nesting_refusal`: the host rules for exposing the virtualization extensions, over the
host profiles the emulator offers (hypervsim/world/profiles.py) and the edges of each rule."""

from __future__ import annotations

import pytest

from components.nesting_support import nesting_refusal
from hypervsim.world.profiles import PROFILES

INTEL, AMD = "GenuineIntel", "AuthenticAMD"
SERVER, CLIENT = 3, 1


def host(manufacturer: str, build: int, product_type: int = SERVER, vbs: int = 0) -> dict:
    return {
        "manufacturer": manufacturer,
        "build": build,
        "product_type": product_type,
        "vbs_status": vbs,
    }


@pytest.mark.parametrize(
    ("facts", "refused"),
    [
        (host(INTEL, 14393), False),
        (host(INTEL, 10586), True),
        (host(AMD, 17763), True),
        (host(AMD, 20348), False),
        (host(AMD, 20348, CLIENT), True),  # no client build between Windows 10 and 11 nests
        (host(AMD, 22000, CLIENT), False),
        (host(INTEL, 20348, vbs=1), False),  # enabled but not running
        (host(INTEL, 20348, vbs=2), True),
    ],
)
def test_each_rule_and_its_edge(facts: dict, refused: bool) -> None:
    assert (nesting_refusal("l0", facts) is not None) is refused


def test_the_emulator_profiles_that_refuse_nesting_are_the_ones_refused() -> None:
    for profile in PROFILES.values():
        facts = host(
            AMD if profile.cpu_vendor == "AMD" else INTEL,
            profile.build,
            CLIENT if profile.edition == "client" else SERVER,
            2 if profile.vbs else 0,
        )
        refused = profile.vbs or (profile.cpu_vendor == "AMD" and profile.build < 20348)
        assert (nesting_refusal("l0", facts) is not None) is refused, profile.name


def test_the_message_says_what_to_do() -> None:
    amd = nesting_refusal("l0", host(AMD, 14393))
    assert amd is not None and amd.startswith("l0 has an AMD processor and runs Windows build")
    assert "Windows Server 2022 / Windows 11 or later" in amd
    vbs = nesting_refusal("l0", host(INTEL, 20348, vbs=2), "dev-l1")
    assert vbs is not None
    assert "Set-VMSecurity -VMName 'dev-l1' -VirtualizationBasedSecurityOptOut $true" in vbs


def test_a_vm_opted_out_of_vbs_nests_on_a_host_running_it() -> None:
    assert nesting_refusal("l0", {**host(INTEL, 20348, vbs=2), "vbs_opt_out": True}) is None
    amd = {**host(AMD, 17763, vbs=2), "vbs_opt_out": True}
    assert nesting_refusal("l0", amd) is not None  # the opt-out lifts only the VBS rule
