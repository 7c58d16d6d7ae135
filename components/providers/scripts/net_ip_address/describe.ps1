# Shared prelude of the NetIpAddress scripts. Interface names are compared with -eq (Windows
# matches them case-insensitively), never passed to -InterfaceAlias (which takes wildcards).
function Find-LabAdapter {
    param([string]$Name)
    Get-NetAdapter | Where-Object { $_.Name -eq $Name } | Select-Object -First 1
}

function Find-LabAddress {
    param([string]$IPAddress)
    Get-NetIPAddress -AddressFamily IPv4 -ErrorAction SilentlyContinue |
        Where-Object { $_.IPAddress -eq $IPAddress } |
        Select-Object -First 1
}
