"""`pulumi up` of a lab of N NestedHosts: wall time, CPU, peak memory, state size and round
trips, and the wall time vs the dependency graph's critical path.

Each run: a fresh emulator (`--latency-ms 40 --ps-start-ms 300`, a realistic remote host), a
fresh stack of the project's own program whose lab has N NestedHosts, a NatNetwork inside
each and one EmulatorVm on each NAT, then `pulumi up --yes --skip-preview --parallel 32`
with the real CLI (bench/lab_run.py). Measured: wall time, the emulator's counters, CPU
seconds and peak RSS of the CLI's processes (engine, language host, program, provider) and
of the emulator, the state file's size, and every provider call as the provider process
timed it. bench/lab_analyse.py turns that into the critical path (model: each role's median
Check + Create in the smallest lab of the run) and bench/lab_report.py prints the tables.

Two modes:
- instant (default): the emulator's instant time model; N = 1, 5, 10 (`--sizes` for 25, 50),
  provider pools 4 and 32 (`--workers`), no-change previews of the largest lab (of every lab
  with `--previews-each`), and the largest once more with the engine's checkpoints skipped
  (measured only).
- realistic (`--time-scale F`): the emulator gives operations a real host's durations times F
  (hypervsim/world/timing.py); each lab is built as this product does it (--parallel 32) and,
  with `--one-at-a-time N`, as lab builders do: host after host, each finished before the
  next starts (the stack's lab grows by one host per `pulumi up`; same emulator, same
  scripts); `--sequential N`: the engine one resource at a time (`--parallel 1`; guest boots
  still overlap with other hosts' steps). The table compares them with the critical path.

Prints tables, writes bench/results/lab_up.json (realistic: lab_up_timed.json). Numbers are
reported, never asserted.

Usage: .tools/venv/bin/python bench/bench_lab_up.py [--quick] [--sizes 1,5,10]
       [--workers 4,32] [--previews-each]
       [--time-scale 0.1 [--one-at-a-time 10] [--sequential 10]] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.lab_analyse import SESSION_ONLY, analyse, analyse_up  # noqa: E402
from bench.lab_report import (  # noqa: E402
    print_checkpoint_cost,
    print_memory,
    print_report,
    print_timed,
    slim_for_json,
    to_jsonable,
)
from bench.lab_run import (  # noqa: E402
    HOST_OPTIONS,
    LATENCY_MS,
    PARALLEL,
    PS_START_MS,
    SDK_WORKERS,
    run_one_at_a_time,
    run_up,
)
from harness.stack import EngineNotSetUpError, read_engine_env  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "lab_up.json"
TIMED_RESULTS = RESULTS.with_name("lab_up_timed.json")
DEFAULT_SIZES = (1, 5, 10)
DEFAULT_WORKERS = (SDK_WORKERS, 32)


def _sizes(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(","))


def engine_env() -> dict[str, str]:
    try:
        return read_engine_env()
    except EngineNotSetUpError as exc:
        raise SystemExit(str(exc)) from None


def main_timed(args: argparse.Namespace) -> dict[str, Any]:
    """Realistic times: ours (--parallel 32) vs the critical path vs one at a time."""
    env = engine_env()
    sizes = sorted(args.sizes or DEFAULT_SIZES)
    started = time.perf_counter()
    ups = [run_up(env, n, 32, previews=False, time_scale=args.time_scale) for n in sizes]
    result = analyse(ups)
    sequential = []
    for n in sorted(args.sequential or ()):
        one = run_up(env, n, 32, previews=False, time_scale=args.time_scale, parallel=1)
        sequential.append(analyse_up(one, result["model_cost_s"]))
    result["sequential"] = sequential
    result["one_at_a_time"] = [
        run_one_at_a_time(env, n, args.time_scale) for n in sorted(args.one_at_a_time or ())
    ]
    result["settings"] = {
        "latency_ms": LATENCY_MS,
        "ps_start_ms": PS_START_MS,
        "time_scale": args.time_scale,
        "host_options": dict(HOST_OPTIONS),
        "parallel": PARALLEL,
        "sizes": sizes,
        "total_bench_s": time.perf_counter() - started,
    }
    print_report(result)
    print_timed(result)
    print_memory(result["ups"] + sequential)
    slim_for_json(result)
    for one in sequential:
        one.pop("calls", None)
        one.pop("graph", None)
    out = args.out or TIMED_RESULTS
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(to_jsonable(result), indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten: {out} (bench took {result['settings']['total_bench_s']:.0f} s)")
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="only N=1 (a smoke check)")
    parser.add_argument("--sizes", type=_sizes)
    parser.add_argument("--workers", type=_sizes)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--time-scale", type=float, default=0.0, help="realistic mode (see above)")
    parser.add_argument("--sequential", type=_sizes, help="realistic mode: also --parallel 1")
    parser.add_argument(
        "--one-at-a-time", type=_sizes, help="realistic mode: also host by host, one up each"
    )
    parser.add_argument(
        "--max-sessions", type=int, help="the host's max_sessions setting (default: the product's)"
    )
    parser.add_argument(
        "--previews-each",
        action="store_true",
        help="instant mode: the no-change previews after every lab, not only the largest",
    )
    args = parser.parse_args(argv)
    if args.max_sessions:
        HOST_OPTIONS["max_sessions"] = args.max_sessions
    if args.time_scale > 0:
        return main_timed(args)
    args.out = args.out or RESULTS
    sizes = sorted(args.sizes or ((1,) if args.quick else DEFAULT_SIZES))
    pools = tuple(args.workers or DEFAULT_WORKERS)
    env = engine_env()
    started = time.perf_counter()
    ups = []
    for size in sizes:
        for workers in pools:
            last = size == sizes[-1] and workers == max(pools)
            previews = last or (args.previews_each and workers == max(pools))
            ups.append(run_up(env, size, workers, previews=previews))
    result = analyse(ups)
    biggest = max(ups, key=lambda u: (u["size"], u["workers"]))
    skipped = run_up(env, biggest["size"], biggest["workers"], previews=False, checkpoints=False)
    result["checkpoints_skipped"] = analyse_up(skipped, result["model_cost_s"])
    result["settings"] = {
        "latency_ms": LATENCY_MS,
        "ps_start_ms": PS_START_MS,
        "parallel": PARALLEL,
        "sizes": sizes,
        "workers": list(pools),
        "session_only_commands_not_counted_as_writes": sorted(SESSION_ONLY),
        "total_bench_s": time.perf_counter() - started,
    }
    print_report(result)
    print_checkpoint_cost(biggest, result["checkpoints_skipped"])
    print_memory(result["ups"])
    slim_for_json(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(to_jsonable(result), indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten: {args.out} (bench took {result['settings']['total_bench_s']:.0f} s)")
    return result


if __name__ == "__main__":
    main()
