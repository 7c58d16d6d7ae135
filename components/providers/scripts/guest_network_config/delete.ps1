# Remove the managed address and its default gateway from a guest adapter, and the DNS servers
# if they are still the ones configured. Anything already gone is success. Runs inside the
# guest; needs the describe.ps1 prelude.
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json
$nic = Get-NetAdapter | Where-Object { $_.Name -eq $in.adapter_name } | Select-Object -First 1
if ($null -eq $nic) {
    return (@{ removed = $false } | ConvertTo-Json -Compress)
}
$index = [int]$nic.ifIndex
if ($in.gateway) {
    Get-LabDefaultGateways -Index $index | Where-Object { $_.NextHop -eq $in.gateway } |
        Remove-NetRoute -Confirm:$false
}
Get-LabStaticAddresses -Index $index | Where-Object { $_.IPAddress -eq $in.ip_address } |
    Remove-NetIPAddress -Confirm:$false
$dns = @((Get-DnsClientServerAddress -InterfaceIndex $index -AddressFamily IPv4).ServerAddresses)
if ($dns.Count -gt 0 -and ($dns -join ',') -eq (@($in.dns_servers) -join ',')) {
    Set-DnsClientServerAddress -InterfaceIndex $index -ResetServerAddresses
}
@{ removed = $true } | ConvertTo-Json -Compress
