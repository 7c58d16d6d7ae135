"""Printing a lab benchmark's tables and writing its results file (numbers, never asserted)."""

from __future__ import annotations

import os
from collections import defaultdict
from typing import Any

from bench.lab_analyse import Call, Graph, resource_seconds, role_costs
from bench.lab_run import LATENCY_MS, PS_START_MS, SDK_WORKERS
from bench.tables import format_table


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


def print_memory(ups: list[dict[str, Any]]) -> None:
    """Peak RSS per process role, and the state file, as the lab grows."""
    roles = ["engine", "language host", "program", "provider", "emulator"]
    rows = []
    for u in ups:
        mem = u.get("peak_memory") or {}
        rows.append(
            [
                u["size"],
                u.get("parallel", 32),
                *[mem.get(r, {}).get("peak_mib", 0.0) for r in roles],
                (u.get("state_bytes") or 0) / 1024,
                u["cli_cpu_s"],
                u["emulator_cpu_s"],
            ]
        )
    print("\n== peak memory (RSS, MiB) of each process, state size, CPU ==")
    print(
        format_table(
            ["N", "parallel", *[f"{r} MiB" for r in roles], "state KiB", "cli cpu s", "emu cpu s"],
            rows,
        )
    )
    print(
        "  peak RSS: the largest VmHWM of a process of that role during the command (sampled "
        "every 0.25 s;\n  the provider role counts each provider process); state: the stack "
        "file after the up."
    )


def print_timed(result: dict[str, Any]) -> None:
    """Realistic times: ours vs the critical path vs one resource at a time."""
    settings = result["settings"]
    print(
        f"\n== realistic times (time scale {settings['time_scale']:g}: a real host's durations "
        f"x {settings['time_scale']:g}) =="
    )
    by_host = {u["size"]: u for u in result.get("one_at_a_time", [])}
    engine_serial = {u["size"]: u for u in result.get("sequential", [])}
    rows = []
    for u in result["ups"]:
        host = by_host.get(u["size"])
        # host by host: measured, else N x the 1-host lab's wall time of this run
        one_host = min(result["ups"], key=lambda x: x["size"])
        builders = host["wall_s"] if host else u["size"] * one_host["wall_s"] / one_host["size"]
        serial = engine_serial.get(u["size"])
        rows.append(
            [
                u["size"],
                u["resources"],
                u["wall_s"],
                u["span_s"],
                u["critical_model_s"],
                u["wall_over_critical"],
                u["span_over_critical"],
                builders,
                "measured" if host else "N x 1-host",
                builders / u["wall_s"] if u["wall_s"] else "-",
                serial["wall_s"] if serial else "-",
            ]
        )
    print(
        format_table(
            [
                "N",
                "res",
                "wall s",
                "span s",
                "crit s",
                "wall/crit",
                "span/crit",
                "host by host s",
                "how",
                "speed-up",
                "--parallel 1 s",
            ],
            rows,
        )
    )
    print(
        "  crit: critical path of the declared dependency graph, each resource costing its "
        "role's median\n  (Check + Create) in the 1-host lab; host by host: as lab builders "
        "do, each host finished before\n  the next (one `pulumi up` per added host, same "
        "emulator and scripts), measured or N x the 1-host\n  wall; speed-up: host by host / "
        "wall; --parallel 1: the engine one resource at a time (boots overlap)."
    )
