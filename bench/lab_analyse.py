"""What a `pulumi up` of a lab measured, turned into figures: provider calls from the call log,
the dependency graph and its critical path, per-role costs, round trips, host writes.

Critical-path model: the dependency graph comes from `pulumi stack export` (each resource's
`dependencies`). A resource costs what its role (its URN's type chain, e.g. `NestedHost$Vm`
vs `EmulatorVm$Vm`) cost in the smallest lab of the same run (most workers): the median of
(Check duration + Create duration), as the provider process timed its calls. Those durations
hold everything the emulator's models add (round trips x latency, PowerShell starts, and with
`--time-scale` the host's operation and guest boot times). The critical path is the longest
chain of such costs; `span` is first provider call start -> last provider call end; `wall` is
the whole CLI command.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


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


def max_overlap(calls: Sequence[Call]) -> int:
    events = sorted([(c.start, 1) for c in calls] + [(c.end, -1) for c in calls])
    best = now = 0
    for _, step in events:
        now += step
        best = max(best, now)
    return best


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
            # one resource at a time: every resource's model cost, one after the other
            "serial_model_s": sum(cost.values()),
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


def requests_by_action(log_text: str) -> dict[str, int]:
    """HTTP requests to /wsman by what they did, from the emulator's `--verbose` log: each
    WS-Man action (Create, Command, Send, Receive, Signal, Delete) and `login` (the requests
    that carried no SOAP message: the NTLM legs and the empty set-up POST)."""
    counts: Counter[str] = Counter()
    posts = 0
    for line in log_text.splitlines():
        if '"POST /wsman' in line:
            posts += 1
        elif " wsman " in line:
            action = line.split(" wsman ", 1)[1].split(" ", 1)[0]
            counts[action] += 1
    counts["login"] = posts - sum(counts.values())
    return dict(counts.most_common())


def counters_delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after.get(k, 0) - before.get(k, 0) for k in COUNTER_KEYS}


def mutating(names: Sequence[str]) -> list[str]:
    """Commands that change the host (write verbs, minus session-only ones like New-Object)."""
    return [n for n in names if n.startswith(MUTATING_PREFIXES) and n not in SESSION_ONLY]


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


def first_error(stdout: str) -> str | None:
    """The first "error: ..." line of a failed command's output (what a user reads first)."""
    for line in stdout.splitlines():
        text = line.strip()
        generic = text.lower() in ("error: update failed", "error: preview failed")
        if text.startswith("error:") and not generic:
            return text
    return None


def executed_between(
    before: tuple[int, list[str]], after: tuple[int, list[str]]
) -> list[str] | None:
    """Command names run between two `Bench.executed()` marks; None if the emulator no
    longer holds all of them (it keeps only the newest names)."""
    new = after[0] - before[0]
    if new < 0 or new > len(after[1]):
        return None
    return after[1][len(after[1]) - new :] if new else []


COUNTER_KEYS = ("requests", "shells_opened", "powershell_starts", "logins", "lines_run")


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
