"""Round trips, shells and PowerShell starts per provider operation, ours vs the naive baseline.

Runs the emulator with a realistic latency model (`--latency-ms 40 --ps-start-ms 300`), then
for each provider a check/create/read/update/delete cycle through the real provider classes
(configured as the engine does): one warm-up cycle each, then `--cycles` measured cycles with
the project's transport (`RemotePowerShell`: one warm shell + PowerShell per host), then the
same cycles with the naive transport (bench/naive_transport.py). Counts come from the
emulator's `/hypervsim/counters`. Budget per operation (amortized, warm): <= 2 round trips
and 0 PowerShell starts. Prints tables and writes bench/results/provider_ops.json. Numbers
are reported, never asserted.

Usage: .tools/venv/bin/python bench/bench_provider_ops.py [--cycles 2] [--latency-ms 40]
       [--ps-start-ms 300] [--providers Vm,NetNat] [--out bench/results/provider_ops.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.lab_emulator import configured, running_emulator, stack_config_for
from bench.naive_transport import naive_transport
from bench.provider_cycles import CYCLES, OPERATIONS, Meter, Sample, run_cycle
from bench.tables import format_table
from components.providers.base import HostBoundProvider
from components.remote import POOL

RESULTS = Path(__file__).resolve().parent / "results" / "provider_ops.json"
BUDGET_ROUND_TRIPS = 2
BUDGET_PS_STARTS = 0


def mean_counts(samples: list[Sample]) -> dict[str, float]:
    keys = samples[0].counts.keys()
    out = {k: statistics.fmean(s.counts[k] for s in samples) for k in keys}
    out["ms"] = statistics.fmean(s.seconds for s in samples) * 1000.0
    return out


def group(samples: list[Sample]) -> dict[tuple[str, str], dict[str, float]]:
    grouped: dict[tuple[str, str], list[Sample]] = defaultdict(list)
    for s in samples:
        grouped[(s.provider, s.operation)].append(s)
    return {key: mean_counts(v) for key, v in grouped.items()}


def ratio(naive: float, ours: float) -> float | None:
    return round(naive / ours, 1) if ours else None


def measure(args: argparse.Namespace) -> dict[str, Any]:
    cycles = [c for c in CYCLES if not args.providers or c.kind in args.providers]
    with running_emulator(latency_ms=args.latency_ms, ps_start_ms=args.ps_start_ms) as emu:
        config = stack_config_for(emu, backoff_s=0.05)

        def make(cls: type[HostBoundProvider]) -> HostBoundProvider:
            return configured(cls, config)

        warm = Meter(emu.counters)
        for cycle in cycles:
            run_cycle(cycle, make, warm, f"warm-{len(warm.samples)}")
        ours = Meter(emu.counters)
        for n in range(args.cycles):
            for cycle in cycles:
                run_cycle(cycle, make, ours, f"ours-{n * 10 + len(ours.samples)}")
        naive = Meter(emu.counters, transport=naive_transport)
        for n in range(args.cycles):
            for cycle in cycles:
                run_cycle(cycle, make, naive, f"naive-{n * 10 + len(naive.samples)}")
        POOL.close_all()
        time.sleep(0.2)
        shells_left = emu.counters()["shells_open"]
    return {
        "cycles": cycles,
        "warm": warm.samples,
        "ours": ours.samples,
        "naive": naive.samples,
        "shells_open_after_close_all": shells_left,
    }


def report(args: argparse.Namespace, measured: dict[str, Any]) -> dict[str, Any]:
    ours, naive = group(measured["ours"]), group(measured["naive"])
    rows: list[dict[str, Any]] = []
    for cycle in measured["cycles"]:
        for op in OPERATIONS:
            o, n = ours[(cycle.kind, op)], naive[(cycle.kind, op)]
            rows.append(
                {
                    "provider": cycle.kind,
                    "operation": op,
                    "ours": o,
                    "naive": n,
                    "round_trip_ratio": ratio(n["requests"], o["requests"]),
                    "time_ratio": ratio(n["ms"], o["ms"]),
                    "within_budget": o["requests"] <= BUDGET_ROUND_TRIPS
                    and o["powershell_starts"] <= BUDGET_PS_STARTS,
                }
            )
    per_provider: dict[str, dict[str, Any]] = {}
    for cycle in measured["cycles"]:
        mine = [s for s in measured["ours"] if s.provider == cycle.kind]
        base = [s for s in measured["naive"] if s.provider == cycle.kind]
        remote = [s for s in mine if s.counts["requests"]]
        per_provider[cycle.kind] = {
            "ours_per_op": mean_counts(mine),
            "ours_per_remote_op": mean_counts(remote) if remote else None,
            "naive_per_op": mean_counts(base),
        }
    all_ours, all_naive = mean_counts(measured["ours"]), mean_counts(measured["naive"])
    warm = measured["warm"]
    return {
        "settings": {
            "latency_ms": args.latency_ms,
            "ps_start_ms": args.ps_start_ms,
            "measured_cycles": args.cycles,
            "budget": {"round_trips": BUDGET_ROUND_TRIPS, "powershell_starts": BUDGET_PS_STARTS},
            "naive": "fresh winrm.Session per command; script uploaded in base64 chunks "
            "(one `echo <chunk> >> file` per chunk, winrmcp sizing) then run_ps; lower bound "
            "(no scheduled task/decode/cleanup). The emulator discards `>> file` output.",
        },
        "rows": rows,
        "per_provider": per_provider,
        "totals": {
            "ours_per_op": all_ours,
            "naive_per_op": all_naive,
            "round_trip_ratio": ratio(all_naive["requests"], all_ours["requests"]),
            "time_ratio": ratio(all_naive["ms"], all_ours["ms"]),
        },
        "cold_first_operation": warm[0].counts | {"ms": warm[0].seconds * 1000.0},
        "warm_up_cycle_per_op": mean_counts(warm),
        "shells_open_after_close_all": measured["shells_open_after_close_all"],
    }


def print_report(result: dict[str, Any]) -> None:
    s = result["settings"]
    print(
        f"\n== provider operations (latency {s['latency_ms']} ms/round trip, PowerShell start "
        f"{s['ps_start_ms']} ms; mean of {s['measured_cycles']} warm cycles) =="
    )
    headers = [
        "provider",
        "op",
        "RT",
        "PS",
        "shells",
        "ms",
        "naive RT",
        "naive PS",
        "naive ms",
        "RT x",
        "time x",
        "budget",
    ]
    table = []
    for r in result["rows"]:
        o, n = r["ours"], r["naive"]
        table.append(
            [
                r["provider"],
                r["operation"],
                o["requests"],
                o["powershell_starts"],
                o["shells_opened"],
                o["ms"],
                n["requests"],
                n["powershell_starts"],
                n["ms"],
                r["round_trip_ratio"] if r["round_trip_ratio"] is not None else "-",
                r["time_ratio"] if r["time_ratio"] is not None else "-",
                "ok" if r["within_budget"] else "OVER",
            ]
        )
    print(format_table(headers, table))
    print("\nper provider (mean over its check/create/read/update/delete):")
    summary = []
    for kind, p in result["per_provider"].items():
        o, n = p["ours_per_op"], p["naive_per_op"]
        summary.append(
            [
                kind,
                o["requests"],
                o["powershell_starts"],
                o["ms"],
                n["requests"],
                n["powershell_starts"],
                n["ms"],
                ratio(n["requests"], o["requests"]) or "-",
                ratio(n["ms"], o["ms"]) or "-",
            ]
        )
    t = result["totals"]
    o, n = t["ours_per_op"], t["naive_per_op"]
    summary.append(
        [
            "ALL",
            o["requests"],
            o["powershell_starts"],
            o["ms"],
            n["requests"],
            n["powershell_starts"],
            n["ms"],
            t["round_trip_ratio"] or "-",
            t["time_ratio"] or "-",
        ]
    )
    print(
        format_table(
            [
                "provider",
                "RT/op",
                "PS/op",
                "ms/op",
                "naive RT/op",
                "naive PS/op",
                "naive ms/op",
                "RT x",
                "time x",
            ],
            summary,
        )
    )
    cold = result["cold_first_operation"]
    print(
        f"\ncold first operation of the process: {cold['requests']} round trips, "
        f"{cold['powershell_starts']} PowerShell start(s), {cold['shells_opened']} shell(s), "
        f"{cold['ms']:.0f} ms; shells open after POOL.close_all(): "
        f"{result['shells_open_after_close_all']}"
    )


def to_jsonable(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_jsonable(v) for v in value]
    return value


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cycles", type=int, default=2)
    parser.add_argument("--latency-ms", type=float, default=40.0)
    parser.add_argument("--ps-start-ms", type=float, default=300.0)
    parser.add_argument("--providers", type=lambda t: set(t.split(",")), default=None)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    result = report(args, measure(args))
    print_report(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(to_jsonable(result), indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten: {args.out}")
    return result


if __name__ == "__main__":
    main()
