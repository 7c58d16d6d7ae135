# On the host that runs the guest: does the VM exist, and is it running (so PowerShell Direct
# can reach its guest)? Names are compared with -eq (Get-VM -Name takes wildcards).
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json
$vm = Get-VM | Where-Object { $_.Name -eq $in.vm_name } | Select-Object -First 1
if ($null -eq $vm) {
    return (@{ exists = $false; state = $null } | ConvertTo-Json -Compress)
}
@{ exists = $true; state = "$($vm.State)" } | ConvertTo-Json -Compress
