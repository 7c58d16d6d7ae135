# Put an IPv4 address on an interface (e.g. the NAT gateway on "vEthernet (<switch>)"), or
# report the address already there (status 'exists'; with adopt, its prefix is corrected).
# Needs the describe.ps1 prelude.
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json
$nic = Find-LabAdapter -Name $in.interface_alias
if ($null -eq $nic) {
    $names = @(Get-NetAdapter | ForEach-Object { "'$($_.Name)'" }) -join ', '
    throw "No network adapter named '$($in.interface_alias)' on this host (adapters: $names)."
}
$address = Find-LabAddress -IPAddress $in.ip_address
$status = 'exists'
if ($null -eq $address) {
    New-NetIPAddress -InterfaceIndex $nic.ifIndex -IPAddress $in.ip_address -PrefixLength $in.prefix_length -AddressFamily IPv4 | Out-Null
    $status = 'created'
}
elseif ($address.InterfaceIndex -ne $nic.ifIndex) {
    throw "IP address $($in.ip_address) is already assigned to '$($address.InterfaceAlias)' on this host."
}
elseif ($in.adopt_existing -and [int]$address.PrefixLength -ne [int]$in.prefix_length) {
    $address | Set-NetIPAddress -PrefixLength $in.prefix_length
}
@{ status = $status; interface_index = [int]$nic.ifIndex } | ConvertTo-Json -Compress
