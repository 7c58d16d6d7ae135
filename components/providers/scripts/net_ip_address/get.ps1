# Read an IPv4 address on an interface (needs the describe.ps1 prelude).
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json
$nic = Find-LabAdapter -Name $in.interface_alias
$address = Find-LabAddress -IPAddress $in.ip_address
if ($null -eq $nic -or $null -eq $address -or $address.InterfaceIndex -ne $nic.ifIndex) {
    return (@{ exists = $false } | ConvertTo-Json -Compress)
}
@{
    exists          = $true
    prefix_length   = [int]$address.PrefixLength
    interface_index = [int]$nic.ifIndex
} | ConvertTo-Json -Compress
