"""`pulumi up` of a lab of N NestedHosts, wall time vs the dependency graph's critical path.

For N = 1, 5, 10 (`--quick`: N = 1) and for each provider-process pool size (4 = the SDK's
hard-coded gRPC pool, 32 = the project's launcher default; `HYPERV_LAB_PROVIDER_WORKERS`),
in the same run: a fresh emulator (`--latency-ms 40 --ps-start-ms 300`, a realistic remote
host), a fresh stack of the project's own program whose lab has N NestedHosts, a NatNetwork
inside each and one EmulatorVm on each NAT, then `pulumi up --yes --skip-preview --parallel
32` with the real CLI. Measured: wall time, the emulator's counters before/after, the CPU
seconds of the CLI's process tree and of the emulator, and every provider call's start/end
as the provider process timed it (`HYPERV_LAB_PROVIDER_CALL_LOG`: operation, URN, times; no
values). The CLI runs without `-v`: the engine's verbose log, which would also time the calls,
costs about as much CPU as the provider process itself, and these timings are CPU-bound.

Critical-path model: the dependency graph comes from `pulumi stack export` (each resource's
`dependencies`). A resource costs what its role (its URN's type chain, e.g. `NestedHost$Vm`
vs `EmulatorVm$Vm`) cost in the N=1 lab with 32 workers of this same run: the median of
(Check duration + Create duration), as the provider process timed its calls. Those durations
already hold everything the latency model adds on an idle host (round trips x 40 ms,
PowerShell starts x 300 ms for new warm sessions, server time). The critical path is the
longest chain of such costs; `span` is first provider call start -> last provider call end;
`wall` is the whole CLI command (adds engine/program/provider start-up and the snapshot).
`span/crit` is the parallelism figure (target <= 1.2); `wall/crit` is reported too.

Last, the largest lab once more with PULUMI_SKIP_CHECKPOINTS=true (the engine writes the
stack's state once at the end instead of after every step): how much of the command's CPU is
those checkpoints. Only measured; the product keeps them (they make an interrupted `up`
resumable).

Then, on the largest lab (32 workers), in the order a user would type them: a no-change
`pulumi preview`, `pulumi preview --refresh` and `pulumi refresh --preview-only`: wall,
provider time (sum of provider call durations), provider calls per kind, round trips,
PowerShell starts, shells left open, and the host-changing commands the emulator ran during
each (its state file's `executed` names, before/after; names starting with New-/Set-/
Remove-/Start-/...; session-only ones such as New-Object or Start-Sleep are listed apart):
the target is 0. A variant that fails is run again after restarting the emulator (same
world and port; that closes every shell), and both rows are shown.

Prints tables, writes bench/results/lab_up.json. Numbers are reported, never asserted.

Usage: .tools/venv/bin/python bench/bench_lab_up.py [--quick] [--sizes 1,5,10]
       [--workers 4,32] [--out bench/results/lab_up.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.tables import format_table  # noqa: E402
from tests.e2e.conftest import (  # noqa: E402
    ENV_SCRIPT,
    PROJECT_PROGRAM_FILES,
    EmulatorProcess,
    PulumiProject,
    PulumiResult,
)
from tests.e2e.lab_stack import GUEST_CREDENTIAL, IMAGE, set_passwords, write_lab  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "lab_up.json"
STACK = "bench"
LATENCY_MS = 40.0
PS_START_MS = 300.0
PARALLEL = 32
SDK_WORKERS = 4
DEFAULT_SIZES = (1, 5, 10)
DEFAULT_WORKERS = (SDK_WORKERS, 32)
PASSPHRASE = "bench-only-passphrase"  # throwaway: the stacks live in a temp dir
COMMAND_TIMEOUT_S = 1200.0
MUTATING_PREFIXES = (
    "New-",
    "Set-",
    "Remove-",
    "Start-",
    "Stop-",
    "Add-",
    "Install-",
    "Enable-",
    "Update-",
    "Connect-",
    "Disconnect-",
    "Restart-",
    "Rename-",
    "Disable-",
    "Uninstall-",
    "Mount-",
    "Dismount-",
    "Resize-",
)
# Names with a write verb that only touch the PowerShell session, never the host.
SESSION_ONLY = frozenset(
    {
        "New-Object",
        "New-TimeSpan",
        "New-Guid",
        "New-Variable",
        "Set-Variable",
        "Remove-Variable",
        "Set-StrictMode",
        "Set-Location",
        "Start-Sleep",
        "Add-Member",
        "Add-Type",
    }
)
COUNTER_KEYS = ("requests", "shells_opened", "powershell_starts", "logins", "lines_run")

# -- the lab ---------------------------------------------------------------------------------


def lab_of(size: int) -> dict[str, Any]:
    """N small L1s on the L0's External switch, a NAT inside each, one L2 guest on each NAT.

    Sized so that 10 of them fit the default L0 profile (256 GiB, 256 logical processors)
    many times over and each L2 fits its L1 (the emulator keeps 2 GiB per host
    for the parent partition)."""
    hosts, nats, vms = [], [], []
    for i in range(size):
        host, nat, net = f"l1-{i:02d}", f"nat-{i:02d}", f"192.168.{10 + i}"
        hosts.append(
            {
                "name": host,
                "host": "l0",
                "credential": GUEST_CREDENTIAL,
                "image": IMAGE,
                "switch": "External",
                "memory_startup_mb": 4096,
                "cpu_count": 2,
            }
        )
        nats.append(
            {"name": nat, "host": host, "prefix": f"{net}.0/24", "dns_servers": ["8.8.8.8"]}
        )
        vms.append(
            {
                "name": f"guest-{i:02d}",
                "nat_network": nat,
                "ip_address": f"{net}.10",
                "image": IMAGE,
                "memory_startup_mb": 1024,
            }
        )
    return {"nested_hosts": hosts, "nat_networks": nats, "emulator_vms": vms}


# -- running things --------------------------------------------------------------------------


def engine_env() -> dict[str, str]:
    """The environment after sourcing `.tools/env.sh` (as the e2e harness does)."""
    if not ENV_SCRIPT.is_file():
        raise SystemExit("the Pulumi engine is not set up: run ./scripts/setup first")
    dumped = subprocess.run(
        ["bash", "-c", f'. "{ENV_SCRIPT}" && env -0'], check=True, capture_output=True, timeout=30
    ).stdout.decode()
    env = dict(entry.split("=", 1) for entry in dumped.split("\0") if "=" in entry)
    for leaked in ("PULUMI_CONFIG_PASSPHRASE_FILE", "PULUMI_ACCESS_TOKEN", "PULUMI_STACK"):
        env.pop(leaked, None)
    return env


@dataclass
class Timed:
    """One CLI command with its wall time, the CPU its process tree used, its provider calls."""

    result: PulumiResult
    wall_s: float
    cpu_s: float
    started_at: float  # epoch seconds
    calls: list[Call]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(project: PulumiProject, call_log: Path, *args: str, must_succeed: bool = True) -> Timed:
    """Run `pulumi ARGS` plainly (no `-v`: the engine's verbose log costs CPU that would be
    measured too); the provider processes append their calls to `call_log`."""
    offset = call_log.stat().st_size if call_log.exists() else 0
    cpu0, started_at, t0 = children_cpu(), time.time(), time.perf_counter()
    result = project.pulumi(*args, timeout=COMMAND_TIMEOUT_S, check=False)
    wall = time.perf_counter() - t0
    if must_succeed and result.returncode != 0:
        raise SystemExit(
            f"pulumi {' '.join(args)} exited {result.returncode}\n{result.stdout}\n"
            + "\n".join(result.stderr.splitlines()[-30:])
        )
    with call_log.open("rb") if call_log.exists() else open(os.devnull, "rb") as log:
        log.seek(offset)
        lines = log.read().decode("utf-8", errors="replace").splitlines()
    return Timed(result, wall, children_cpu() - cpu0, started_at, provider_calls(lines, started_at))


def first_error(stdout: str) -> str | None:
    """The first "error: ..." line of a failed command's output (what a user reads first)."""
    for line in stdout.splitlines():
        text = line.strip()
        generic = text.lower() in ("error: update failed", "error: preview failed")
        if text.startswith("error:") and not generic:
            return text
    return None


