# Turn the VM off, remove it and the disk files it used (with their owner markers, see
# create.ps1), except its base image (a VM made from
# an image uses a differencing child or a copy of it; the image itself is never removed, nor
# any differencing parent, which is not one of the VM's disks). A VM (or disk) that is already
# gone is success.
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json

$vm = Get-VM -Id $in.vm_id -ErrorAction SilentlyContinue
if ($null -eq $vm) {
    return (@{ removed = $false } | ConvertTo-Json -Compress)
}
$disks = @($vm.HardDrives | ForEach-Object { $_.Path } | Where-Object { $_ -and $_ -ne $in.image_path })
if ("$($vm.State)" -ne 'Off') {
    Stop-VM -VM $vm -TurnOff -Force
}
Remove-VM -VM $vm -Force
foreach ($path in $disks) {
    foreach ($file in @($path, "$path.hyperv-lab-owner")) {
        try { Remove-Item -LiteralPath $file -Force -ErrorAction Stop }
        catch [System.Management.Automation.ItemNotFoundException] { }
    }
}
@{ removed = $true } | ConvertTo-Json -Compress
