# Every VM with exactly this name (Hyper-V allows duplicates; -Name would treat [ ] * ? as
# wildcards, so names are compared as data), with its Notes for the owner tag.
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json

$found = @(Get-VM | Where-Object { $_.Name -eq $in.name } | ForEach-Object {
        @{ vm_id = "$($_.Id)"; notes_text = "$($_.Notes)" }
    })
@{ vms = $found } | ConvertTo-Json -Depth 4 -Compress
