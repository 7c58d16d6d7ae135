"""How long operations take on a real Hyper-V host, scaled for benchmarks (`serve --time-scale`).

The emulator is instant by default (scale 0): every cmdlet returns at once and a started VM's
guest answers PowerShell Direct right away. With a scale F > 0 the emulated host runs on a
dilated clock: an operation that takes S seconds on a real host takes S x F seconds here, and
so does every wait the host's scripts make (`Start-Sleep`), so a script that polls a booting
guest every 2 s sees as many polls as it would on Windows.

Two kinds of time:
- Operation time: the cmdlet's own run time (New-VM, New-VHD, Install-WindowsFeature...). The
  interpreter sleeps it after the cmdlet ran, with the world lock released, so other shells go
  on meanwhile, as on a real host (`operation_seconds`).
- Guest time: after Start-VM / Restart-VM / a guest's Restart-Computer the VM is Running but its
  guest does not answer PowerShell Direct (nor the network) until its boot is over. The guest
  looks exactly as a booting guest always has in the emulator (`guest_up` false); `settle`,
  called before each cmdlet, brings up the guests whose boot is over (`guest_booting`).

Durations (real host seconds), where they come from:
- First boot of a generalized Windows image (specialize + oobeSystem with an answer file,
  until a login works): 120 s. Public: a sysprepped Windows Server VM on Google Cloud takes
  "a full 2 minutes to turn up" vs about 30 s for Linux, most of it Windows Setup's specialize
  pass (jpassing.com, "Understanding Windows VM initialization on Google Cloud", 2020).
- Everything else is an ESTIMATE from experience of Windows Server 2022 on SSD storage, to be
  replaced by measurements on a real host (docs/benchmarks.md says how): a normal boot or
  restart until PowerShell Direct answers 30 s; a restart that completes the Hyper-V role
  install 90 s (Windows configures the feature and reboots twice); Install-WindowsFeature
  Hyper-V 60 s, another feature 30 s; New-VM 2 s; Start-VM returning 3 s; a guest shutdown
  (Stop-VM) 10 s, a turn-off 1 s; New-VHD -Differencing 1 s, another New-VHD 5 s; copying a
  VHD(X) image (Copy-Item, Copy-VMFile) 45 s (about 10 GiB at 250 MB/s); a PowerShell Direct
  session (Invoke-Command -VMName) 1 s; switch, NAT, IP and VM-setting changes 0.5-3 s.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hypervsim.world.model import VM, Computer

Clock = Callable[[], float]

# Guest boots (real host seconds until PowerShell Direct answers).
FIRST_BOOT = "first boot"  # a generalized image: Windows Setup specializes it
BOOT = "boot"
RESTART = "restart"
FEATURE_RESTART = "restart completing a feature install"
GUEST_SECONDS: Mapping[str, float] = {
    FIRST_BOOT: 120.0,
    BOOT: 30.0,
    RESTART: 30.0,
    FEATURE_RESTART: 90.0,
}

# Cmdlet run times (real host seconds); a cmdlet not named here takes no time.
OPERATION_SECONDS: Mapping[str, float] = {
    "New-VM": 2.0,
    "Remove-VM": 2.0,
    "Start-VM": 3.0,
    "Restart-VM": 3.0,
    "Set-VM": 0.5,
    "Set-VMProcessor": 0.5,
    "Set-VMMemory": 0.5,
    "Set-VMNetworkAdapter": 0.5,
    "Add-VMNetworkAdapter": 1.0,
    "Connect-VMNetworkAdapter": 0.5,
    "Enable-VMIntegrationService": 0.5,
    "New-VMSwitch": 3.0,
    "Remove-VMSwitch": 2.0,
    "New-NetNat": 1.0,
    "Remove-NetNat": 1.0,
    "New-NetIPAddress": 1.0,
    "New-NetRoute": 0.5,
    "Set-DnsClientServerAddress": 0.5,
    "Mount-VHD": 1.0,
    "Dismount-VHD": 1.0,
    "Install-WindowsFeature": 30.0,
    "Enable-WindowsOptionalFeature": 30.0,
    "Restart-Computer": 1.0,
}
HYPERV_FEATURE_INSTALL_S = 60.0
STOP_SHUTDOWN_S, STOP_TURN_OFF_S = 10.0, 1.0
NEW_VHD_DIFFERENCING_S, NEW_VHD_OTHER_S = 1.0, 5.0
IMAGE_COPY_S = 45.0
POWERSHELL_DIRECT_SESSION_S = 1.0
IMAGE_SUFFIXES = (".vhd", ".vhdx", ".iso")


def _names(value: Any) -> list[str]:
    items = value if isinstance(value, (list, tuple)) else [value]
    return [str(v) for v in items if v is not None]


def host_seconds(name: str, bound: Mapping[str, Any]) -> float:
    """What `name` with these bound parameters takes on a real host (unscaled seconds)."""
    if name == "Stop-VM":
        return STOP_TURN_OFF_S if bound.get("TurnOff") else STOP_SHUTDOWN_S
    if name == "New-VHD":
        return NEW_VHD_DIFFERENCING_S if bound.get("Differencing") else NEW_VHD_OTHER_S
    if name in ("Copy-Item", "Copy-VMFile"):
        sources = _names(bound.get("LiteralPath") or bound.get("Path") or bound.get("SourcePath"))
        images = any(s.lower().endswith(IMAGE_SUFFIXES) for s in sources)
        return IMAGE_COPY_S if images else 0.0
    if name in ("Install-WindowsFeature", "Enable-WindowsOptionalFeature"):
        wanted = _names(bound.get("Name") or bound.get("FeatureName"))
        hyperv = any(w.lower().startswith(("hyper-v", "microsoft-hyper-v")) for w in wanted)
        return HYPERV_FEATURE_INSTALL_S if hyperv else OPERATION_SECONDS[name]
    if name == "Invoke-Command":
        direct = bound.get("VMName") is not None or bound.get("VMId") is not None
        return POWERSHELL_DIRECT_SESSION_S if direct else 0.0
    return OPERATION_SECONDS.get(name, 0.0)


@dataclass
class TimeModel:
    """The emulated host's clock: `scale` real seconds per host second (0: instant).

    `clock` gives epoch seconds (a guest's ready time is saved with the world); tests pass a
    clock they move themselves and `sleep` that advances it."""

    scale: float = 0.0
    clock: Clock = time.time
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    @property
    def enabled(self) -> bool:
        return self.scale > 0

    def operation_seconds(self, name: str, bound: Mapping[str, Any]) -> float:
        """Real seconds the interpreter waits after cmdlet `name` ran (0 when instant)."""
        return host_seconds(name, bound) * self.scale if self.enabled else 0.0

    def wait_seconds(self, seconds: float) -> float:
        """Real seconds a host-side wait of `seconds` (Start-Sleep) takes: dilated with the
        model, as is when instant."""
        return seconds * self.scale if self.enabled else seconds

    def guest_booting(self, vm: VM, kind: str) -> None:
        """`vm` was just started or restarted: its guest answers after the boot of `kind`."""
        if not self.enabled or vm.guest is None:
            return
        vm.guest_up = False
        vm.guest_ready_at = self.clock() + GUEST_SECONDS[kind] * self.scale

    def settle(self, computers: Iterable[Computer]) -> None:
        """Bring up every guest whose boot is over (a VM turned off meanwhile stays down)."""
        if not self.enabled:
            return
        now = self.clock()
        for computer in computers:
            for vm in computer.vms:
                ready_at = vm.guest_ready_at
                if ready_at is None:
                    continue
                if vm.state != "Running" or vm.guest is None:
                    vm.guest_ready_at = None
                elif now >= ready_at:
                    vm.guest_ready_at = None
                    vm.guest_up = True
