"""Hypothesis fuzz of every string input through provider -> WinRM -> emulator.

Each value must be stored exactly (the provider's read AND an independent `Get-*` through
plain pywinrm return the same text) or refused at `check` naming the field, and NEVER
executed: the emulator records every cmdlet it runs (`world.executed`, persisted in its
state file); the injected payloads call marker cmdlets no product script uses, so any
marker in that record means injected text ran. Seeded (`derandomize=True`), 500+ examples
in total, no time limits per example.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.providers.base import ProviderError
from components.providers.guest_network_config import GuestNetworkConfigProvider
from components.providers.net_nat import NetNatProvider
from components.providers.vm import VmProvider
from components.providers.vm_switch import VmSwitchProvider
from components.remote import POOL
from tests.conftest import Emulator, EmulatorFactory
from tests.reliability.conftest import ExecutedLog, configure, stack_config

MARKERS = frozenset({"Get-Random", "Write-Host", "Remove-Variable", "Restart-Computer"})
"""Cmdlets the emulator implements that no script of the fuzzed providers (or the remote
framework) calls: seeing one in the executed record means an input was executed."""

INJECTIONS = (
    "$(Get-Random)",
    "`$(Get-Random)",
    "'; Get-Random; '",
    '"; Get-Random; "',
    "\u2019; Get-Random; \u2018",
    "\u201c; Write-Host pwned; \u201d",
    "' + (Get-Random) + '",
    '" + $(Write-Host x) + "',
    "@(Remove-Variable ErrorActionPreference)",
    "${Get-Random}",
    "& Get-Random",
    "| Write-Host",
    "; Restart-Computer -Force #",
    "\nGet-Random\n",
    "\r\nWrite-Host x\r\n",
    "`nGet-Random",
    "<# #> Get-Random",
    "$env:USERNAME",
    "{0}{1}",
    "%PATH%",
    "@{a=1}",
    "$true",
    "`",
    "'",
    '"',
    "\u00fc\u540d\u524d\U0001f600",
)

NASTY = "'\"`$(){}[];|&<>#@%\\/\u2018\u2019\u201c\u201d\u00e9\u00fc\u540d\U0001f600 -_.,=*?+~!^"

plain_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(NASTY),
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
    ),
    min_size=0,
    max_size=24,
)


def with_injection(base: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """`base` text, or `base` + an injection payload + `base`."""
    return st.one_of(
        base,
        st.builds(lambda a, p, b: a + p + b, base, st.sampled_from(INJECTIONS), base),
    )


fuzz_text = with_injection(plain_text)
fuzz_name = fuzz_text.filter(lambda s: s != "")

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def assert_nothing_injected(executed_log: ExecutedLog, mark: int) -> None:
    ran = executed_log.since(mark)
    leaked = sorted(MARKERS.intersection(ran))
    assert not leaked, f"injected text was executed: {leaked}"


def check_or_refusal(
    provider: Any, values: dict[str, Any], fields: set[str]
) -> dict[str, Any] | None:
    """The checked inputs, or None when check refused (only ever naming `fields`)."""
    result = provider.check({}, {"host": "l0", **values})
    if result.failures:
        named = {f.property.split(".", 1)[0] for f in result.failures}
        assert named <= fields, [(f.property, f.reason) for f in result.failures]
        return None
    return dict(result.inputs)


def listed(rel_json: Callable[[str], Any], command: str) -> list[str]:
    """Names `command` lists on the host (ConvertTo-Json of an empty array is null)."""
    names = rel_json(f"@({command} | ForEach-Object {{ $_.Name }})")
    return [] if names is None else [names] if isinstance(names, str) else list(names)


def ps_quote(value: str) -> str:
    """A single-quoted PowerShell literal for independent test-side checks."""
    for quote in "'\u2018\u2019\u201a\u201b":
        value = value.replace(quote, quote + quote)
    return f"'{value}'"


@pytest.fixture
def vm_provider(make_provider: Callable[..., Any]) -> VmProvider:
    provider: VmProvider = make_provider(VmProvider)
    return provider


@settings(FUZZ, max_examples=170)
@given(name=fuzz_name, notes=fuzz_text)
def test_vm_name_and_notes_stored_exactly_never_executed(
    vm_provider: VmProvider,
    rel_json: Callable[[str], Any],
    executed_log: ExecutedLog,
    name: str,
    notes: str,
) -> None:
    mark = executed_log.mark()
    values = {"name": name, "notes": notes, "memory_startup_mb": 512, "disk_size_gb": 1}
    inputs = check_or_refusal(vm_provider, values, {"name", "notes"})
    if inputs is not None:
        created = vm_provider.create(inputs)
        try:
            read = vm_provider.read(created.id, dict(created.outs))
            assert (read.outs["name"], read.outs["notes"]) == (name, notes)
            on_host = rel_json(
                f"$vm = Get-VM -Id {ps_quote(created.id)}\n@{{ n = $vm.Name; t = $vm.Notes }}"
            )
            assert on_host == {"n": name, "t": notes}
        finally:
            vm_provider.delete(created.id, dict(created.outs))
        gone = rel_json(f"@(Get-VM | Where-Object {{ $_.Id -eq {ps_quote(created.id)} }}).Count")
        assert gone == 0
    assert_nothing_injected(executed_log, mark)


@settings(FUZZ, max_examples=140)
@given(name=fuzz_name)
def test_switch_name_stored_exactly_never_executed(
    make_provider: Callable[..., Any],
    rel_json: Callable[[str], Any],
    executed_log: ExecutedLog,
    name: str,
) -> None:
    provider: VmSwitchProvider = make_provider(VmSwitchProvider)
    mark = executed_log.mark()
    inputs = check_or_refusal(provider, {"name": name, "switch_type": "Private"}, {"name"})
    if inputs is not None:
        created = provider.create(inputs)
        try:
            read = provider.read(created.id, dict(created.outs))
            assert read.outs["name"] == name
            assert listed(rel_json, "Get-VMSwitch").count(name) == 1
        finally:
            provider.delete(created.id, dict(created.outs))
        assert name not in listed(rel_json, "Get-VMSwitch")
    assert_nothing_injected(executed_log, mark)


@settings(FUZZ, max_examples=90)
@given(name=fuzz_name)
def test_nat_name_stored_exactly_never_executed(
    make_provider: Callable[..., Any],
    rel_json: Callable[[str], Any],
    executed_log: ExecutedLog,
    name: str,
) -> None:
    provider: NetNatProvider = make_provider(NetNatProvider)
    mark = executed_log.mark()
    values = {"name": name, "internal_prefix": "172.31.250.0/24"}
    inputs = check_or_refusal(provider, values, {"name"})
    if inputs is not None:
        created = provider.create(inputs)
        try:
            read = provider.read(created.id, dict(created.outs))
            assert read.outs["name"] == name
            assert listed(rel_json, "Get-NetNat").count(name) == 1
        finally:
            provider.delete(created.id, dict(created.outs))
        assert name not in listed(rel_json, "Get-NetNat")
    assert_nothing_injected(executed_log, mark)


def _is_ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


@settings(FUZZ, max_examples=120)
@given(
    dns=st.lists(
        st.one_of(
            fuzz_text,
            st.ip_addresses(v=4).map(str),
            st.builds(
                lambda ip, p: ip + p, st.ip_addresses(v=4).map(str), st.sampled_from(INJECTIONS)
            ),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_dns_strings_validated_before_anything_runs(
    make_provider: Callable[..., Any], executed_log: ExecutedLog, dns: list[str]
) -> None:
    """A DNS list is accepted only when every entry is an IPv4 address (kept in order and
    exactly); anything else is refused at check naming `dns_servers`, before any remote call."""
    provider = make_provider(GuestNetworkConfigProvider)
    mark = executed_log.mark()
    values = {
        "vm_name": "fuzz-guest",
        "credential": "guest",
        "ip_address": "192.168.77.10",
        "prefix_length": 24,
        "gateway": "192.168.77.1",
        "dns_servers": dns,
    }
    inputs = check_or_refusal(provider, values, {"dns_servers"})
    if all(_is_ipv4(d) for d in dns):
        assert inputs is not None and inputs["dns_servers"] == dns
    else:
        assert inputs is None
    assert executed_log.since(mark) == []  # check never talks to the host


IMAGE = "C:\\Images\\WS2022-Datacenter.vhdx"  # the emulated host's generalized image
_guests = iter(range(1_000_000))


def boot_guest(rel_json: Callable[[str], Any], vm_provider: VmProvider) -> tuple[str, Any]:
    """A running guest made by the Vm provider from the image, whose answer file gives its
    Administrator the fuzzed password of the `guest` credential: (name, the Vm's create)."""
    name = f"fuzz-guest-{next(_guests)}"
    inputs = check_or_refusal(
        vm_provider,
        {
            "name": name,
            "memory_startup_mb": 2048,
            "image": "ws2022",
            "image_path": IMAGE,
            "credential": "guest",
        },
        set(),
    )
    assert inputs is not None
    made = vm_provider.create(inputs)
    rel_json(f"Start-VM -Name {ps_quote(name)}\n$true")
    return name, made


@settings(FUZZ, max_examples=60)
@given(
    password=with_injection(
        st.text(alphabet=st.sampled_from(NASTY + "abcXYZ019"), min_size=8, max_size=24)
    ).filter(lambda s: len(s) >= 8)
)
def test_guest_credential_and_dns_through_powershell_direct(
    rel_emulator: Emulator,
    rel_json: Callable[[str], Any],
    executed_log: ExecutedLog,
    password: str,
) -> None:
    """A guest password reaches the guest's answer file and PowerShell Direct as data (never
    executed; the guest accepts exactly it) and never shows in an error; DNS servers set in
    the guest are read back exactly."""
    config = stack_config(rel_emulator, guest_password=password)
    provider = configure(GuestNetworkConfigProvider, config)
    vm_provider = configure(VmProvider, config)
    mark = executed_log.mark()
    guest_vm, vm = boot_guest(rel_json, vm_provider)
    inputs = check_or_refusal(
        provider,
        {
            "vm_name": guest_vm,
            "credential": "guest",
            "ip_address": "192.168.77.10",
            "prefix_length": 24,
            "gateway": "192.168.77.1",
            "dns_servers": ["192.168.77.1", "8.8.8.8"],
        },
        set(),
    )
    assert inputs is not None
    created = provider.create(inputs)
    try:
        read = provider.read(created.id, dict(created.outs))
        assert read.outs["dns_servers"] == ["192.168.77.1", "8.8.8.8"]
    finally:
        provider.delete(created.id, dict(created.outs))
    missing = {**inputs, "adapter_name": "no-such-adapter"}  # fails inside the guest
    with pytest.raises(ProviderError) as failed:
        provider.create(missing)
    assert password not in str(failed.value)
    vm_provider.delete(vm.id, dict(vm.outs))
    assert_nothing_injected(executed_log, mark)


@settings(FUZZ, max_examples=6)
@given(
    password=st.text(
        alphabet=st.sampled_from("'\"`$(){};|&<>#@%\\\u2019\u00e9\u540dabcXYZ019-"),
        min_size=10,
        max_size=20,
    )
)
def test_host_password_passed_exactly_and_never_shown(
    emulator_factory: EmulatorFactory, password: str
) -> None:
    """An NTLM password full of shell/PowerShell syntax logs in (it arrived exactly), and a
    one-character-off password is refused without the password in the message."""
    emu = emulator_factory(password=password)
    try:
        ok = configure(VmSwitchProvider, stack_config(emu))
        created = ok.create(dict(ok.check({}, {"host": "l0", "name": "pw-ok"}).inputs))
        ok.delete(created.id, dict(created.outs))
        wrong = password[:-1] + ("x" if password[-1] != "x" else "y")
        bad = configure(VmSwitchProvider, stack_config(emu, password=wrong))
        with pytest.raises(ProviderError) as refused:
            bad.create(dict(bad.check({}, {"host": "l0", "name": "pw-bad"}).inputs))
        assert "password" in str(refused.value)
        assert password not in str(refused.value) and wrong not in str(refused.value)
    finally:
        POOL.close_all()
        emu.stop()


def test_the_executed_record_does_show_a_marker_that_ran(
    rel_json: Callable[[str], Any], executed_log: ExecutedLog
) -> None:
    """Guards the oracle above: a marker that really runs is seen."""
    mark = executed_log.mark()
    rel_json("$null = Get-Random; $true")
    with pytest.raises(AssertionError, match="Get-Random"):
        assert_nothing_injected(executed_log, mark)
