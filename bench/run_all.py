"""Run every benchmark in one go and print all their tables.

  .tools/venv/bin/python bench/run_all.py [--quick]

1. provider operations, ours vs naive (bench_provider_ops.py, latency model 40 ms / 300 ms;
   writes bench/results/provider_ops.json),
2. WinRM NTLM-encrypted round trips per second (bench_winrm.py),
3. interpreter throughput on a 200-line script (bench_interpreter.py),
4. `pulumi up` of 1/5/10-host labs vs the critical path, 4 vs 32 provider workers, and
   no-change previews of the largest (bench_lab_up.py; writes bench/results/lab_up.json;
   `--quick`: the 1-host lab only).
`--quick` uses fewer cycles/ops. Numbers are printed, never asserted.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO_ROOT = BENCH.parent


def run(title: str, argv: list[str]) -> int:
    print(f"\n######## {title}\n$ {' '.join(argv)}", flush=True)
    return subprocess.call([sys.executable, *argv], cwd=REPO_ROOT)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    cycles, ops, runs = ("1", "100", "10") if args.quick else ("2", "300", "30")
    codes = [
        run(
            "provider operations: ours vs naive",
            [str(BENCH / "bench_provider_ops.py"), "--cycles", cycles],
        ),
        run("WinRM round trips/s (no latency)", [str(BENCH / "bench_winrm.py"), "--ops", ops]),
        run("interpreter throughput", [str(BENCH / "bench_interpreter.py"), runs]),
        run(
            "pulumi up of a lab: wall time vs critical path",
            [str(BENCH / "bench_lab_up.py"), *(["--quick"] if args.quick else [])],
        ),
    ]
    failed = [c for c in codes if c]
    print(f"\n######## done: {len(codes) - len(failed)}/{len(codes)} benchmarks ran")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
