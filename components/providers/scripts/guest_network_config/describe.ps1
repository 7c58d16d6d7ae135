# Shared prelude of the GuestNetworkConfig scripts (they run inside the guest): find the
# adapter by exact name, and report its IPv4 address, prefix, default gateway and DNS servers.
function Find-LabAdapter {
    param([string]$Name)
    $nic = Get-NetAdapter | Where-Object { $_.Name -eq $Name } | Select-Object -First 1
    if ($null -eq $nic) {
        $names = @(Get-NetAdapter | ForEach-Object { "'$($_.Name)'" }) -join ', '
        throw "The guest has no network adapter named '$Name' (adapters: $names)."
    }
    $nic
}

function Get-LabStaticAddresses {
    param([int]$Index)
    @(Get-NetIPAddress -InterfaceIndex $Index -AddressFamily IPv4 -ErrorAction SilentlyContinue |
        Where-Object { "$($_.PrefixOrigin)" -eq 'Manual' })
}

function Get-LabDefaultGateways {
    param([int]$Index)
    @(Get-NetRoute -InterfaceIndex $Index -DestinationPrefix '0.0.0.0/0' -ErrorAction SilentlyContinue)
}

function Get-LabGuestConfig {
    param([int]$Index, [string]$Preferred)
    $addresses = Get-LabStaticAddresses -Index $Index
    $address = $addresses | Where-Object { $_.IPAddress -eq $Preferred } | Select-Object -First 1
    if ($null -eq $address) { $address = $addresses | Select-Object -First 1 }
    $gateway = Get-LabDefaultGateways -Index $Index | Select-Object -First 1
    $dns = @((Get-DnsClientServerAddress -InterfaceIndex $Index -AddressFamily IPv4).ServerAddresses)
    $config = @{ ip_address = $null; prefix_length = $null; gateway = $null; dns_servers = $dns }
    if ($null -ne $address) {
        $config.ip_address = "$($address.IPAddress)"
        $config.prefix_length = [int]$address.PrefixLength
    }
    if ($null -ne $gateway) { $config.gateway = "$($gateway.NextHop)" }
    $config
}

function Test-LabInternet {
    [bool](Test-NetConnection -ComputerName 8.8.8.8 -InformationLevel Quiet -WarningAction SilentlyContinue)
}