def shells_open_settled(bench: Bench, wait_s: float = 2.0) -> int:
    """Shells still open on the host once the command's provider process had time to exit."""
    time.sleep(wait_s)
    return bench.counters()["shells_open"]


def machine_busy_s() -> float:
    """CPU seconds the whole machine has been busy (all cores, /proc/stat), to see how much
    of it went to other work (this machine may be shared) while a command ran."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid: int) -> float:
    """utime + stime of a running process (Linux /proc), to see whether the emulator is busy."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Bench:
    """A fresh emulator and a fresh stack of the project's program, in one temp dir."""

    emulator: EmulatorProcess
    project: PulumiProject
    call_log: Path  # HYPERV_LAB_PROVIDER_CALL_LOG of the project's provider processes

    def counters(self) -> dict[str, int]:
        base = self.emulator.url.rsplit("/wsman", 1)[0]
        with urllib.request.urlopen(f"{base}/hypervsim/counters", timeout=10) as response:
            data: dict[str, int] = json.load(response)
        return data

    def executed(self) -> tuple[int, list[str]]:
        """(how many commands the emulator ever ran, the newest names it kept): saved with
        the world after every line. Older state files have no `executed_total`."""
        data = json.loads(self.emulator.state_path.read_text(encoding="utf-8"))
        names = [str(n) for n in data.get("executed", [])]
        return int(data.get("executed_total", len(names))), names

    def emulator_cpu_s(self) -> float:
        assert self.emulator.process is not None
        return process_cpu_s(self.emulator.process.pid)

    def stack_file(self) -> Path:
        """The file the engine rewrites at every checkpoint (the DIY backend's stack file)."""
        return self.project.backend_dir / ".pulumi" / "stacks" / "hyperv-lab" / f"{STACK}.json"

    def export(self) -> dict[str, Any]:
        text = self.project.pulumi("stack", "export", timeout=COMMAND_TIMEOUT_S).stdout
        data: dict[str, Any] = json.loads(text)
        return data


