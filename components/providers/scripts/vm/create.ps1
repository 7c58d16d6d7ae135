# Create a VM, Off, with one unconnected adapter ("Network Adapter") and a new VHD at the
# host's default disk path (file name chosen by the provider: the VM name made file-safe). If a later step fails, the VM and its disk are removed again
# before the error is rethrown, so the next attempt starts clean.
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json

$vhdPath = Join-Path (Get-VMHost).VirtualHardDiskPath $in.vhd_file
$newVm = @{
    Name               = $in.name
    Generation         = [int]$in.generation
    MemoryStartupBytes = [int64]$in.memory_startup_mb * 1MB
    NewVHDPath         = $vhdPath
    NewVHDSizeBytes    = [int64]$in.disk_size_gb * 1GB
}
if ($in.version) { $newVm.Version = $in.version }

$vm = New-VM @newVm
try {
    if ($in.dynamic_memory) {
        Set-VMMemory -VM $vm -DynamicMemoryEnabled $true -StartupBytes ([int64]$in.memory_startup_mb * 1MB)
    }
    Set-VM -VM $vm -Notes $in.notes_text
}
catch {
    $failure = $_
    Remove-VM -VM $vm -Force -ErrorAction SilentlyContinue
    try { Remove-Item -LiteralPath $vhdPath -Force -ErrorAction Stop }
    catch [System.Management.Automation.ItemNotFoundException] { }
    throw $failure
}
Get-VmDescription -VM (Get-VM -Id $vm.Id) | ConvertTo-Json -Compress
