"""A create whose reply is lost (`OutcomeUnknownError`) against a real emulator of its own.

The loss is induced at the provider's `create_object` seam (the transport faults themselves
are covered end to end in tests/reliability/test_faults.py): either the real create ran and
then its reply was lost, or nothing ran yet. What is checked is what the base does next:
re-read the object by identity, note the create in `PendingCreates`, and let the next create
of the same object adopt it, while a genuinely pre-existing object is still refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from components.providers.base import HostBoundProvider, Operation, ProviderError
from components.providers.net_ip_address import NetIpAddressProvider
from components.providers.net_nat import NetNatProvider
from components.providers.vm import VmProvider
from components.providers.vm_switch import VmSwitchProvider
from components.remote import OutcomeUnknownError
from tests.components.providers.conftest import ps_literal
from tests.conftest import Emulator, _new_emulator

SWITCH = "lost-reply-gw"
"""An Internal switch made once per module: its vNIC carries the NetIpAddress cases."""


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """A host of its own: WinNAT allows one NAT per host, and listings stay this module's."""
    emu = _new_emulator(Path(tmp_path_factory.mktemp("lost-reply")))
    session = emu.session()
    made = session.run_ps(f"New-VMSwitch -Name '{SWITCH}' -SwitchType Internal | Out-Null")
    assert made.status_code == 0, made.std_err
    yield emu
    emu.stop()


@dataclass(frozen=True)
class Kind:
    """A provider, inputs for an object named `name`, and plain PowerShell for that object."""

    provider: type[HostBoundProvider]
    inputs: Callable[[str], dict[str, Any]]
    make_by_hand: Callable[[str], str]
    count: Callable[[str], str]
    refusal: Callable[[str], str]


KINDS = {
    "VmSwitch": Kind(
        VmSwitchProvider,
        lambda name: {"name": name, "switch_type": "Internal"},
        lambda name: f"New-VMSwitch -Name {ps_literal(name)} -SwitchType Internal | Out-Null",
        lambda name: f"@(Get-VMSwitch | Where-Object {{ $_.Name -eq {ps_literal(name)} }}).Count",
        lambda name: (
            f"VmSwitch '{name}' already exists on l0; set adopt_existing=True to manage it"
        ),
    ),
    "NetNat": Kind(
        NetNatProvider,
        lambda name: {"name": name, "internal_prefix": "172.31.250.0/24"},
        lambda name: (
            f"New-NetNat -Name {ps_literal(name)} "
            "-InternalIPInterfaceAddressPrefix 172.31.250.0/24 | Out-Null"
        ),
        lambda name: f"@(Get-NetNat | Where-Object {{ $_.Name -eq {ps_literal(name)} }}).Count",
        lambda name: f"NetNat '{name}' already exists on l0; set adopt_existing=True to manage it",
    ),
    "Vm": Kind(
        VmProvider,
        lambda name: {"name": name, "memory_startup_mb": 512, "disk_size_gb": 1, "notes": "n"},
        lambda name: f"New-VM -Name {ps_literal(name)} -MemoryStartupBytes 512MB | Out-Null",
        lambda name: f"@(Get-VM | Where-Object {{ $_.Name -eq {ps_literal(name)} }}).Count",
        lambda name: f"Vm '{name}' already exists on l0; set adopt_existing=True to manage it",
    ),
    "NetIpAddress": Kind(
        NetIpAddressProvider,
        lambda ip: {
            "interface_alias": f"vEthernet ({SWITCH})",
            "ip_address": ip,
            "prefix_length": 24,
        },
        lambda ip: (
            f"New-NetIPAddress -InterfaceAlias 'vEthernet ({SWITCH})' -IPAddress {ip} "
            "-PrefixLength 24 | Out-Null"
        ),
        lambda ip: (
            f"@(Get-NetIPAddress -AddressFamily IPv4 | Where-Object {{ $_.IPAddress -eq "
            f"'{ip}' }}).Count"
        ),
        lambda ip: (
            f"NetIpAddress '{ip}' on 'vEthernet ({SWITCH})' already exists on l0; "
            "set adopt_existing=True to manage it"
        ),
    ),
}

NAMES = {"VmSwitch": "sw \u2018q\u2019 [1]", "NetNat": "nat $(x)", "Vm": "vm `b \u540d"}
"""An object name per kind (NetIpAddress cases use addresses instead)."""


