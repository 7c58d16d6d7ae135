"""`VmProvider` against the running emulator through real WinRM (no mocks of the host)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.providers.base import PREVIEW_INPUT, ProviderError
from components.providers.properties import UNKNOWN
from components.providers.vm import (
    OWNER_TAG,
    VmProvider,
    compose_notes,
    split_notes,
    vhd_file_name,
)
from tests.components.providers.conftest import ps_literal

NASTY_NAME = (
    "vm \u2018q\u2019 \u201cdq\u201d \"dq\" 'sq' $(Stop-Computer) `b\u00fcn\u00ef \u540d\u524d [1]*"
)

NASTY_NOTES = "it's \u2018q\u2019 $(Remove-VM *) `n back`tick\r\nline 2 \U0001f600 @{a=1}; exit 7"


@pytest.fixture
def vm_provider(provider_factory: Callable[[type[Any]], Any]) -> VmProvider:
    provider: VmProvider = provider_factory(VmProvider)
    return provider


def checked(provider: VmProvider, **values: Any) -> dict[str, Any]:
    result = provider.check({}, {"host": "l0", **values})
    assert result.failures == [], [(f.property, f.reason) for f in result.failures]
    return result.inputs


def vm_state(host_json: Callable[[str], Any], vm_id: str) -> dict[str, Any]:
    """The VM as plain PowerShell on the host sees it."""
    return dict(
        host_json(
            f"$vm = Get-VM -Id {ps_literal(vm_id)}\n"
            '@{ name = $vm.Name; notes = $vm.Notes; state = "$($vm.State)"; '
            "dyn = [bool]$vm.DynamicMemoryEnabled; mb = [int64]($vm.MemoryStartup / 1MB); "
            "adapters = @($vm.NetworkAdapters | ForEach-Object { "
            "@{ n = $_.Name; s = $_.SwitchName } }) }"
        )
    )


def vm_count(host_json: Callable[[str], Any], name: str) -> int:
    return int(host_json(f"@(Get-VM | Where-Object {{ $_.Name -eq {ps_literal(name)} }}).Count"))


def test_kept_notes_of_an_adopted_vm_stay_above_the_declared_notes() -> None:
    text = compose_notes("mine", "p/s", "built by alice\nline 2")
    assert text == "built by alice\nline 2\nmine\nhyperv-lab-owner: p/s"
    assert split_notes(text, "built by alice\nline 2") == ("mine", "p/s")
    assert split_notes(compose_notes("", "p/s", "kept"), "kept") == ("", "p/s")
    assert split_notes("edited by hand\nhyperv-lab-owner: p/s", "kept") == ("edited by hand", "p/s")


def test_notes_and_owner_tag_compose_and_split_exactly() -> None:
    for notes in ["", "x", "a\nb", "a\n", "\n", NASTY_NOTES]:
        for owner in ["", "proj/dev", "p/\u00fc s"]:
            text = compose_notes(notes, owner)
            assert split_notes(text) == (notes, owner)
            assert (OWNER_TAG in text) == bool(owner)


def test_check_names_each_bad_field(vm_provider: VmProvider) -> None:
    result = vm_provider.check(
        {},
        {
            "host": "l0",
            "name": " padded",
            "generation": 3,
            "memory_startup_mb": 1001,
            "version": "nine",
            "stop_policy": "maybe",
            "colour": "red",
        },
    )
    props = {f.property for f in result.failures}
    assert props == {
        "name",
        "generation",
        "memory_startup_mb",
        "version",
        "stop_policy",
        "colour",
    }
    assert vm_provider.check({}, {"host": "nowhere", "name": "x"}).failures[0].property == "host"


def test_check_passes_unknowns_during_preview(vm_provider: VmProvider) -> None:
    result = vm_provider.check({}, {"host": "l0", "name": UNKNOWN, "memory_startup_mb": UNKNOWN})
    assert result.failures == []


def test_create_read_round_trip_with_nasty_strings_and_delete(
    vm_provider: VmProvider,
    host_ps: Callable[[str], str],
    host_json: Callable[[str], Any],
) -> None:
    inputs = checked(
        vm_provider,
        name=NASTY_NAME,
        memory_startup_mb=2048,
        disk_size_gb=20,
        notes=NASTY_NOTES,
        owner="proj/dev-\u00e4",
    )
    created = vm_provider.create(inputs)
    try:
        outs = created.outs
        assert {k: outs[k] for k in inputs} == inputs
        assert outs["vm_id"] == created.id and outs["state"] == "Off"
        assert outs["vhd_path"].endswith("\\" + vhd_file_name(NASTY_NAME))
        assert outs["actual_version"]
        on_host = vm_state(host_json, created.id)
        assert on_host["name"] == NASTY_NAME
        assert on_host["notes"] == compose_notes(NASTY_NOTES, "proj/dev-\u00e4")
        assert on_host["adapters"] == [{"n": "Network Adapter", "s": None}]
        read = vm_provider.read(created.id, outs)
        assert read.outs == outs and read.inputs == inputs
        assert vm_provider.diff(created.id, read.outs, inputs).changes is False
    finally:
        vm_provider.delete(created.id, created.outs)
    assert vm_count(host_json, NASTY_NAME) == 0
    vm_provider.delete(created.id, created.outs)  # already gone: success
    assert vm_provider.read(created.id, created.outs).id == ""
    # The disk went with it: the same name can be created again.
    again = vm_provider.create(inputs)
    vm_provider.delete(again.id, again.outs)


def test_failed_create_leaves_nothing_and_next_create_converges(
    vm_provider: VmProvider,
    host_ps: Callable[[str], str],
    host_json: Callable[[str], Any],
    unique: Callable[[str], str],
) -> None:
    name = unique("vm-partial")
    good = checked(vm_provider, name=name, memory_startup_mb=1024, dynamic_memory=True)
    # Bypasses check (which refuses odd sizes): New-VM fails as on Windows, which makes no VM
    # and no disk of a memory amount that is not a multiple of 2 MB.
    with pytest.raises(ProviderError) as info:
        vm_provider.create({**good, "memory_startup_mb": 1023})
    assert "The memory value assigned ('1023' MB) is not properly aligned." in str(info.value)
    assert vm_count(host_json, name) == 0
    disk = ps_literal(vhd_file_name(name))
    assert host_ps(f"Test-Path (Join-Path (Get-VMHost).VirtualHardDiskPath {disk})") == "False"
    created = vm_provider.create(good)
    assert created.outs["dynamic_memory"] is True
    vm_provider.delete(created.id, created.outs)


def test_dynamic_memory_below_the_default_minimum_lowers_the_minimum(
    vm_provider: VmProvider, host_json: Callable[[str], Any], unique: Callable[[str], str]
) -> None:
    """Dynamic memory needs minimum <= startup <= maximum, and a new VM's minimum is 512 MB:
    a smaller startup amount with dynamic memory (create, or turned on by an update) sets the
    minimum to it instead of failing halfway."""

    def memory(vm_id: str) -> list[int]:
        script = (
            f"$m = Get-VMMemory -VM (Get-VM -Id {ps_literal(vm_id)}); "
            "@([int]$m.DynamicMemoryEnabled, [int64]($m.Startup / 1MB), [int64]($m.Minimum / 1MB))"
        )
        return [int(v) for v in host_json(script)]

    created = vm_provider.create(
        checked(
            vm_provider, name=unique("vm-dyn-small"), memory_startup_mb=256, dynamic_memory=True
        )
    )
    assert memory(created.id) == [1, 256, 256]
    vm_provider.delete(created.id, created.outs)

    static = checked(vm_provider, name=unique("vm-dyn-later"), memory_startup_mb=384)
    later = vm_provider.create(static)
    assert memory(later.id) == [0, 384, 512]
    vm_provider.update(later.id, later.outs, {**static, "dynamic_memory": True})
    assert memory(later.id) == [1, 384, 384]
    vm_provider.delete(later.id, later.outs)


def test_existing_vm_fails_create_unless_adopted(
    vm_provider: VmProvider,
    host_ps: Callable[[str], str],
    host_json: Callable[[str], Any],
    unique: Callable[[str], str],
) -> None:
    name = unique("vm-adopt")
    host_ps(f"New-VM -Name {ps_literal(name)} -MemoryStartupBytes 1GB -Generation 2 | Out-Null")
    declared = {"name": name, "memory_startup_mb": 2048, "notes": "mine", "owner": "p/s"}
    # A preview refuses it (issue 15 item 3), not only the create.
    preview = vm_provider.check({}, {"host": "l0", **declared})
    assert [(f.property, f.reason) for f in preview.failures] == [
        (
            "name",
            f"VM '{name}' already exists on l0 and was not made by this stack; set "
            "adopt_existing: true on it in the lab to manage that VM, or rename it",
        )
    ]
    inputs = checked(vm_provider, **declared, **{PREVIEW_INPUT: False})
    with pytest.raises(ProviderError) as info:
        vm_provider.create(inputs)
    assert str(info.value) == (
        f"Vm '{name}' already exists on l0; set adopt_existing=True to manage it"
    )
    adopted = vm_provider.create({**inputs, "adopt_existing": True})
    assert adopted.outs["memory_startup_mb"] == 2048 and adopted.outs["notes"] == "mine"
    assert vm_count(host_json, name) == 1
    assert vm_state(host_json, adopted.id)["notes"] == compose_notes("mine", "p/s")
    vm_provider.delete(adopted.id, adopted.outs)


def test_adoption_keeps_the_vm_notes_and_grows_its_disk_never_replaces(
    vm_provider: VmProvider,
    host_ps: Callable[[str], str],
    host_json: Callable[[str], Any],
    unique: Callable[[str], str],
) -> None:
    name = unique("vm-adopt-notes")
    disk = f"C:\\VMs\\{name}.vhdx"
    host_ps(
        "New-Item -ItemType Directory -Force C:\\VMs | Out-Null\n"
        f"New-VM -Name {ps_literal(name)} -MemoryStartupBytes 1GB -Generation 2 "
        f"-NewVHDPath {ps_literal(disk)} -NewVHDSizeBytes 30GB | Out-Null\n"
        f"Set-VM -Name {ps_literal(name)} -Notes 'built by alice'"
    )
    size_gb = f"(Get-VHD -Path {ps_literal(disk)}).Size / 1GB"
    inputs = checked(
        vm_provider,
        name=name,
        memory_startup_mb=1024,
        disk_size_gb=20,
        notes="mine",
        owner="p/s",
        adopt_existing=True,
    )
    with pytest.raises(ProviderError) as info:
        vm_provider.create(inputs)
    assert (
        f"The disk '{disk}' of VM '{name}' is 30 GB, larger than the declared disk_size_gb 20: "
        "a disk is never shrunk (its data could be lost); declare disk_size_gb: 30 or more."
    ) in str(info.value)
    assert (
        vm_state(host_json, vm_id := host_ps(f"(Get-VM -Name {ps_literal(name)}).Id"))["notes"]
        == "built by alice"
    )  # refused before anything changed

    adopted = vm_provider.create({**inputs, "disk_size_gb": 40})
    assert adopted.id.lower() == vm_id.lower()
    assert adopted.outs["kept_notes"] == "built by alice" and adopted.outs["notes"] == "mine"
    assert vm_state(host_json, adopted.id)["notes"] == "built by alice\nmine\nhyperv-lab-owner: p/s"
    assert host_ps(size_gb) == "40"
    read = vm_provider.read(adopted.id, adopted.outs)
    assert read.outs == adopted.outs
    assert not vm_provider.diff(adopted.id, read.outs, {**inputs, "disk_size_gb": 40}).changes

    # Grown by hand: the diff is an update, which refuses to shrink it back; nothing replaced.
    host_ps(f"Resize-VHD -Path {ps_literal(disk)} -SizeBytes 50GB")
    read = vm_provider.read(adopted.id, adopted.outs)
    assert read.outs["disk_size_gb"] == 50
    diff = vm_provider.diff(adopted.id, read.outs, {**inputs, "disk_size_gb": 40})
    assert diff.changes and diff.replaces == []
    with pytest.raises(ProviderError, match="is 50 GB, larger than the declared disk_size_gb 40"):
        vm_provider.update(adopted.id, read.outs, {**inputs, "disk_size_gb": 40})
    updated = vm_provider.update(adopted.id, read.outs, {**inputs, "disk_size_gb": 60})
    assert updated.outs["disk_size_gb"] == 60 and host_ps(size_gb) == "60"
    vm_provider.delete(adopted.id, updated.outs)


def test_vm_tagged_with_this_owner_is_adopted_as_its_own_leftover(
    vm_provider: VmProvider,
    host_ps: Callable[[str], str],
    host_json: Callable[[str], Any],
    unique: Callable[[str], str],
) -> None:
    # What a create that failed after New-VM (its reply lost) leaves behind: a VM whose Notes
    # carry this stack's owner tag. The next create takes it over without adopt_existing.
    name = unique("vm-leftover")
    tag = compose_notes("old", "p/s")
    host_ps(
        f"New-VM -Name {ps_literal(name)} -MemoryStartupBytes 1GB | Set-VM -Notes {ps_literal(tag)}"
    )
    inputs = checked(vm_provider, name=name, memory_startup_mb=2048, notes="new", owner="p/s")
    adopted = vm_provider.create(inputs)
    assert vm_count(host_json, name) == 1
    on_host = vm_state(host_json, adopted.id)
    assert on_host["notes"] == compose_notes("new", "p/s") and on_host["mb"] == 2048
    vm_provider.delete(adopted.id, adopted.outs)


@pytest.mark.parametrize("notes", ["", "no tag here", compose_notes("", "other/stack")])
def test_vm_without_this_owner_tag_is_refused_without_adopt_existing(
    vm_provider: VmProvider,
    host_ps: Callable[[str], str],
    host_json: Callable[[str], Any],
    unique: Callable[[str], str],
    notes: str,
) -> None:
    name = unique("vm-foreign")
    host_ps(
        f"New-VM -Name {ps_literal(name)} -MemoryStartupBytes 1GB | "
        f"Set-VM -Notes {ps_literal(notes)}"
    )
    # (check would already refuse the other stack's VM at preview; create must too)
    inputs, failures = vm_provider.properties.check({"host": "l0", "name": name, "owner": "p/s"})
    assert failures == []
    with pytest.raises(ProviderError) as info:
        vm_provider.create(inputs)
    assert str(info.value) == (
        f"VM '{name}' on l0 belongs to stack 'other/stack'"  # adopt_existing would not help
        if notes.endswith("other/stack")
        else f"Vm '{name}' already exists on l0; set adopt_existing=True to manage it"
    )
    assert vm_count(host_json, name) == 1
    host_ps(f"Get-VM | Where-Object {{ $_.Name -eq {ps_literal(name)} }} | Remove-VM -Force")


def test_create_is_one_operation_and_check_one_lookup(
    vm_provider: VmProvider, emulator: Any, unique: Callable[[str], str]
) -> None:
    name = unique("vm-trips")
    vm_provider.read("00000000-0000-0000-0000-000000000000", {"host": "l0"})  # warm session
    before = emulator.counters()["requests"]
    inputs = checked(vm_provider, name=name, memory_startup_mb=512, disk_size_gb=1)
    after_check = emulator.counters()["requests"]
    created = vm_provider.create(inputs)
    after_create = emulator.counters()["requests"]
    assert after_check - before == 2  # the owner lookup: one Send + one Receive
    assert after_create - after_check == 2  # existence check folded into create.ps1
    vm_provider.delete(created.id, created.outs)


def test_check_in_an_update_leaves_the_owner_check_to_create(
    vm_provider: VmProvider, emulator: Any, unique: Callable[[str], str]
) -> None:
    """The program marks its registrations with the SDK's dry-run flag; outside a preview,
    check does not look the name up (create.ps1 refuses another stack's VM in the create's
    own operation), and the mark never reaches the checked inputs (state, diffs)."""
    name = unique("vm-update-check")
    theirs = vm_provider.create(checked(vm_provider, name=name, owner="proj/dev-b"))
    vm_provider.read("00000000-0000-0000-0000-000000000000", {"host": "l0"})  # warm session
    mine = {"host": "l0", "name": name, "owner": "proj/dev-a"}
    before = emulator.counters()["requests"]
    update = vm_provider.check({}, {**mine, PREVIEW_INPUT: False})
    assert update.failures == [] and PREVIEW_INPUT not in update.inputs
    assert emulator.counters()["requests"] == before
    with pytest.raises(ProviderError, match="belongs to stack 'proj/dev-b'"):
        vm_provider.create({**update.inputs, "adopt_existing": True})
    preview = vm_provider.check({}, {**mine, PREVIEW_INPUT: True})
    assert [f.reason for f in preview.failures] == [
        f"VM '{name}' on l0 belongs to stack 'proj/dev-b'"
    ]
    assert PREVIEW_INPUT not in preview.inputs
    vm_provider.delete(theirs.id, theirs.outs)


def test_check_of_a_vm_already_in_state_costs_no_round_trip(
    vm_provider: VmProvider, emulator: Any, unique: Callable[[str], str]
) -> None:
    """Previews and updates of a lab must not look up every VM again: the state's previous
    inputs (same host and name) already say the VM is this stack's."""
    name = unique("vm-known")
    olds = {"host": "l0", "name": name, "owner": "proj/dev-a", "memory_startup_mb": 512}
    vm_provider.read("00000000-0000-0000-0000-000000000000", {"host": "l0"})  # warm session
    before = emulator.counters()["requests"]
    result = vm_provider.check(olds, {**olds, "memory_startup_mb": 1024})
    assert result.failures == []
    assert emulator.counters()["requests"] == before
    # A guest route as state keeps it (None fields dropped) vs as check spells it out.
    route = {"parent": {"host": "l0"}, "vm_name": "l1", "credential": "guest"}
    spelled = {
        "host": None,
        "parent": {"host": "l0", "parent": None, "vm_name": None, "credential": None},
        "vm_name": "l1",
        "credential": "guest",
    }
    in_guest = vm_provider.check({**olds, "host": route}, {**olds, "host": spelled})
    assert in_guest.failures == []
    assert emulator.counters()["requests"] == before
    renamed = vm_provider.check(olds, {**olds, "name": name + "-2"})
    assert renamed.failures == []
    assert emulator.counters()["requests"] - before == 2  # a new name is looked up


