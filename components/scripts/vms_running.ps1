# The names of the VMs running on this host (run inside an L1: its guests that a restart of
# the L1 stops), for the preview's warning before a stop-and-restore.
param([string]$InputJson)
$names = @(Get-VM | Where-Object { "$($_.State)" -eq 'Running' } | ForEach-Object { $_.Name })
ConvertTo-Json -Compress -InputObject @{ names = $names }
