"""Running a lab benchmark: a fresh emulator (latency model, optional time model) and a fresh
stack of the project's own program in a temp dir, then `pulumi up` / previews with the real
CLI, measuring wall time, CPU and peak memory of each process, the emulator's counters and
every provider call as the provider process timed it (`HYPERV_LAB_PROVIDER_CALL_LOG`).
"""

from __future__ import annotations

import json
import os
import resource
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.lab_analyse import (
    SESSION_ONLY,
    Call,
    Graph,
    changes_in,
    counters_delta,
    executed_between,
    first_error,
    max_overlap,
    mutating,
    provider_calls,
    requests_by_action,
    span_s,
)
from harness.emulator import EmulatorProcess
from harness.stack import (
    GUEST_CREDENTIAL,
    IMAGE,
    PROJECT_PROGRAM_FILES,
    REPO_ROOT,
    PulumiProject,
    PulumiResult,
    set_passwords,
    write_lab,
)

STACK = "bench"


LATENCY_MS = 40.0


PS_START_MS = 300.0


PARALLEL = 32
# `serve --time-scale`: 0 is the instant model; the realistic runs set it (bench_lab_up.py).
TIME_SCALE = 0.0
# Extra settings of the stack's host "l0" (e.g. max_sessions), as a user would configure them.
HOST_OPTIONS: dict[str, Any] = {}


SDK_WORKERS = 4


PASSPHRASE = "bench-only-passphrase"  # throwaway: the stacks live in a temp dir


COMMAND_TIMEOUT_S = 1200.0


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


def _role_of_process(argv: list[str]) -> str:
    """Which part of the CLI's process tree a process is, from its command line."""
    joined = " ".join(argv)
    if argv and os.path.basename(argv[0]) == "pulumi":
        return "engine"
    if "provider" in joined:
        return "provider"
    if "--use-executor" in joined or "hyperv_lab_langhost" in joined:
        return "language host"
    if "language-python" in joined or "__main__" in joined:
        return "program"
    return os.path.basename(argv[0]) if argv else "?"


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def peak_rss_kib(pid: int) -> int:
    """VmHWM of a running process: the most resident memory it has had (KiB); 0 if gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class PeakMemory:
    """Samples the peak RSS of every process this one starts (the CLI's tree) while a command
    runs, per role (engine, language host, program, provider): the largest single process of
    each role and how many there were. `skip`: pids not to count (the emulator)."""

    def __init__(self, skip: set[int], interval_s: float = 0.25) -> None:
        self._skip, self._interval = skip, interval_s
        self._peaks: dict[int, tuple[str, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="peak-rss", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            for pid in _descendants(os.getpid()):
                if pid in self._skip:
                    continue
                try:
                    argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
                except OSError:
                    continue
                kib = peak_rss_kib(pid)
                role = _role_of_process([a for a in argv if a])
                if kib and kib > self._peaks.get(pid, (role, 0))[1]:
                    self._peaks[pid] = (role, kib)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def by_role(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for role, kib in self._peaks.values():
            row = out.setdefault(role, {"processes": 0, "peak_mib": 0.0})
            row["processes"] += 1
            row["peak_mib"] = max(row["peak_mib"], kib / 1024)
        return out


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

    def emulator_log(self) -> str:
        """The emulator's log so far (`--verbose`: one line per request and WS-Man action)."""
        path = self.emulator.state_path.with_suffix(".log")
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

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


@contextmanager
def fresh_bench(
    env: dict[str, str], lab: dict[str, Any], workers: int, time_scale: float = TIME_SCALE
) -> Iterator[Bench]:
    with tempfile.TemporaryDirectory(prefix="bench-lab-up-") as tmp_text:
        tmp = Path(tmp_text)
        emulator = EmulatorProcess(
            state_path=tmp / "world.json",
            env=env,
            extra_args=(
                *("--latency-ms", str(LATENCY_MS), "--ps-start-ms", str(PS_START_MS)),
                *("--time-scale", str(time_scale)),
                "--verbose",  # each request's WS-Man action, for the round-trip breakdown
            ),
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
            write_lab(project, STACK, emulator, lab, host_options=HOST_OPTIONS)
            set_passwords(project, emulator)
            yield Bench(emulator, project, tmp / "provider-calls.jsonl")
        finally:
            emulator.kill()


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
    env: dict[str, str],
    size: int,
    workers: int,
    previews: bool,
    *,
    checkpoints: bool = True,
    time_scale: float = TIME_SCALE,
    parallel: int = PARALLEL,
) -> dict[str, Any]:
    """One `pulumi up` of a fresh N-host lab; keeps the graph and calls for the model.

    `checkpoints=False` sets PULUMI_SKIP_CHECKPOINTS=true (the engine then writes the stack's
    state once at the end instead of after every step): measured, never the product default,
    because those checkpoints are what lets an interrupted `up` be resumed without orphans."""
    label = "" if checkpoints else ", engine checkpoints skipped"
    label += f", time scale {time_scale:g}" if time_scale else ""
    label += f", --parallel {parallel}" if parallel != PARALLEL else ""
    print(f"  up: {size} host(s), {workers} provider workers{label} ...", flush=True)
    if not checkpoints:
        env = {**env, "PULUMI_SKIP_CHECKPOINTS": "true"}
    with fresh_bench(env, lab_of(size), workers, time_scale) as bench:
        before, cpu0, busy0 = bench.counters(), bench.emulator_cpu_s(), machine_busy_s()
        log0 = len(bench.emulator_log())
        assert bench.emulator.process is not None
        emulator_pid = bench.emulator.process.pid
        with PeakMemory(skip={emulator_pid}) as memory:
            up = timed(
                bench.project,
                bench.call_log,
                "up",
                "--yes",
                "--skip-preview",
                "--parallel",
                str(parallel),
            )
        after, emu_cpu = bench.counters(), bench.emulator_cpu_s() - cpu0
        by_action = requests_by_action(bench.emulator_log()[log0:])
        emulator_peak_mib = peak_rss_kib(emulator_pid) / 1024
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
        "time_scale": time_scale,
        "parallel": parallel,
        "peak_memory": {
            **memory.by_role(),
            "emulator": {"processes": 1, "peak_mib": emulator_peak_mib},
        },
        "state_bytes": state["bytes"] if state else None,
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
        "requests_by_action": by_action,
        "max_concurrent_creates": max_overlap(creates),
        "graph": graph,
        "calls": calls,
        "preview": preview,
        "state": state,
    }


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


def run_one_at_a_time(env: dict[str, str], size: int, time_scale: float) -> dict[str, Any]:
    """The same lab built as lab builders do: one nested host (with its NAT and guest) after
    the other, each finished before the next starts. Same emulator, same program and
    scripts: the stack's lab grows by one host per `pulumi up` (the ups after the first find
    the earlier hosts in state and leave them alone)."""
    print(f"  one at a time: {size} host(s), time scale {time_scale:g} ...", flush=True)
    steps: list[float] = []
    with fresh_bench(env, lab_of(1), PARALLEL, time_scale) as bench:
        before = bench.counters()
        for k in range(1, size + 1):
            if k > 1:
                write_lab(
                    bench.project, STACK, bench.emulator, lab_of(k), host_options=HOST_OPTIONS
                )
            up = timed(bench.project, bench.call_log, "up", "--yes", "--skip-preview")
            steps.append(up.wall_s)
        after = bench.counters()
    return {
        "size": size,
        "time_scale": time_scale,
        "wall_s": sum(steps),
        "step_wall_s": steps,
        "counters": counters_delta(before, after),
    }