def test_a_vm_in_state_whose_owner_changes_is_re_tagged_not_refused(
    vm_provider: VmProvider, host_json: Callable[[str], Any], unique: Callable[[str], str]
) -> None:
    """A stack that gets an owner id (`proj/dev-a` -> `proj/dev-a/<id>`) keeps its VM: the
    preview's check does not take the old tag for another stack's, the update rewrites it."""
    name = unique("vm-new-owner")
    inputs = checked(vm_provider, name=name, owner="proj/dev-a")
    created = vm_provider.create(inputs)
    new_owner = "proj/dev-a/3f2b8c1e-0d4a-4c7e-9b1f-2a6d5e8c9f01"
    result = vm_provider.check(inputs, {**inputs, "owner": new_owner, PREVIEW_INPUT: True})
    assert result.failures == []
    assert vm_provider.diff(created.id, created.outs, result.inputs).changes
    vm_provider.update(created.id, created.outs, result.inputs)
    assert vm_state(host_json, created.id)["notes"] == f"{OWNER_TAG}{new_owner}"
    vm_provider.delete(created.id, created.outs)


def test_check_refuses_a_name_owned_by_another_stack(
    vm_provider: VmProvider, unique: Callable[[str], str]
) -> None:
    name = unique("vm-owned")
    theirs = vm_provider.create(checked(vm_provider, name=name, owner="proj/dev-b"))
    result = vm_provider.check({}, {"host": "l0", "name": name, "owner": "proj/dev-a"})
    assert [(f.property, f.reason) for f in result.failures] == [
        ("name", f"VM '{name}' on l0 belongs to stack 'proj/dev-b'")
    ]
    mine = checked(vm_provider, name=name, owner="proj/dev-b")
    with pytest.raises(ProviderError, match="belongs to stack 'proj/dev-b'"):
        vm_provider.create({**mine, "owner": "x/y", "adopt_existing": True})
    vm_provider.delete(theirs.id, theirs.outs)