def executed_between(
    before: tuple[int, list[str]], after: tuple[int, list[str]]
) -> list[str] | None:
    """Command names run between two `Bench.executed()` marks; None if the emulator no
    longer holds all of them (it keeps only the newest names)."""
    new = after[0] - before[0]
    if new < 0 or new > len(after[1]):
        return None
    return after[1][len(after[1]) - new :] if new else []


@contextmanager
def fresh_bench(env: dict[str, str], lab: dict[str, Any], workers: int) -> Iterator[Bench]:
    with tempfile.TemporaryDirectory(prefix="bench-lab-up-") as tmp_text:
        tmp = Path(tmp_text)
        emulator = EmulatorProcess(
            state_path=tmp / "world.json",
            env=env,
            extra_args=("--latency-ms", str(LATENCY_MS), "--ps-start-ms", str(PS_START_MS)),
        )
        emulator.start()
        try:
            directory = tmp / "project"
            directory.mkdir()
            for name in PROJECT_PROGRAM_FILES:
                (directory / name).write_bytes((REPO_ROOT / name).read_bytes())
            backend = tmp / "backend"
            backend.mkdir()
            project_env = {
                **env,
                "PULUMI_BACKEND_URL": f"file://{backend}",
                "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
                "HYPERV_LAB_PROVIDER_WORKERS": str(workers),
                "HYPERV_LAB_PROVIDER_CALL_LOG": str(tmp / "provider-calls.jsonl"),
            }
            project = PulumiProject(directory=directory, backend_dir=backend, env=project_env)
            project.pulumi("stack", "init", STACK)
            write_lab(project, STACK, emulator, lab)
            set_passwords(project, emulator)
            yield Bench(emulator, project, tmp / "provider-calls.jsonl")
        finally:
            emulator.kill()


# -- what the provider processes timed -------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One provider call as its provider process timed it (seconds since the command started;
    with 4 workers a call's wait for a free worker is not in it)."""

    op: str
    urn: str
    start: float
    end: float
    ok: bool

    @property
    def seconds(self) -> float:
        return self.end - self.start


def provider_calls(lines: Sequence[str], started_at: float) -> list[Call]:
    """Calls from `HYPERV_LAB_PROVIDER_CALL_LOG` lines (tools/dynamic-provider/provider_host.py)."""
    calls: list[Call] = []
    for line in lines:
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short by a provider process that was killed
        if isinstance(entry, dict) and isinstance(entry.get("op"), str):  # its TIMED_CALLS
            start, end = float(entry["start"]) - started_at, float(entry["end"]) - started_at
            calls.append(Call(entry["op"], str(entry["urn"]), start, end, bool(entry["ok"])))
    return sorted(calls, key=lambda c: c.start)


def role_of(urn: str) -> str:
    """The URN's type chain without package noise: `NestedHost$Vm`, `EmulatorVm$VmPowerState`."""
    type_chain = urn.split("::")[2]
    return "$".join(part.rsplit(":", 1)[-1] for part in type_chain.split("$"))


def span_s(calls: Sequence[Call]) -> float:
    return max(c.end for c in calls) - min(c.start for c in calls) if calls else 0.0


# -- the dependency graph and its critical path ----------------------------------------------


