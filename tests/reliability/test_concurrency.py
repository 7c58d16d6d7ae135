"""20 provider operations in parallel against one emulator (as a `pulumi up --parallel`
with the provider's thread pool lifted would run them): no lost update, no shell leak."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from components.providers.base import PREVIEW_INPUT
from components.providers.vm import VmProvider
from components.remote import POOL
from tests.conftest import Emulator

PARALLEL = 20


def checked(provider: VmProvider, values: dict[str, Any]) -> dict[str, Any]:
    """The inputs an `up` (not a preview: no host lookups at check) would hand the provider."""
    result = provider.check({}, {"host": "l0", **values, PREVIEW_INPUT: False})
    assert result.failures == [], [(f.property, f.reason) for f in result.failures]
    return dict(result.inputs)


def wanted(i: int) -> dict[str, Any]:
    """Distinct settings per VM, so any cross-talk between threads shows."""
    return {
        "name": f"conc-{i:02d}",
        "memory_startup_mb": 512 + 2 * i,
        "notes": f"vm {i} \u2018{i * 7}\u2019",
        "disk_size_gb": 1 + i,
    }


def test_parallel_creates_updates_deletes_keep_each_vm_exact_and_close_every_shell(
    rel_emulator: Emulator,
    make_provider: Callable[..., Any],
    rel_json: Callable[[str], Any],
) -> None:
    provider: VmProvider = make_provider(VmProvider)  # ONE shared instance, as in Pulumi

    def create(i: int) -> tuple[str, dict[str, Any]]:
        made = provider.create(checked(provider, wanted(i)))
        return made.id, dict(made.outs)

    def update(i: int, vm: tuple[str, dict[str, Any]]) -> dict[str, Any]:
        vm_id, outs = vm
        news = checked(provider, {**wanted(i), "memory_startup_mb": 1024 + 2 * i, "notes": f"u{i}"})
        return {**news, **dict(provider.update(vm_id, outs, news).outs or {})}

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        vms = list(pool.map(create, range(PARALLEL)))
        assert len({vm_id for vm_id, _ in vms}) == PARALLEL
        updated = list(pool.map(update, range(PARALLEL), vms))

    seen = rel_json(
        "@(Get-VM | Where-Object { $_.Name -like 'conc-*' } | Sort-Object Name | "
        'ForEach-Object { @{ id = "$($_.Id)"; name = $_.Name; '
        "mb = [int64]($_.MemoryStartup / 1MB); notes = $_.Notes } })"
    )
    assert [v["name"] for v in seen] == [f"conc-{i:02d}" for i in range(PARALLEL)]
    for i, (vm, (vm_id, _)) in enumerate(zip(seen, vms, strict=True)):
        assert vm["id"] == vm_id
        assert vm["mb"] == 1024 + 2 * i, f"lost update on {vm['name']}"
        assert vm["notes"] == f"u{i}"
        read = provider.read(vm_id, updated[i])
        assert (read.outs["memory_startup_mb"], read.outs["notes"]) == (1024 + 2 * i, f"u{i}")

    assert rel_emulator.counters()["shells_open"] > 0  # warm shells were pooled...
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        list(
            pool.map(
                lambda vm: provider.delete(vm[0], vm[1]),
                zip((v for v, _ in vms), updated, strict=True),
            )
        )
    POOL.close_all()
    assert rel_emulator.counters()["shells_open"] == 0  # ...and every one is closed again
    remaining = rel_json("@(Get-VM | Where-Object { $_.Name -like 'conc-*' }).Count")
    assert remaining == 0
