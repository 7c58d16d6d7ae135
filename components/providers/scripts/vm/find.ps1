# Every VM with exactly this name (Hyper-V allows duplicates; -Name would treat [ ] * ? as
# wildcards, so names are compared as data), each described (Notes carry the owner tag).
# Needs the describe.ps1 prelude.
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json

$found = @(Get-VM | Where-Object { $_.Name -eq $in.name } | ForEach-Object { Get-VmDescription -VM $_ })
@{ vms = $found } | ConvertTo-Json -Depth 4 -Compress
