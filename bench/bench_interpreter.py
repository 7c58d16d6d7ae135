"""Interpreter benchmark: parse + evaluate a realistic 200-line script; prints ms per run.

Run: .tools/venv/bin/python bench/bench_interpreter.py [runs]
Aim: < 50 ms per run. Results are printed, not asserted.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hypervsim.powershell.parser import parse
from hypervsim.powershell.session import PowerShellSession
from hypervsim.world.model import World

HEADER = """
param([string]$Prefix = 'lab', [int]$Count = 12)
$ErrorActionPreference = 'Stop'
function New-LabName {
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$Base, [int]$Index = 0, [switch]$Upper)
    $name = '{0}-{1:D2}' -f $Base, $Index
    if ($Upper) { return $name.ToUpper() }
    $name
}
function Get-Subnet {
    param($Octet)
    "192.168.$Octet.0/24"
}
function Test-Overlap {
    param([string[]]$Prefixes)
    $seen = @{}
    foreach ($p in $Prefixes) {
        if ($seen.ContainsKey($p)) { return $true }
        $seen[$p] = 1
    }
    $false
}
$plan = [ordered]@{}
$machines = @()
"""

BLOCK = """
for ($i = 0; $i -lt $Count; $i++) {
    $name = New-LabName -Base $Prefix -Index $i
    $memory = if ($i % 2 -eq 0) { 4GB } else { 2GB }
    $machine = [pscustomobject]@{
        Name = $name
        MemoryGB = $memory / 1GB
        Cpu = [Math]::Max(2, $i % 4)
        Subnet = Get-Subnet -Octet (100 + $i % 3)
        Nested = ($i -lt 3)
        Tags = @('lab', "idx$i")
    }
    $machines += $machine
    $plan[$name] = $machine
}
$nested = $machines | Where-Object { $_.Nested } | ForEach-Object { $_.Name }
$big = $machines | Where-Object MemoryGB -ge 4 |
    Select-Object Name, Cpu, @{n='Mem'; e={ "$($_.MemoryGB) GB" }}
$sorted = $machines | Sort-Object -Property Cpu -Descending | Select-Object -First 3
$bySubnet = $machines | Group-Object Subnet
$total = ($machines | Measure-Object -Property MemoryGB -Sum).Sum
$overlap = Test-Overlap -Prefixes ($machines.Subnet | Select-Object -Unique)
switch -Wildcard ($Prefix) { 'lab*' { $kind = 'lab' }; default { $kind = 'other' } }
try {
    if ($total -gt 1000) { throw "too much memory: $total" }
    $status = 'ok'
} catch {
    $status = $_.Exception.Message
} finally {
    $checked = $true
}
$summary = [pscustomobject]@{
    kind = $kind
    status = $status
    total = $total
    nested = @($nested)
    big = @($big)
    top = @($sorted | ForEach-Object Name)
    subnets = @($bySubnet | ForEach-Object {
        [pscustomobject]@{ name = $_.Name; count = $_.Count } })
    overlap = $overlap
    text = ($machines.Name -join ',').Replace('-', '_').Split(',').Count
}
$json = $summary | ConvertTo-Json -Depth 4 -Compress
$back = $json | ConvertFrom-Json
if ($back.total -ne $total) { Write-Error 'roundtrip failed' }
"""


def build_script() -> str:
    body = HEADER
    while body.count("\n") < 190:
        body += BLOCK
    return body + "\n$json\n"


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    script = build_script()
    world = World.create()
    lines_count = script.count("\n")
    parse(script)  # warm the parser
    start = time.perf_counter()
    for _ in range(runs):
        parse(script)
    parse_ms = (time.perf_counter() - start) * 1000 / runs
    start = time.perf_counter()
    result = None
    for _ in range(runs):
        session = PowerShellSession(world, world.root)
        with world.lock:
            result = session.run(script)
    total_ms = (time.perf_counter() - start) * 1000 / runs
    assert result is not None
    print(f"script: {lines_count} lines, {runs} runs")
    print(f"parse only:        {parse_ms:7.2f} ms/run")
    print(f"parse + evaluate:  {total_ms:7.2f} ms/run (aim < 50 ms)")
    print(
        f"exit code {result.exit_code}, stdout {len(result.stdout)} chars,"
        f" {len(result.records)} records"
    )


if __name__ == "__main__":
    main()