@dataclass
class Graph:
    """Custom resources of a stack (no providers, no stack) and what each waits for."""

    deps: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_export(cls, export: dict[str, Any]) -> Graph:
        resources = export["deployment"].get("resources", [])
        kept = {
            r["urn"]: r
            for r in resources
            if not r["type"].startswith("pulumi:providers:") and r["type"] != "pulumi:pulumi:Stack"
        }
        custom = {u for u, r in kept.items() if r.get("custom")}

        def expand(urn: str, seen: set[str]) -> set[str]:
            """A dependency on a component means one on what it waits for."""
            if urn in custom or urn not in kept or urn in seen:
                return {urn} if urn in custom else set()
            seen.add(urn)
            out: set[str] = set()
            for dep in kept[urn].get("dependencies", []) or []:
                out |= expand(dep, seen)
            return out

        graph = cls()
        for urn in custom:
            found: set[str] = set()
            for dep in kept[urn].get("dependencies", []) or []:
                found |= expand(dep, set())
            graph.deps[urn] = sorted(found - {urn})
        return graph

    def critical_path(self, cost: dict[str, float]) -> tuple[float, list[str]]:
        """Longest chain (sum of `cost` along dependencies) and its resources, first to last."""
        finish: dict[str, float] = {}
        before: dict[str, str | None] = {}

        def visit(urn: str) -> float:
            if urn not in finish:
                preds = [d for d in self.deps.get(urn, []) if d in self.deps]
                best = max(preds, key=visit, default=None)
                before[urn] = best
                finish[urn] = (visit(best) if best else 0.0) + cost.get(urn, 0.0)
            return finish[urn]

        for urn in self.deps:
            visit(urn)
        if not finish:
            return 0.0, []
        last: str | None = max(finish, key=finish.__getitem__)
        chain: list[str] = []
        while last is not None:
            chain.append(last)
            last = before[last]
        return finish[chain[0]], chain[::-1]


def resource_seconds(calls: Sequence[Call], ops: Sequence[str]) -> dict[str, float]:
    """Per URN: the summed duration of its provider calls of kinds `ops`."""
    out: dict[str, float] = defaultdict(float)
    for c in calls:
        if c.op in ops:
            out[c.urn] += c.seconds
    return dict(out)


def role_costs(per_urn: dict[str, float]) -> dict[str, float]:
    """Median cost per role: the latency model's price of one resource of that role."""
    by_role: dict[str, list[float]] = defaultdict(list)
    for urn, seconds in per_urn.items():
        by_role[role_of(urn)].append(seconds)
    return {role: statistics.median(v) for role, v in sorted(by_role.items())}


# -- scenarios -------------------------------------------------------------------------------


def counters_delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after.get(k, 0) - before.get(k, 0) for k in COUNTER_KEYS}


def mutating(names: Sequence[str]) -> list[str]:
    """Commands that change the host (write verbs, minus session-only ones like New-Object)."""
    return [n for n in names if n.startswith(MUTATING_PREFIXES) and n not in SESSION_ONLY]


def state_composition(stack_file: Path) -> dict[str, Any] | None:
    """Size of the state the engine writes at each checkpoint, and what its resources spend it
    on (compact JSON bytes of each resource field, summed): the checkpoint's CPU grows with
    this size. None if the backend keeps it elsewhere (e.g. gzip, another layout)."""
    if not stack_file.is_file():
        return None
    text = stack_file.read_text(encoding="utf-8")
    resources = json.loads(text)["checkpoint"]["latest"].get("resources", [])
    by_field: Counter[str] = Counter()
    for res in resources:
        for key, value in res.items():
            by_field[key] += len(json.dumps(value, separators=(",", ":")))
    return {
        "bytes": len(text.encode("utf-8")),
        "resources": len(resources),
        "by_field_bytes": dict(by_field.most_common()),
    }


