# What decides whether this host can expose the virtualization extensions to a VM, read
# before anything is made (at preview): the processor's maker (AMD needs a newer Windows),
# the Windows build and product type (1 = client, 2/3 = server), and whether
# virtualization-based security runs (Win32_DeviceGuard status 2), which refuses the flag.
param([string]$InputJson)
$cpu = @(Get-CimInstance -ClassName Win32_Processor)[0]
$os = Get-CimInstance -ClassName Win32_OperatingSystem
$guard = Get-CimInstance -Namespace 'root\Microsoft\Windows\DeviceGuard' -ClassName Win32_DeviceGuard -ErrorAction SilentlyContinue
$vbs = 0
if ($null -ne $guard) { $vbs = [int]$guard.VirtualizationBasedSecurityStatus }
@{
    manufacturer = "$($cpu.Manufacturer)"
    build        = [int]$os.BuildNumber
    product_type = [int]$os.ProductType
    vbs_status   = $vbs
} | ConvertTo-Json -Compress
