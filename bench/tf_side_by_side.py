"""The Terraform Hyper-V provider's own WinRM client next to ours, for the same work.

Given a checkout of github.com/taliesins/terraform-provider-hyperv, builds our driver
(bench/tf_driver/main.go.txt, copied into a temp module whose go.mod `replace`s the provider
with that checkout; nothing of the provider is kept in this repository), runs it on hypervsim
over Basic and over NTLM, then does the same work with this project's providers: create an
Internal switch, a generation 2 VM with ExposeVirtualizationExtensions and an adapter with MAC
spoofing, read them, delete them. Prints per-step HTTP requests, shells, commands and
PowerShell starts (emulator counters) side by side. Numbers are reported, never asserted.

Usage: .tools/venv/bin/python bench/tf_side_by_side.py --provider-source /path/to/checkout
       [--latency-ms 0] [--ps-start-ms 0]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.lab_emulator import configured, running_emulator, stack_config_for
from bench.tables import format_table
from components.providers.base import HostBoundProvider
from components.providers.vm import VmProvider
from components.providers.vm_network_adapter import VmNetworkAdapterProvider
from components.providers.vm_processor import VmProcessorProvider
from components.providers.vm_switch import VmSwitchProvider

DRIVER_SOURCE = Path(__file__).resolve().parent / "tf_driver" / "main.go.txt"
CACHE = Path.home() / ".cache" / "hyperv-lab"
COUNTED = ("requests", "shells_opened", "commands", "powershell_starts", "scheduled_task_runs")


def build_driver(provider_source: Path) -> Path:
    """Our driver built against `provider_source`; cached by driver text and source path."""
    key = hashlib.sha256(DRIVER_SOURCE.read_bytes() + str(provider_source).encode()).hexdigest()
    binary = CACHE / f"tf-driver-{key[:16]}" / "tf-driver"
    if binary.exists():
        return binary
    go = shutil.which("go") or "/usr/local/go/bin/go"
    with tempfile.TemporaryDirectory(prefix="tf-driver-") as tmp:
        module = Path(tmp)
        shutil.copy(DRIVER_SOURCE, module / "main.go")
        (module / "go.mod").write_text(
            "module hypervlab/tfdriver\n\ngo 1.21\n\n"
            "require github.com/taliesins/terraform-provider-hyperv v0.0.0\n\n"
            f"replace github.com/taliesins/terraform-provider-hyperv => {provider_source}\n"
        )
        env = dict(os.environ, GOFLAGS="-mod=mod -buildvcs=false", CGO_ENABLED="0")
        for command in ([go, "mod", "tidy"], [go, "build", "-o", "tf-driver", "."]):
            subprocess.run(command, cwd=module, env=env, check=True, capture_output=True)
        binary.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(module / "tf-driver", binary)
    return binary


def run_driver(binary: Path, emulator: Any, ntlm: bool) -> tuple[list[dict[str, Any]], str]:
    """The driver's per-step costs, and its failure (empty when every step passed)."""
    args = [str(binary), "-port", str(emulator.port), "-user", emulator.user, "-prefix"]
    args += ["tf-ntlm" if ntlm else "tf-basic", "-counters"]
    args.append(f"{emulator.base_url}/hypervsim/counters")
    if ntlm:
        args.append("-ntlm")
    done = subprocess.run(
        args,
        env=dict(os.environ, TFDRIVER_PASSWORD=emulator.password),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    steps = [json.loads(line[5:]) for line in done.stdout.splitlines() if line.startswith("STEP ")]
    failure = "" if done.returncode == 0 else done.stderr.strip().splitlines()[0][:300]
    return steps, failure


def run_ours(emulator: Any) -> list[dict[str, Any]]:
    """The same work through this project's providers (as the Pulumi engine calls them)."""
    config = stack_config_for(emulator)
    steps: list[dict[str, Any]] = []

    def step(name: str, call: Callable[[], Any]) -> Any:
        before = emulator.counters()
        start = time.perf_counter()
        result = call()
        seconds = time.perf_counter() - start
        after = emulator.counters()
        counts = {k: after.get(k, 0) - before.get(k, 0) for k in after}
        steps.append({"step": name, "seconds": seconds, "counts": counts, "ok": True})
        return result

    def make(cls: type[HostBoundProvider]) -> HostBoundProvider:
        return configured(cls, config)

    def checked(provider: HostBoundProvider, values: dict[str, Any]) -> dict[str, Any]:
        result = provider.check({}, {"host": "l0", **values})
        assert not result.failures, result.failures
        return dict(result.inputs)

    switch, vm = make(VmSwitchProvider), make(VmProvider)
    cpu, nic = make(VmProcessorProvider), make(VmNetworkAdapterProvider)
    sw_in = checked(switch, {"name": "ours-internal", "switch_type": "Internal"})
    sw = step("create switch", lambda: switch.create(sw_in))
    step("read switch", lambda: switch.read(sw.id, dict(sw.outs)))
    vm_in = checked(vm, {"name": "ours-vm", "memory_startup_mb": 2048, "generation": 2})
    made = step("create vm", lambda: vm.create(vm_in))
    cpu_in = checked(
        cpu, {"vm_name": "ours-vm", "count": 2, "expose_virtualization_extensions": True}
    )
    cpu_made = step("set processor", lambda: cpu.create(cpu_in))
    nic_in = checked(
        nic, {"vm_name": "ours-vm", "switch_name": "ours-internal", "mac_address_spoofing": True}
    )
    nic_made = step("add network adapter", lambda: nic.create(nic_in))
    step("read vm", lambda: vm.read(made.id, dict(made.outs)))
    step("read processor", lambda: cpu.read(cpu_made.id, dict(cpu_made.outs)))
    step("read network adapters", lambda: nic.read(nic_made.id, dict(nic_made.outs)))
    step("delete vm", lambda: vm.delete(made.id, dict(made.outs)))
    step("delete switch", lambda: switch.delete(sw.id, dict(sw.outs)))
    return steps


def print_side_by_side(runs: dict[str, tuple[list[dict[str, Any]], str]]) -> None:
    names: list[str] = []
    for steps, _ in runs.values():
        names += [s["step"] for s in steps if s["step"] not in names]
    for counter in (*COUNTED, "seconds"):
        headers = ["step", *runs]
        rows: list[list[object]] = []
        for name in [*names, "TOTAL"]:
            row: list[object] = [name]
            for steps, _ in runs.values():
                picked = steps if name == "TOTAL" else [s for s in steps if s["step"] == name]
                if not picked:
                    row.append("-")
                    continue
                if counter == "seconds":
                    row.append(round(sum(float(s["seconds"]) for s in picked), 2))
                else:
                    row.append(sum(int(s["counts"].get(counter, 0)) for s in picked))
            rows.append(row)
        print(f"\n== {counter} ==")
        print(format_table(headers, rows))
    for label, (steps, failure) in runs.items():
        status = f"stopped: {failure}" if failure else f"all {len(steps)} steps passed"
        print(f"{label}: {status}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provider-source", type=Path, required=True)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--ps-start-ms", type=float, default=0.0)
    args = parser.parse_args(argv)
    binary = build_driver(args.provider_source.resolve())
    runs: dict[str, tuple[list[dict[str, Any]], str]] = {}
    options = {"latency_ms": args.latency_ms, "ps_start_ms": args.ps_start_ms}
    with running_emulator(allow_unencrypted=True, **options) as emulator:
        runs["terraform basic"] = run_driver(binary, emulator, ntlm=False)
        runs["terraform ntlm"] = run_driver(binary, emulator, ntlm=True)
        runs["ours"] = (run_ours(emulator), "")
    print_side_by_side(runs)


if __name__ == "__main__":
    main()