def run_up(
    env: dict[str, str], size: int, workers: int, previews: bool, *, checkpoints: bool = True
) -> dict[str, Any]:
    """One `pulumi up` of a fresh N-host lab; keeps the graph and calls for the model.

    `checkpoints=False` sets PULUMI_SKIP_CHECKPOINTS=true (the engine then writes the stack's
    state once at the end instead of after every step): measured, never the product default,
    because those checkpoints are what lets an interrupted `up` be resumed without orphans."""
    label = "" if checkpoints else ", engine checkpoints skipped"
    print(f"  up: {size} host(s), {workers} provider workers{label} ...", flush=True)
    if not checkpoints:
        env = {**env, "PULUMI_SKIP_CHECKPOINTS": "true"}
    with fresh_bench(env, lab_of(size), workers) as bench:
        before, cpu0, busy0 = bench.counters(), bench.emulator_cpu_s(), machine_busy_s()
        up = timed(
            bench.project,
            bench.call_log,
            "up",
            "--yes",
            "--skip-preview",
            "--parallel",
            str(PARALLEL),
        )
        after, emu_cpu = bench.counters(), bench.emulator_cpu_s() - cpu0
        busy = machine_busy_s() - busy0
        shells_left = shells_open_settled(bench)
        graph = Graph.from_export(bench.export())
        state = state_composition(bench.stack_file())
        calls = up.calls
        preview = run_previews(bench, len(graph.deps)) if previews else None
    delta = counters_delta(before, after)
    creates = [c for c in calls if c.op == "Create"]
    return {
        "size": size,
        "workers": workers,
        "wall_s": up.wall_s,
        "span_s": span_s(calls),
        "first_call_s": min((c.start for c in calls), default=0.0),
        "cli_cpu_s": up.cpu_s,
        "emulator_cpu_s": emu_cpu,
        "other_cpu_s": max(0.0, busy - up.cpu_s - emu_cpu),
        "machine_cpus": os.cpu_count(),
        "resources": len(graph.deps),
        "creates": len(creates),
        "counters": delta,
        "shells_open_after": shells_left,
        "round_trips_per_create": delta["requests"] / len(creates) if creates else None,
        "max_concurrent_creates": max_overlap(creates),
        "graph": graph,
        "calls": calls,
        "preview": preview,
        "state": state,
    }


def max_overlap(calls: Sequence[Call]) -> int:
    events = sorted([(c.start, 1) for c in calls] + [(c.end, -1) for c in calls])
    best = now = 0
    for _, step in events:
        now += step
        best = max(best, now)
    return best


def run_previews(bench: Bench, resources: int) -> list[dict[str, Any]]:
    """No-change preview variants on the just-built lab, in the order a user would run them.

    A variant that fails is run once more after restarting the emulator (same world, same
    port; a WinRM service restart closes every shell), so its numbers exist anyway; both rows
    are reported."""
    out = []
    variants = (
        ("preview", ("preview",)),
        ("preview --refresh", ("preview", "--refresh")),
        ("refresh --preview-only", ("refresh", "--preview-only")),
    )
    for label, args in variants:
        print(f"  {label} of the {resources}-resource lab ...", flush=True)
        row = measure_preview(bench, label, args, resources)
        out.append(row)
        if row["exit_code"] != 0:
            print(f"  {label} failed; again after an emulator restart ...", flush=True)
            bench.emulator.stop()
            bench.emulator.start()
            out.append(measure_preview(bench, f"{label} (after restart)", args, resources))
    return out


def measure_preview(
    bench: Bench, label: str, args: tuple[str, ...], resources: int
) -> dict[str, Any]:
    executed0, before, cpu0 = bench.executed(), bench.counters(), bench.emulator_cpu_s()
    run = timed(
        bench.project, bench.call_log, *args, "--parallel", str(PARALLEL), must_succeed=False
    )
    after, emu_cpu = bench.counters(), bench.emulator_cpu_s() - cpu0
    shells_left = shells_open_settled(bench)
    ran = executed_between(executed0, bench.executed())
    calls = run.calls
    kinds = Counter(c.op for c in calls)
    reads = Counter(c.urn for c in calls if c.op == "Read")
    delta = counters_delta(before, after)
    return {
        "command": f"pulumi {' '.join(args)}",
        "label": label,
        "exit_code": run.result.returncode,
        "error": first_error(run.result.stdout) if run.result.returncode else None,
        "shells_open_before": before["shells_open"],
        "shells_open_after": shells_left,
        "wall_s": run.wall_s,
        "provider_time_s": sum(c.seconds for c in calls),
        "span_s": span_s(calls),
        "calls": dict(kinds),
        "resources": resources,
        "reads_per_resource_max": max(reads.values(), default=0),
        "resources_read": len(reads),
        "counters": delta,
        "cli_cpu_s": run.cpu_s,
        "emulator_cpu_s": emu_cpu,
        "commands_run": None if ran is None else len(ran),
        "commands_run_by_name": None if ran is None else dict(Counter(ran).most_common()),
        "mutating_commands": None if ran is None else mutating(ran),
        "session_only_write_verbs": sorted({n for n in ran or [] if n in SESSION_ONLY}),
        "changes": changes_in(run.result.stdout),
    }


def changes_in(stdout: str) -> str:
    """The summary line(s) of a preview: e.g. "50 unchanged"."""
    lines = [ln.strip() for ln in stdout.splitlines()]
    try:
        start = lines.index("Resources:")
    except ValueError:
        return "?"
    picked = []
    for ln in lines[start + 1 :]:
        if not ln:
            break
        picked.append(ln)
    return "; ".join(picked)


