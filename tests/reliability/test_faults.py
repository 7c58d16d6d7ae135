"""Fault matrix: connection drop, HTTP 500, replies cut halfway, slow receive and host reboot
(`--fault`) during create, update and delete of every provider, through the real providers and
real WinRM.

Each case: the subject's prerequisites (a VM, a switch, a running guest) and, for update and
delete, the object itself are made on a healthy host; the host restarts with the fault; the
operation either succeeds (after the client's retries) or fails with a clear, one-line,
secret-free error; then the host restarts healthy and the NEXT `pulumi up` is played the way
the engine would (create again if no state was recorded, update/delete again if they failed,
a refresh otherwise). It must converge: what the host holds of the object (its census, read
with plain PowerShell) is exactly what the declaration says, the state reads back equal, and
nothing is orphaned. A failure after the operation was sent says its outcome is unknown; a
create that may have made its object re-reads it at once, and else the next create recognises
it as its own (PendingCreates).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from components.providers.base import PREVIEW_INPUT, HostBoundProvider, ProviderError
from components.providers.guest_image import GuestImageProvider
from components.providers.guest_network_config import GuestNetworkConfigProvider
from components.providers.net_ip_address import NetIpAddressProvider
from components.providers.net_nat import NetNatProvider
from components.providers.vm import VmProvider
from components.providers.vm_network_adapter import VmNetworkAdapterProvider
from components.providers.vm_power_state import VmPowerStateProvider
from components.providers.vm_processor import VmProcessorProvider
from components.providers.vm_switch import VmSwitchProvider
from components.providers.windows_feature import WindowsFeatureProvider
from components.remote import POOL
from tests.components.providers.image_vms import image_vm_script
from tests.conftest import Emulator, EmulatorFactory
from tests.reliability.conftest import GUEST_PASSWORD, GUEST_USER, configure, json_runner
from tests.reliability.conftest import stack_config as make_stack_config

State = tuple[str, dict[str, Any]] | None

OPS = ("create", "update", "delete")
IMAGE = "C:\\Images\\WS2022-Datacenter.vhdx"  # the emulated host's generalized image

# PowerShell Direct into a guest for the census of guest-side objects; the guest credential is
# the test's own constant, so pasting it into this test script is safe.
GUEST_CRED = (
    f"$pw = ConvertTo-SecureString '{GUEST_PASSWORD}' -AsPlainText -Force\n"
    f"$cred = New-Object System.Management.Automation.PSCredential ('{GUEST_USER}', $pw)\n"
)


def in_guest(vm: str, body: str) -> str:
    return GUEST_CRED + f"Invoke-Command -VMName '{vm}' -Credential $cred -ScriptBlock {{ {body} }}"


@dataclass(frozen=True)
class Subject:
    """A provider, its declared inputs and an in-place change, and what the host must hold.

    census    plain PowerShell listing what the host has of this object, as strings
    present   the census once the declared inputs are applied
    changed   the census once `change` is applied (None: the change never reaches the host)
    deleted   the census after delete (empty: gone; else what delete deliberately leaves)
    setup     plain PowerShell making the prerequisites, run on a healthy host first
    settled   the outputs that must read back equal after convergence
    """

    kind: str
    provider: type[HostBoundProvider]
    inputs: dict[str, Any]
    change: dict[str, Any]
    census: str
    present: list[str]
    changed: list[str] | None
    deleted: list[str]
    setup: str = ""
    settled: Callable[[dict[str, Any]], dict[str, Any]] = field(default=lambda outs: {})
    host_ops: tuple[str, ...] = OPS  # operations that call the host at all

    def expected(self, op: str) -> list[str]:
        if op == "delete":
            return self.deleted
        if op == "update" and self.changed is not None:
            return self.changed
        return self.present


def keys(*names: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda outs: {name: outs.get(name) for name in names}


GUEST_ROUTE = {"parent": "l0", "vm_name": "fault-l1", "credential": "guest"}

SUBJECTS = (
    Subject(
        "Vm",
        VmProvider,
        {
            "name": "fault-vm",
            "memory_startup_mb": 1024,
            "disk_size_gb": 2,
            "notes": "n1",
            "owner": "lab/dev",
        },
        {"memory_startup_mb": 2048, "notes": "n2"},
        "Get-VM | Where-Object { $_.Name -eq 'fault-vm' } | "
        'ForEach-Object { "$($_.Name)/$($_.MemoryStartup)" }',
        present=["fault-vm/1073741824"],
        changed=["fault-vm/2147483648"],
        deleted=[],
        settled=keys("memory_startup_mb", "notes"),
    ),
    Subject(
        "VmSwitch",  # every host-side input replaces: its update never calls the host
        VmSwitchProvider,
        {"name": "fault-sw", "switch_type": "Internal"},
        {"adopt_existing": True},
        "Get-VMSwitch | Where-Object { $_.Name -eq 'fault-sw' } | "
        'ForEach-Object { "$($_.Name)/$($_.SwitchType)" }',
        present=["fault-sw/Internal"],
        changed=None,
        deleted=[],
        settled=keys("switch_type"),
        host_ops=("create", "delete"),
    ),
    Subject(
        "NetNat",
        NetNatProvider,
        {"name": "fault-nat", "internal_prefix": "192.168.211.0/24"},
        {"adopt_existing": True},
        "Get-NetNat | Where-Object { $_.Name -eq 'fault-nat' } | "
        'ForEach-Object { "$($_.Name)/$($_.InternalIPInterfaceAddressPrefix)" }',
        present=["fault-nat/192.168.211.0/24"],
        changed=None,
        deleted=[],
        settled=keys("internal_prefix"),
        host_ops=("create", "delete"),
    ),
    Subject(
        "VmProcessor",  # delete leaves the settings (the VM's own delete removes them)
        VmProcessorProvider,
        {"vm_name": "fault-cpu", "count": 2, "expose_virtualization_extensions": True},
        {"count": 4},
        'Get-VMProcessor -VMName fault-cpu | ForEach-Object { "$($_.Count)/'
        '$($_.ExposeVirtualizationExtensions)" }',
        present=["2/True"],
        changed=["4/True"],
        deleted=["2/True"],
        setup="New-VM -Name fault-cpu -Generation 2 -MemoryStartupBytes 1GB -NoVHD | Out-Null",
        settled=keys("count", "expose_virtualization_extensions", "vm_id"),
        host_ops=("create", "update"),
    ),
    Subject(
        "VmNetworkAdapter",  # delete disconnects the adapter
        VmNetworkAdapterProvider,
        {"vm_name": "fault-nic", "switch_name": "fault-nic-sw", "mac_address_spoofing": True},
        {"mac_address_spoofing": False},
        'Get-VMNetworkAdapter -VMName fault-nic | ForEach-Object { "$($_.SwitchName)/'
        '$($_.MacAddressSpoofing)" }',
        present=["fault-nic-sw/On"],
        changed=["fault-nic-sw/Off"],
        deleted=["/On"],
        setup=(
            "New-VM -Name fault-nic -Generation 2 -MemoryStartupBytes 1GB -NoVHD | Out-Null\n"
            "New-VMSwitch -Name fault-nic-sw -SwitchType Internal | Out-Null"
        ),
        settled=keys("switch_name", "mac_address_spoofing", "mac_address"),
    ),
    Subject(
        "VmPowerState",  # delete leaves the VM as it is
        VmPowerStateProvider,
        {"vm_name": "fault-power", "state": "Running"},
        {"state": "Off"},
        'Get-VM -Name fault-power | ForEach-Object { "$($_.State)" }',
        present=["Running"],
        changed=["Off"],
        deleted=["Running"],
        setup=(
            "New-VM -Name fault-power -Generation 2 -MemoryStartupBytes 1GB "
            "-NewVHDPath C:\\VMs\\fault-power.vhdx | Out-Null"
        ),
        settled=keys("state", "vm_id"),
        host_ops=("create", "update"),
    ),
    Subject(
        "NetIpAddress",  # interface, address and prefix all replace
        NetIpAddressProvider,
        {
            "interface_alias": "vEthernet (fault-ip-sw)",
            "ip_address": "192.168.213.1",
            "prefix_length": 24,
        },
        {"adopt_existing": True},
        "Get-NetIPAddress -InterfaceAlias 'vEthernet (fault-ip-sw)' -AddressFamily IPv4 "
        "-ErrorAction SilentlyContinue | Where-Object { $_.IPAddress -eq '192.168.213.1' } | "
        'ForEach-Object { "$($_.IPAddress)/$($_.PrefixLength)" }',
        present=["192.168.213.1/24"],
        changed=None,
        deleted=[],
        setup="New-VMSwitch -Name fault-ip-sw -SwitchType Internal | Out-Null",
        settled=keys("interface_index"),
        host_ops=("create", "delete"),
    ),
    Subject(
        "WindowsFeature",  # created without restart, then an update restarts the guest
        WindowsFeatureProvider,
        {"host": GUEST_ROUTE, "name": "Hyper-V", "restart": False},
        {"restart": True},
        in_guest("fault-l1", '"$((Get-WindowsFeature -Name Hyper-V).InstallState)"'),
        present=["InstallPending"],
        changed=["Installed"],
        deleted=["InstallPending"],
        setup=image_vm_script("fault-l1", IMAGE, GUEST_PASSWORD),
        settled=keys("installed", "restart_needed"),
        host_ops=("create", "update"),
    ),
    Subject(
        "GuestNetworkConfig",
        GuestNetworkConfigProvider,
        {
            "vm_name": "fault-guest",
            "credential": "guest",
            "ip_address": "192.168.214.10",
            "prefix_length": 24,
            "gateway": "192.168.214.1",
            "dns_servers": ["192.168.214.1"],
        },
        {"dns_servers": ["192.168.214.1", "192.168.214.2"]},
        in_guest(
            "fault-guest",
            "$i = (Get-NetAdapter -Name Ethernet).ifIndex\n"
            "Get-NetIPAddress -InterfaceIndex $i -AddressFamily IPv4 | Where-Object { "
            '"$($_.PrefixOrigin)" -eq "Manual" } | ForEach-Object { '
            '"ip $($_.IPAddress)/$($_.PrefixLength)" }\n'
            "Get-NetRoute -InterfaceIndex $i -DestinationPrefix 0.0.0.0/0 -ErrorAction "
            'SilentlyContinue | ForEach-Object { "gw $($_.NextHop)" }\n'
            '"dns $((Get-DnsClientServerAddress -InterfaceIndex $i -AddressFamily IPv4)'
            ".ServerAddresses -join ',')\"",
        ),
        present=["ip 192.168.214.10/24", "gw 192.168.214.1", "dns 192.168.214.1"],
        changed=["ip 192.168.214.10/24", "gw 192.168.214.1", "dns 192.168.214.1,192.168.214.2"],
        deleted=["dns "],
        setup=(
            "New-VMSwitch -Name fault-g-sw -SwitchType Internal | Out-Null\n"
            + image_vm_script("fault-guest", IMAGE, GUEST_PASSWORD, expose=False, memory="2GB")
            + "\nConnect-VMNetworkAdapter -VMName fault-guest -SwitchName fault-g-sw"
        ),
        settled=keys("ip_address", "dns_servers", "gateway"),
    ),
)

IMAGE = "C:\\Images\\WS2022-Datacenter.vhdx"
SUBJECTS += (
    Subject(
        "GuestImage",  # the update re-checks the copy by hash and has nothing to copy
        GuestImageProvider,
        {
            "vm_name": "fault-img",
            "guest": {"parent": "l0", "vm_name": "fault-img", "credential": "guest"},
            "source_path": IMAGE,
            "destination_path": IMAGE,
        },
        {"adopt_existing": True},
        in_guest(
            "fault-img",
            f"if (Test-Path -LiteralPath '{IMAGE}' -PathType Leaf) {{ 'copy' }}",
        )
        + '\n"gsi $((Get-VMIntegrationService -VMName fault-img '
        "-Name 'Guest Service Interface').Enabled)\"",
        present=["copy", "gsi False"],
        changed=None,
        deleted=["gsi False"],
        setup=image_vm_script("fault-img", IMAGE, GUEST_PASSWORD),
        settled=keys("sha256", "guest_sha256"),
    ),
)

FAULTS = (
    "drop-after:2",  # during the login: nothing ran
    "drop-after:LATE",  # the last reply is lost: the operation ran, the client can't know
    "http500:0.3",
    "cut-reply:0.3",  # replies cut halfway (an incomplete read): the requests were carried out
    "slow-receive:300",
    "reboot-host-after:3",  # before the operation's line was sent
    "reboot-host-after:LATE",  # while the operation runs
)


def checked(provider: HostBoundProvider, values: dict[str, Any]) -> dict[str, Any]:
    news = {"host": "l0", **values}
    if isinstance(provider, VmProvider):
        news[PREVIEW_INPUT] = False  # the check of an update's step, not a preview's lookup
    result = provider.check({}, news)
    assert result.failures == [], [(f.property, f.reason) for f in result.failures]
    return dict(result.inputs)


def apply(provider: HostBoundProvider, subject: Subject, op: str, state: State) -> State:
    """One engine step of `op`; returns the state Pulumi would record afterwards."""
    if op == "create":
        made = provider.create(checked(provider, subject.inputs))
        return made.id, dict(made.outs)
    assert state is not None
    id_, outs = state
    if op == "update":
        news = checked(provider, {**subject.inputs, **subject.change})
        diff = provider.diff(id_, outs, news)
        assert not diff.replaces
        return id_, {**news, **dict(provider.update(id_, outs, news).outs or {})}
    provider.delete(id_, outs)
    return None


def census(emu: Emulator, subject: Subject) -> list[str]:
    listed = json_runner(emu)(f"@({subject.census})")
    return [] if listed is None else [listed] if isinstance(listed, str) else list(listed)


def restart(emu: Emulator, faults: tuple[str, ...]) -> None:
    POOL.close_all()
    emu.stop()
    emu.faults = faults
    emu.start()


def run_case(
    emu: Emulator, subject: Subject, op: str, fault: str | None
) -> tuple[State, ProviderError | None, int]:
    """Prerequisites and prior state on a healthy host, then `op` under `fault` on a freshly
    restarted host; returns (state, error, requests the op's host served)."""
    config = make_stack_config(emu)
    if subject.setup:
        json_runner(emu)(subject.setup + "\n$null")
    state: State = None
    if op != "create":
        state = apply(configure(subject.provider, config), subject, "create", None)
    restart(emu, (fault,) if fault else ())
    error: ProviderError | None = None
    try:
        state = apply(configure(subject.provider, config), subject, op, state)
    except ProviderError as exc:
        error = exc
    requests = emu.counters()["requests"]
    return state, error, requests


_CALIBRATION: dict[tuple[str, str], int] = {}


def requests_of(factory: EmulatorFactory, subject: Subject, op: str) -> int:
    """How many requests `op` needs from a freshly started host (healthy run, cached)."""
    key = (subject.kind, op)
    if key not in _CALIBRATION:
        emu = factory()
        _, error, requests = run_case(emu, subject, op, None)
        assert error is None, error
        _CALIBRATION[key] = requests
        POOL.close_all()
        emu.stop()
    return _CALIBRATION[key]


def matrix() -> list[Any]:
    return [
        pytest.param(subject, op, fault, id=f"{subject.kind}-{op}-{fault}")
        for subject in SUBJECTS
        for op in subject.host_ops
        for fault in FAULTS
    ]


def test_every_provider_and_operation_is_in_the_matrix() -> None:
    """A new provider, or an operation that starts calling the host, joins the matrix."""
    covered = {subject.provider for subject in SUBJECTS}
    shipped = {
        cls
        for cls in HostBoundProvider.__subclasses__()
        if cls.__module__.startswith("components.")
    }
    assert covered == shipped
    for subject in SUBJECTS:
        local_only = set(OPS) - set(subject.host_ops)
        assert local_only <= {"update", "delete"}, subject.kind
        if "update" in local_only:
            assert subject.changed is None, f"{subject.kind}: an update that reaches the host"


@pytest.mark.parametrize(("subject", "op", "fault"), matrix())
def test_fault_then_next_up_converges(
    emulator_factory: EmulatorFactory, subject: Subject, op: str, fault: str
) -> None:
    late = fault.endswith(":LATE")  # the operation was sent: a failure cannot know its outcome
    if late:
        total = requests_of(emulator_factory, subject, op)
        assert total > 0, f"{subject.kind} {op} made no request: not a host operation"
        fault = fault.replace("LATE", str(total - 1))
    emu = emulator_factory()
    try:
        state, error, _ = run_case(emu, subject, op, fault)
        if error is not None:
            message = str(error)
            assert "\n" not in message and "Traceback" not in message, message
            assert message.startswith(("[l0", "l0")), message
            assert emu.password not in message and GUEST_PASSWORD not in message
            if late:  # never "it failed" as if nothing ran: the host may have changed
                assert "outcome is unknown" in message or "did not answer" in message, message
        # The next `pulumi up`, on a healthy host.
        restart(emu, ())
        provider = configure(subject.provider, make_stack_config(emu))
        if error is not None or (op == "create" and state is None):
            state = apply(provider, subject, op, state)
        if state is not None:
            read = provider.read(*state)
            assert read.id == state[0], f"{subject.kind} in state is gone from the host"
            assert subject.settled(dict(read.outs)) == subject.settled(state[1])
            if op == "update":
                wanted = checked(provider, {**subject.inputs, **subject.change})
                assert subject.settled(dict(read.outs)) == subject.settled({**state[1], **wanted})
        assert census(emu, subject) == subject.expected(op), "orphaned, missing or wrong object"
    finally:
        POOL.close_all()
