"""Whether a Hyper-V host can expose the virtualization extensions to a VM (nesting), from
what its Windows reports: the rules Microsoft documents for nested virtualization (FACTS 1),
so a preview can refuse what `Set-VMProcessor -ExposeVirtualizationExtensions` would refuse
halfway through `up`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NESTING_MIN_BUILD = 14393
"""Windows Server 2016 / Windows 10 1607: the first builds that run Hyper-V inside a VM."""
AMD_MIN_SERVER_BUILD = 20348
"""Windows Server 2022: the first server build that nests on AMD processors."""
AMD_MIN_CLIENT_BUILD = 22000
"""Windows 11: the first client build that nests on AMD processors."""
VBS_RUNNING = 2
"""Win32_DeviceGuard.VirtualizationBasedSecurityStatus when VBS is running."""
CLIENT_PRODUCT_TYPE = 1
"""Win32_OperatingSystem.ProductType of a workstation (2, 3: domain controller, server)."""


def nesting_refusal(where: str, host: Mapping[str, Any], vm: str = "<vm>") -> str | None:
    """Why `where` cannot expose the virtualization extensions to the VM `vm`, with what to
    do; None if it can. `host`: manufacturer, build, product_type, vbs_status and vbs_opt_out
    (the VM exists and is opted out of VBS) as host_nesting.ps1 reads."""
    build = int(host["build"])
    client = int(host["product_type"]) == CLIENT_PRODUCT_TYPE
    if build < NESTING_MIN_BUILD:
        return (
            f"{where} runs Windows build {build}: nested virtualization needs Windows Server "
            f"2016 / Windows 10 1607 (build {NESTING_MIN_BUILD}) or later on the host"
        )
    if "AMD" in str(host["manufacturer"]).upper():
        needed = AMD_MIN_CLIENT_BUILD if client else AMD_MIN_SERVER_BUILD
        if build < needed:
            return (
                f"{where} has an AMD processor and runs Windows build {build}: nested "
                "virtualization on AMD processors needs Windows Server 2022 / Windows 11 or "
                f"later (build {needed} or later here); run the L1 on an Intel host or "
                "upgrade the host"
            )
    if int(host["vbs_status"]) == VBS_RUNNING and not host.get("vbs_opt_out"):
        return (
            f"{where} runs virtualization-based security (Win32_DeviceGuard "
            "VirtualizationBasedSecurityStatus 2), and Hyper-V refuses to expose the "
            'virtualization extensions to a VM that does not opt out of it ("Cannot modify '
            'property without enabling VirtualizationBasedSecurityOptOut"); turn off '
            "virtualization-based security on the host (Memory integrity / Credential Guard, "
            "then restart it), or opt the VM out of it: with the VM Off, Set-VMSecurity "
            f"-VMName '{vm}' -VirtualizationBasedSecurityOptOut $true (a VM made by hand is "
            "then declared with adopt_existing: true)"
        )
    return None


__all__ = ["nesting_refusal"]