# -- report ----------------------------------------------------------------------------------


def analyse_up(up: dict[str, Any], model: dict[str, float]) -> dict[str, Any]:
    """One up's critical path (model and observed), span/crit and CPU floor, added to `up`."""
    graph: Graph = up["graph"]
    cost = {urn: model.get(role_of(urn), 0.0) for urn in graph.deps}
    critical, chain = graph.critical_path(cost)
    observed = resource_seconds(up["calls"], ("Check", "Create"))
    critical_observed, observed_chain = graph.critical_path(observed)
    up.update(
        {
            **chain_split(observed_chain, up["calls"]),
            "critical_model_s": critical,
            "critical_observed_s": critical_observed,
            "critical_chain": [role_of(u) + " " + u.rsplit("::", 1)[1] for u in chain],
            "span_over_critical": up["span_s"] / critical if critical else None,
            "wall_over_critical": up["wall_s"] / critical if critical else None,
            "provider_time_s": sum(c.seconds for c in up["calls"]),
            # Lower bound of the wall time on this machine whatever the scheduling: the
            # command's own CPU work (engine, program, providers, emulator) over its cores.
            "cpu_floor_s": (up["cli_cpu_s"] + up["emulator_cpu_s"])
            / max(1, up["machine_cpus"] or 1),
        }
    )
    up["wall_over_cpu_floor"] = up["wall_s"] / up["cpu_floor_s"] if up["cpu_floor_s"] else None
    return up


def analyse(ups: list[dict[str, Any]]) -> dict[str, Any]:
    """Model costs from the smallest lab with the most workers; each up's critical path."""
    calibration = min(ups, key=lambda u: (u["size"], -u["workers"]))
    model = role_costs(resource_seconds(calibration["calls"], ("Check", "Create")))
    rows = [analyse_up(up, model) for up in ups]
    checks = role_costs(resource_seconds(calibration["calls"], ("Check",)))
    creates = role_costs(resource_seconds(calibration["calls"], ("Create",)))
    by_role_calls = {
        role: {"Check": checks.get(role, 0.0), "Create": creates.get(role, 0.0)} for role in model
    }
    return {
        "calibration": {"size": calibration["size"], "workers": calibration["workers"]},
        "model_cost_s": model,
        "calibration_calls_s": by_role_calls,
        "ups": rows,
    }


def chain_split(chain: Sequence[str], calls: Sequence[Call]) -> dict[str, float]:
    """Along a chain of resources: time in provider calls vs time between them.

    The time between is the engine and the program: a dependency's Create returns, the
    program's Output resolves, it registers the next resource, the engine checks it."""
    starts: dict[str, float] = {}
    ends: dict[str, float] = {}
    busy = 0.0
    for c in calls:
        if c.urn in chain and c.op in ("Check", "Create"):
            starts[c.urn] = min(starts.get(c.urn, c.start), c.start)
            ends[c.urn] = max(ends.get(c.urn, c.end), c.end)
            busy += c.seconds
    known = [u for u in chain if u in starts]
    if not known:
        return {"chain_calls_s": 0.0, "chain_between_s": 0.0}
    elapsed = ends[known[-1]] - starts[known[0]]
    return {"chain_calls_s": busy, "chain_between_s": elapsed - busy}


def print_checkpoint_cost(every_step: dict[str, Any], skipped: dict[str, Any]) -> None:
    """The engine's per-step state checkpoint vs one at the end, same lab and pool."""
    print(
        f"\n== the engine's state checkpoints, N={every_step['size']} "
        f"(workers {every_step['workers']}; PULUMI_SKIP_CHECKPOINTS, never our default) =="
    )
    rows = [
        [
            name,
            f"{u['wall_s']:.2f}",
            f"{u['span_s']:.2f}",
            f"{u['span_over_critical'] or 0:.2f}",
            f"{u['cli_cpu_s']:.2f}",
            f"{u['emulator_cpu_s']:.2f}",
            f"{u['cpu_floor_s']:.2f}",
        ]
        for name, u in (("after every step", every_step), ("once at the end", skipped))
    ]
    print(
        format_table(
            ["checkpoint", "wall s", "span s", "span/crit", "cli cpu s", "emu cpu s", "floor s"],
            rows,
        )
    )
    state = every_step.get("state")
    if state:
        fields = state["by_field_bytes"]
        top = ", ".join(
            f"{name} {100 * size / state['bytes']:.0f}%" for name, size in list(fields.items())[:6]
        )
        print(
            f"  state rewritten at each checkpoint, at the end: {state['bytes'] / 1024:.0f} KiB "
            f"for {state['resources']} resources; share of the file by resource field: {top}\n"
            "  (stackTrace: the Python SDK's stack of each resource registration, which the "
            "engine keeps in state)"
        )


