# Read a guest adapter's IPv4 configuration and whether the guest reaches the Internet.
# Runs inside the guest; needs the describe.ps1 prelude.
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json
$nic = Find-LabAdapter -Name $in.adapter_name
$config = Get-LabGuestConfig -Index $nic.ifIndex -Preferred $in.ip_address
$config.internet_reachable = Test-LabInternet
$config | ConvertTo-Json -Depth 3 -Compress
