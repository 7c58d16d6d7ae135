# Remove an IPv4 address from an interface; an address (or interface) already gone is success.
# Needs the describe.ps1 prelude.
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json
$nic = Find-LabAdapter -Name $in.interface_alias
$address = Find-LabAddress -IPAddress $in.ip_address
$removed = $false
if ($null -ne $nic -and $null -ne $address -and $address.InterfaceIndex -eq $nic.ifIndex) {
    $address | Remove-NetIPAddress -Confirm:$false
    $removed = $true
}
@{ removed = $removed } | ConvertTo-Json -Compress