def print_report(result: dict[str, Any]) -> None:
    cal = result["calibration"]
    print(
        f"\n== critical-path model: cost of one resource = median (Check + Create) of its role "
        f"in the {cal['size']}-host lab with {cal['workers']} workers (this run; latency "
        f"{LATENCY_MS:.0f} ms/round trip, PowerShell start {PS_START_MS:.0f} ms) =="
    )
    print(
        format_table(
            ["role", "check ms", "create ms", "cost ms"],
            [
                [
                    role,
                    result["calibration_calls_s"].get(role, {}).get("Check", 0.0) * 1000,
                    result["calibration_calls_s"].get(role, {}).get("Create", 0.0) * 1000,
                    cost * 1000,
                ]
                for role, cost in result["model_cost_s"].items()
            ],
        )
    )
    print(
        "\n== pulumi up --yes --skip-preview --parallel 32 of N NestedHosts (+ NatNetwork + "
        "EmulatorVm each), fresh emulator each =="
    )
    timing, host_side = [], []
    for u in result["ups"]:
        c = u["counters"]
        after_last = u["wall_s"] - u["first_call_s"] - u["span_s"]
        obs = u["critical_observed_s"]
        timing.append(
            [
                u["size"],
                u["workers"],
                u["resources"],
                u["wall_s"],
                u["first_call_s"],
                u["span_s"],
                after_last,
                u["critical_model_s"],
                u["span_over_critical"],
                u["wall_over_critical"],
                obs,
                u["span_s"] / obs if obs else "-",
                u["chain_calls_s"],
                u["chain_between_s"],
            ]
        )
        host_side.append(
            [
                u["size"],
                u["workers"],
                u["max_concurrent_creates"],
                c["requests"],
                u["round_trips_per_create"],
                c["powershell_starts"],
                c["shells_opened"],
                u["shells_open_after"],
                u["cli_cpu_s"],
                u["emulator_cpu_s"],
                u["other_cpu_s"],
                u["cpu_floor_s"],
                u["wall_over_cpu_floor"],
                u["cpu_floor_s"] / u["critical_model_s"] if u["critical_model_s"] else "-",
            ]
        )
    print(
        format_table(
            [
                "N",
                "workers",
                "res",
                "wall s",
                "start s",
                "span s",
                "end s",
                "crit s",
                "span/crit",
                "wall/crit",
                "crit obs s",
                "span/obs",
                "chain calls s",
                "chain between s",
            ],
            timing,
        )
    )
    print(
        "  res: custom resources; start: CLI start -> first provider call; span: first "
        "provider call start -> last\n  end (provider call log); end: last provider call -> CLI "
        "exit (snapshot, provider shutdown); crit: critical\n  path with the model costs "
        "above; crit obs: the same path with this run's own (Check + Create) durations,\n"
        "  so crit obs/crit is how much each operation slowed down under load and span/obs "
        "what scheduling adds;\n  chain calls/between: along that observed path, time "
        "inside provider calls vs time between them\n  (the engine and the program "
        "registering the next resource)."
    )
    print()
    print(
        format_table(
            [
                "N",
                "workers",
                "max conc",
                "RT",
                "RT/create",
                "PS starts",
                "shells",
                "left open",
                "cli cpu s",
                "emu cpu s",
                "other cpu s",
                "cpu floor s",
                "wall/floor",
                "floor/crit",
            ],
            host_side,
        )
    )
    print(
        "  max conc: most Create calls running at once in the provider (with 4 "
        "workers the rest wait\n  in the provider's pool); RT: HTTP round trips (emulator "
        "counter, whole command incl. checks);\n  left open: shells still open on the host "
        "2 s after the command; cpu: the CLI's process tree\n  (engine + language host + "
        "program + provider) and the emulator; other: CPU the rest of the machine used\n  meanwhile "
        f"({os.cpu_count()} cores; anything much above 0 means the timings above are "
        "inflated by other work);\n  cpu floor: (cli + emu cpu) / cores, the least wall time "
        "this much CPU work needs on this machine,\n  whatever the scheduling; floor/crit: the "
        "least wall/crit that allows (span excludes start-up CPU,\n  so for span/crit it is a "
        "guide: far above 1.2 means CPU per resource is the limit here, not parallelism)."
    )
    print("\nbefore/after lifting the provider's 4-thread pool (same run):")
    by_size: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
    for u in result["ups"]:
        by_size[u["size"]][u["workers"]] = u
    lift = []
    for size, runs in sorted(by_size.items()):
        if SDK_WORKERS in runs and len(runs) > 1:
            best = max(w for w in runs)
            a, b = runs[SDK_WORKERS], runs[best]
            lift.append(
                [
                    size,
                    a["wall_s"],
                    b["wall_s"],
                    a["wall_s"] / b["wall_s"],
                    a["span_over_critical"],
                    b["span_over_critical"],
                ]
            )
    if lift:
        print(
            format_table(
                ["N", "wall s (4)", "wall s (32)", "speed-up", "span/crit (4)", "span/crit (32)"],
                lift,
            )
        )
    biggest = max(result["ups"], key=lambda u: (u["size"], u["workers"]))
    print(f"\ncritical chain of N={biggest['size']} (workers {biggest['workers']}):")
    print("  " + "\n  -> ".join(biggest["critical_chain"]))
    for u in result["ups"]:
        if u["preview"]:
            print_previews(u)