def test_drift_made_with_plain_powershell_is_seen_by_read(
    vm_provider: VmProvider,
    host_ps: Callable[[str], str],
    host_json: Callable[[str], Any],
    unique: Callable[[str], str],
) -> None:
    name = unique("vm-drift")
    inputs = checked(vm_provider, name=name, memory_startup_mb=2048, notes="declared", owner="p/s")
    created = vm_provider.create(inputs)
    host_ps(
        f"$vm = Get-VM -Id {ps_literal(created.id)}; "
        "Set-VM -VM $vm -Notes 'by hand' -MemoryStartupBytes 3GB"
    )
    read = vm_provider.read(created.id, created.outs)
    assert read.outs["notes"] == "by hand" and read.outs["owner"] == ""
    assert read.outs["memory_startup_mb"] == 3072
    diff = vm_provider.diff(created.id, read.outs, inputs)
    assert diff.changes is True and diff.replaces == []
    updated = vm_provider.update(created.id, read.outs, inputs)
    assert updated.outs == created.outs
    assert vm_provider.read(created.id, updated.outs).outs == created.outs
    vm_provider.delete(created.id, updated.outs)


def test_diff_declares_replace_vs_update_in_place(vm_provider: VmProvider) -> None:
    olds = {
        **checked(vm_provider, name="a", version="9.0"),
        "vm_id": "id",
        "state": "Off",
        "vhd_path": "p",
        "actual_version": "9.0",
    }

    def diff(**news: Any) -> tuple[bool, list[str]]:
        d = vm_provider.diff("id", olds, {**checked(vm_provider, name="a", version="9.0"), **news})
        return bool(d.changes), sorted(d.replaces)

    assert diff() == (False, [])
    assert diff(notes="n") == (True, [])
    assert diff(memory_startup_mb=2048, dynamic_memory=True) == (True, [])
    assert diff(version="10.0") == (True, [])
    assert diff(version=None) == (True, [])
    assert diff(version="8.0") == (True, ["version"])
    assert diff(name="b") == (True, ["name"])
    assert diff(generation=1) == (True, ["generation"])
    assert diff(disk_size_gb=80) == (True, [])  # grown in place (a shrink is refused)
    assert diff(host="other") == (True, ["host"])
    assert vm_provider.diff("id", olds, {**olds, "name": UNKNOWN}).replaces == ["name"]


