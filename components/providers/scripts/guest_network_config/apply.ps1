# Give a guest adapter a static IPv4 address, default gateway and DNS servers, converging from
# whatever is there (so a re-run after a partial failure finishes the job). On failure, what
# this run added is removed and the DNS servers are restored before the error is rethrown.
# `previous_ip` is the address an update replaces. Runs inside the guest; needs describe.ps1.
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json
$nic = Find-LabAdapter -Name $in.adapter_name
$index = [int]$nic.ifIndex
$dnsBefore = @((Get-DnsClientServerAddress -InterfaceIndex $index -AddressFamily IPv4).ServerAddresses)
$addedAddress = $null
$oldPrefix = $null
$addedGateway = $null
$removedGateways = @()
try {
    Set-NetIPInterface -InterfaceIndex $index -Dhcp Disabled
    $address = Get-LabStaticAddresses -Index $index | Where-Object { $_.IPAddress -eq $in.ip_address }
    if ($null -eq $address) {
        New-NetIPAddress -InterfaceIndex $index -IPAddress $in.ip_address -PrefixLength $in.prefix_length -AddressFamily IPv4 | Out-Null
        $addedAddress = $in.ip_address
    }
    elseif ([int]$address.PrefixLength -ne [int]$in.prefix_length) {
        $oldPrefix = [int]$address.PrefixLength
        $address | Set-NetIPAddress -PrefixLength $in.prefix_length
    }
    foreach ($route in Get-LabDefaultGateways -Index $index) {
        if ($route.NextHop -ne $in.gateway) {
            $removedGateways += "$($route.NextHop)"
            $route | Remove-NetRoute -Confirm:$false
        }
    }
    if ($in.gateway -and -not (Get-LabDefaultGateways -Index $index | Where-Object { $_.NextHop -eq $in.gateway })) {
        New-NetRoute -InterfaceIndex $index -DestinationPrefix '0.0.0.0/0' -NextHop $in.gateway | Out-Null
        $addedGateway = $in.gateway
    }
    $servers = @($in.dns_servers)
    if ($servers.Count -gt 0) {
        Set-DnsClientServerAddress -InterfaceIndex $index -ServerAddresses $servers
    }
    else {
        Set-DnsClientServerAddress -InterfaceIndex $index -ResetServerAddresses
    }
    if ($in.previous_ip -and $in.previous_ip -ne $in.ip_address) {
        Get-LabStaticAddresses -Index $index |
            Where-Object { $_.IPAddress -eq $in.previous_ip } |
            Remove-NetIPAddress -Confirm:$false
    }
}
catch {
    $failure = $_
    if ($addedGateway) {
        Get-LabDefaultGateways -Index $index | Where-Object { $_.NextHop -eq $addedGateway } |
            Remove-NetRoute -Confirm:$false -ErrorAction SilentlyContinue
    }
    foreach ($hop in $removedGateways) {
        New-NetRoute -InterfaceIndex $index -DestinationPrefix '0.0.0.0/0' -NextHop $hop -ErrorAction SilentlyContinue | Out-Null
    }
    if ($addedAddress) {
        Get-LabStaticAddresses -Index $index | Where-Object { $_.IPAddress -eq $addedAddress } |
            Remove-NetIPAddress -Confirm:$false -ErrorAction SilentlyContinue
    }
    if ($null -ne $oldPrefix) {
        Get-LabStaticAddresses -Index $index | Where-Object { $_.IPAddress -eq $in.ip_address } |
            Set-NetIPAddress -PrefixLength $oldPrefix -ErrorAction SilentlyContinue
    }
    if ($dnsBefore.Count -gt 0) {
        Set-DnsClientServerAddress -InterfaceIndex $index -ServerAddresses $dnsBefore -ErrorAction SilentlyContinue
    }
    throw $failure
}
$config = Get-LabGuestConfig -Index $index -Preferred $in.ip_address
$config.internet_reachable = Test-LabInternet
$config | ConvertTo-Json -Depth 3 -Compress
