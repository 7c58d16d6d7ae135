# What WinNAT checks a new NAT against, read before anything is made (at preview): the NATs
# already on this host (WinNAT allows one per host) and the host's own IPv4 networks (the
# internal prefix must not overlap them). Addresses on the host vNIC of an Internal or Private
# switch are inside networks, not the host's outside (a NAT's own gateway lives there), and
# well-known ones (loopback) are not networks the NAT could clash with.
param([string]$InputJson)
$inside = @(Get-VMSwitch | Where-Object { "$($_.SwitchType)" -ne 'External' } |
    ForEach-Object { "vEthernet ($($_.Name))" })
$nats = @(Get-NetNat | ForEach-Object {
    @{ name = $_.Name; internal_prefix = "$($_.InternalIPInterfaceAddressPrefix)" }
})
$networks = @(Get-NetIPAddress -AddressFamily IPv4 |
    Where-Object { "$($_.PrefixOrigin)" -ne 'WellKnown' -and $inside -notcontains $_.InterfaceAlias } |
    ForEach-Object {
        @{ interface_alias = $_.InterfaceAlias; ip_address = $_.IPAddress; prefix_length = [int]$_.PrefixLength }
    })
ConvertTo-Json -Compress -Depth 4 -InputObject @{ nats = $nats; networks = $networks }