def test_version_raised_in_place_with_update_vmversion(
    vm_provider: VmProvider,
    host_ps: Callable[[str], str],
    host_json: Callable[[str], Any],
    unique: Callable[[str], str],
) -> None:
    name = unique("vm-version")
    old = checked(vm_provider, name=name, version="8.0", memory_startup_mb=1024)
    created = vm_provider.create(old)
    assert created.outs["actual_version"] == "8.0"
    new = {**old, "version": "10.0"}
    assert vm_provider.diff(created.id, created.outs, new).replaces == []
    updated = vm_provider.update(created.id, created.outs, new)
    assert updated.outs["actual_version"] == "10.0" and updated.outs["version"] == "10.0"
    assert vm_provider.diff(created.id, updated.outs, old).replaces == ["version"]
    vm_provider.delete(created.id, updated.outs)


def test_memory_change_on_running_vm_follows_stop_policy(
    vm_provider: VmProvider,
    host_ps: Callable[[str], str],
    host_json: Callable[[str], Any],
    unique: Callable[[str], str],
) -> None:
    name = unique("vm-policy")
    inputs = checked(vm_provider, name=name, memory_startup_mb=1024)
    created = vm_provider.create(inputs)
    host_ps(f"Start-VM -VM (Get-VM -Id {ps_literal(created.id)})")
    dynamic = {**inputs, "dynamic_memory": True}
    with pytest.raises(ProviderError) as info:
        vm_provider.update(created.id, created.outs, dynamic)
    text = str(info.value)
    assert text.startswith("l0: update Vm failed: ") and "stop_policy='stop-and-restore'" in text
    assert "\n" not in text
    unchanged = vm_state(host_json, created.id)
    assert unchanged["dyn"] is False and unchanged["state"] == "Running"

    restore = {**dynamic, "stop_policy": "stop-and-restore"}
    updated = vm_provider.update(created.id, created.outs, restore)
    assert updated.outs["dynamic_memory"] is True and updated.outs["state"] == "Running"
    assert created.outs["restarts"] == 0 and updated.outs["restarts"] == 1
    assert vm_provider.read(created.id, updated.outs).outs["restarts"] == 1  # kept by a read
    after = vm_state(host_json, created.id)
    assert after["dyn"] is True and after["state"] == "Running"
    vm_provider.delete(created.id, updated.outs)  # delete turns a running VM off first
    assert vm_count(host_json, name) == 0


