# What decides whether this host can expose the virtualization extensions to a VM, read
# before anything is made (at preview): the processor's maker (AMD needs a newer Windows),
# the Windows build and product type (1 = client, 2/3 = server), and whether
# virtualization-based security runs (Win32_DeviceGuard status 2), which refuses the flag.
# A VM of the given name that already exists and is opted out of VBS
# (Set-VMSecurity -VirtualizationBasedSecurityOptOut) can nest on such a host.
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json
$cpu = @(Get-CimInstance -ClassName Win32_Processor)[0]
$os = Get-CimInstance -ClassName Win32_OperatingSystem
$guard = Get-CimInstance -Namespace 'root\Microsoft\Windows\DeviceGuard' -ClassName Win32_DeviceGuard -ErrorAction SilentlyContinue
$vbs = 0
if ($null -ne $guard) { $vbs = [int]$guard.VirtualizationBasedSecurityStatus }
$optOut = $false
if ($vbs -eq 2 -and $in.vm_name) {
    $vm = @(Get-VM | Where-Object { $_.Name -eq $in.vm_name })
    if ($vm.Count -eq 1) {
        $optOut = [bool](Get-VMSecurity -VM $vm[0]).VirtualizationBasedSecurityOptOut
    }
}
@{
    manufacturer = "$($cpu.Manufacturer)"
    build        = [int]$os.BuildNumber
    product_type = [int]$os.ProductType
    vbs_status   = $vbs
    vbs_opt_out  = $optOut
} | ConvertTo-Json -Compress