def lose_reply(provider: HostBoundProvider, *, after_running: bool) -> None:
    """Make the provider's next creates end as if the reply was lost in transit."""
    real = provider.create_object

    def create_object(op: Operation, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        if after_running:
            real(op, inputs)
        raise OutcomeUnknownError(
            "l0",
            op.label,
            "the remote PowerShell went away (test); the operation's outcome is unknown",
        )

    provider.create_object = create_object  # type: ignore[method-assign]


@pytest.fixture
def make(
    provider_factory: Callable[[type[Any]], Any],
) -> Callable[[str], tuple[Kind, HostBoundProvider, dict[str, Any]]]:
    counter = iter(range(10, 250))

    def build(kind_name: str) -> tuple[Kind, HostBoundProvider, dict[str, Any]]:
        kind = KINDS[kind_name]
        provider = provider_factory(kind.provider)
        key = NAMES.get(kind_name) or f"172.31.9.{next(counter)}"
        result = provider.check({}, {"host": "l0", **kind.inputs(key)})
        assert result.failures == []
        return kind, provider, dict(result.inputs)

    return build


def key_of(kind_name: str, inputs: dict[str, Any]) -> str:
    return str(inputs["ip_address"] if kind_name == "NetIpAddress" else inputs["name"])


def pending(journal: Path) -> list[Path]:
    return sorted(journal.glob("*.json")) if journal.is_dir() else []


@pytest.mark.parametrize("kind_name", list(KINDS))
def test_create_whose_reply_is_lost_recognises_what_it_made(
    kind_name: str,
    make: Callable[[str], tuple[Kind, HostBoundProvider, dict[str, Any]]],
    host_json: Callable[[str], Any],
    private_journal: Path,
) -> None:
    kind, provider, inputs = make(kind_name)
    lose_reply(provider, after_running=True)
    created = provider.create(inputs)  # the re-read finds it as declared: success
    key = key_of(kind_name, inputs)
    assert int(host_json(kind.count(key))) == 1
    assert provider.read(created.id, dict(created.outs)).id == created.id
    assert pending(private_journal) == []  # outcome known: nothing left to remember
    provider.delete(created.id, dict(created.outs))
    assert int(host_json(kind.count(key))) == 0


@pytest.mark.parametrize("kind_name", list(KINDS))
def test_lost_create_fails_then_the_next_create_adopts_its_late_object(
    kind_name: str,
    make: Callable[[str], tuple[Kind, HostBoundProvider, dict[str, Any]]],
    provider_factory: Callable[[type[Any]], Any],
    host_ps: Callable[[str], str],
    host_json: Callable[[str], Any],
    private_journal: Path,
) -> None:
    kind, provider, inputs = make(kind_name)
    lose_reply(provider, after_running=False)
    with pytest.raises(ProviderError) as info:
        provider.create(inputs)
    message = str(info.value)
    assert message.startswith("[l0] create ") and "\n" not in message
    assert "outcome is unknown" in message and "the next create of the same" in message
    assert len(pending(private_journal)) == 1
    key = key_of(kind_name, inputs)
    host_ps(kind.make_by_hand(key))  # the lost operation ran after all
    again = provider_factory(kind.provider)  # the next `pulumi up`, a fresh provider process
    created = again.create(inputs)  # no adopt_existing: it is this create's own leftover
    assert int(host_json(kind.count(key))) == 1
    assert pending(private_journal) == []
    again.delete(created.id, dict(created.outs))


@pytest.mark.parametrize("kind_name", list(KINDS))
def test_a_preexisting_object_is_refused_every_time(
    kind_name: str,
    make: Callable[[str], tuple[Kind, HostBoundProvider, dict[str, Any]]],
    host_ps: Callable[[str], str],
    host_json: Callable[[str], Any],
    private_journal: Path,
) -> None:
    kind, provider, inputs = make(kind_name)
    key = key_of(kind_name, inputs)
    host_ps(kind.make_by_hand(key))
    for _ in range(2):  # a refused create leaves no note that would let the next one adopt
        with pytest.raises(ProviderError) as info:
            provider.create(inputs)
        assert str(info.value) == kind.refusal(key)
        assert pending(private_journal) == []
    adopted = provider.create({**inputs, "adopt_existing": True})
    assert int(host_json(kind.count(key))) == 1
    provider.delete(adopted.id, dict(adopted.outs))


def test_a_note_covers_only_the_same_declared_object(
    make: Callable[[str], tuple[Kind, HostBoundProvider, dict[str, Any]]],
    provider_factory: Callable[[type[Any]], Any],
    host_ps: Callable[[str], str],
    private_journal: Path,
) -> None:
    kind, provider, inputs = make("NetNat")
    lose_reply(provider, after_running=False)
    with pytest.raises(ProviderError):
        provider.create({**inputs, "internal_prefix": "172.31.251.0/24"})
    assert len(pending(private_journal)) == 1
    host_ps(kind.make_by_hand(inputs["name"]))  # same name, but not what that create declared
    with pytest.raises(ProviderError) as info:
        provider_factory(NetNatProvider).create(inputs)
    assert str(info.value) == kind.refusal(inputs["name"])
    host_ps("Get-NetNat | Remove-NetNat -Confirm:$false")