def test_startup_memory_of_a_running_vm_with_dynamic_memory_needs_it_off(
    vm_provider: VmProvider,
    host_ps: Callable[[str], str],
    host_json: Callable[[str], Any],
    unique: Callable[[str], str],
) -> None:
    """Windows resizes a running VM's static memory, but with dynamic memory on only raises
    the maximum or lowers the minimum (Hyper-V Dynamic Memory Overview, "Run-time Dynamic
    Memory configuration changes"): the preview says a startup change needs the VM Off, as it
    says for a static one with Hyper-V inside, and stop-and-restore applies it."""
    name = unique("vm-dynamic")
    inputs = checked(vm_provider, name=name, memory_startup_mb=1024, dynamic_memory=True)
    created = vm_provider.create(inputs)
    host_ps(f"Start-VM -VM (Get-VM -Id {ps_literal(created.id)})")
    more = {**inputs, "memory_startup_mb": 2048}
    with pytest.raises(ProviderError, match="changing memory_startup_mb needs the VM Off"):
        vm_provider.diff(created.id, created.outs, more)
    with pytest.raises(ProviderError) as info:  # what the preview foretold
        vm_provider.update(created.id, created.outs, more)
    assert "current state" in str(info.value)
    assert vm_state(host_json, created.id)["mb"] == 1024
    restore = {**more, "stop_policy": "stop-and-restore"}
    updated = vm_provider.update(created.id, created.outs, restore)
    assert updated.outs["memory_startup_mb"] == 2048 and updated.outs["state"] == "Running"
    static = {**restore, "dynamic_memory": False, "stop_policy": "fail"}
    updated = vm_provider.update(
        created.id, updated.outs, {**static, "stop_policy": "stop-and-restore"}
    )
    assert vm_provider.diff(created.id, updated.outs, {**static, "memory_startup_mb": 4096}).changes
    vm_provider.delete(created.id, updated.outs)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=st.text(
        st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=30
    ).filter(lambda s: s == s.strip()),
    notes=st.text(st.characters(blacklist_categories=("Cs",)), max_size=60).filter(
        lambda s: "hyperv-lab-owner:" not in s
    ),
)
def test_arbitrary_names_and_notes_reach_the_host_unchanged(
    vm_provider: VmProvider,
    host_ps: Callable[[str], str],
    host_json: Callable[[str], Any],
    name: str,
    notes: str,
) -> None:
    inputs = checked(vm_provider, name=name, notes=notes, memory_startup_mb=512, disk_size_gb=1)
    created = vm_provider.create(inputs)
    try:
        on_host = vm_state(host_json, created.id)
        assert on_host["name"] == name and on_host["notes"] == notes
        assert vm_provider.read(created.id, created.outs).outs == created.outs
    finally:
        vm_provider.delete(created.id, created.outs)
