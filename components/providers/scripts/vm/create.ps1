# Create a VM, Off, with one unconnected adapter ("Network Adapter") and a new VHD at the
# host's default disk path (file name chosen by the provider: the VM name made file-safe).
# If VMs with this exact name already exist, nothing is made: they are reported (status
# 'exists', each described) and the provider decides whether to adopt one. If a step after
# New-VM fails, the VM and its disk are removed again before the error is rethrown, so the
# next attempt starts clean. Needs the describe.ps1 prelude.
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json

# Names are compared as data (-Name would treat [ ] * ? as wildcards).
$existing = @(Get-VM | Where-Object { $_.Name -eq $in.name })
if ($existing.Count -gt 0) {
    $described = @($existing | ForEach-Object { Get-VmDescription -VM $_ })
    return (@{ status = 'exists'; vms = $described } | ConvertTo-Json -Depth 4 -Compress)
}

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
$made = Get-VmDescription -VM (Get-VM -Id $vm.Id)
$made.status = 'created'
$made | ConvertTo-Json -Compress