def print_previews(up: dict[str, Any]) -> None:
    print(
        f"\n== no-change previews of the {up['size']}-host lab ({up['resources']} resources, "
        f"{up['workers']} workers) =="
    )
    rows = []
    for p in up["preview"]:
        c = p["counters"]
        calls = p["calls"]
        rows.append(
            [
                p["label"],
                p["wall_s"],
                p["provider_time_s"],
                calls.get("Check", 0),
                calls.get("Diff", 0),
                calls.get("Read", 0),
                p["reads_per_resource_max"],
                c["requests"],
                c["requests"] / p["resources"] if p["resources"] else "-",
                c["powershell_starts"],
                c["shells_opened"],
                "?" if p["commands_run"] is None else p["commands_run"],
                "?" if p["mutating_commands"] is None else len(p["mutating_commands"]),
                f"{p['shells_open_before']}->{p['shells_open_after']}",
                p["changes"] if p["exit_code"] == 0 else f"FAILED (exit {p['exit_code']})",
            ]
        )
    print(
        format_table(
            [
                "command",
                "wall s",
                "provider s",
                "checks",
                "diffs",
                "reads",
                "reads/res max",
                "RT",
                "RT/res",
                "PS starts",
                "shells",
                "cmds run",
                "writes",
                "shells open",
                "result",
            ],
            rows,
        )
    )
    for p in up["preview"]:
        if p["error"]:
            print(f"  {p['label']} failed: {p['error']}")
        if p["mutating_commands"]:
            print(f"  WRITES during {p['label']}: {sorted(set(p['mutating_commands']))}")
        if p["session_only_write_verbs"]:
            print(
                f"  {p['label']}: ran {', '.join(p['session_only_write_verbs'])} "
                "(session-only, not counted as writes)"
            )


def slim_for_json(result: dict[str, Any]) -> None:
    """Keep the results file small: per run, each role's median cost instead of every call;
    the dependency graph only of the largest lab."""
    biggest = max(result["ups"], key=lambda u: (u["size"], u["workers"]))
    for up in result["ups"]:
        up["cost_by_role_s"] = role_costs(resource_seconds(up.pop("calls"), ("Check", "Create")))
        graph = up.pop("graph")
        if up is biggest:
            up["dependencies"] = graph.deps
    skipped = result.get("checkpoints_skipped")
    if skipped is not None and "calls" in skipped:
        calls = skipped.pop("calls")
        skipped["cost_by_role_s"] = role_costs(resource_seconds(calls, ("Check", "Create")))
        skipped.pop("graph", None)


def to_jsonable(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Graph):
        return {u: d for u, d in value.deps.items()}
    if isinstance(value, Call):
        return {
            "op": value.op,
            "urn": value.urn,
            "start": round(value.start, 3),
            "end": round(value.end, 3),
            "ok": value.ok,
        }
    return value


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="only N=1 (a smoke check)")
    parser.add_argument("--sizes", type=lambda t: tuple(int(x) for x in t.split(",")))
    parser.add_argument("--workers", type=lambda t: tuple(int(x) for x in t.split(",")))
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    sizes = sorted(args.sizes or ((1,) if args.quick else DEFAULT_SIZES))
    pools = tuple(args.workers or DEFAULT_WORKERS)
    env = engine_env()
    started = time.perf_counter()
    ups = []
    for size in sizes:
        for workers in pools:
            last = size == sizes[-1] and workers == max(pools)
            ups.append(run_up(env, size, workers, previews=last))
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
    slim_for_json(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(to_jsonable(result), indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten: {args.out} (bench took {result['settings']['total_bench_s']:.0f} s)")
    return result


if __name__ == "__main__":
    main()
