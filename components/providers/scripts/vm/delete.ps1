# Turn the VM off, remove it and its virtual disks. A VM (or disk) that is already gone is
# success.
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json

$vm = Get-VM -Id $in.vm_id -ErrorAction SilentlyContinue
if ($null -eq $vm) {
    return (@{ removed = $false } | ConvertTo-Json -Compress)
}
$disks = @($vm.HardDrives | ForEach-Object { $_.Path })
if ("$($vm.State)" -ne 'Off') {
    Stop-VM -VM $vm -TurnOff -Force
}
Remove-VM -VM $vm -Force
foreach ($path in $disks) {
    try { Remove-Item -LiteralPath $path -Force -ErrorAction Stop }
    catch [System.Management.Automation.ItemNotFoundException] { }
}
@{ removed = $true } | ConvertTo-Json -Compress
