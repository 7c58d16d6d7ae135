# Every VM with exactly this name (Hyper-V allows duplicates; -Name would treat [ ] * ? as
# wildcards, so names are compared as data), each described (Notes carry the owner tag), and,
# when an image path is given, whether that file exists on this host (one round trip for the
# preview's checks). Needs the describe.ps1 prelude.
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json

$found = @(Get-VM | Where-Object { $_.Name -eq $in.name } | ForEach-Object { Get-VmDescription -VM $_ })
$image = $null
if ($in.image_path) { $image = [bool](Test-Path -LiteralPath $in.image_path -PathType Leaf) }
@{ vms = $found; image_exists = $image } | ConvertTo-Json -Depth 4 -Compress
