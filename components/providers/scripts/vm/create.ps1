# Create a VM, Off, with one unconnected adapter ("Network Adapter") and its system disk at the
# host's default disk path (file name chosen by the provider: the VM name made file-safe).
# The disk is a differencing child of a base image, or a full copy of it, with the answer file
# written into it offline when the image is generalized; without an image it is a new, empty
# VHD. If VMs with this exact name already exist, nothing is made: they are reported (status
# 'exists', each described) and the provider decides whether to adopt one. Next to the disk a
# marker file `<disk>.hyperv-lab-owner` holds the owner tag of the stack that made it. A disk
# file of that name that no VM uses is a leftover (its VM deleted by hand, the disk left behind
# as Windows does): replaced when its marker names this owner, else refused (not this stack's
# file). If a step fails, everything made so far (mount, VM, disk, marker) is undone before the
# error is rethrown, so the next attempt starts clean. Needs the describe.ps1 and memory.ps1
# preludes.
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json

# Names are compared as data (-Name would treat [ ] * ? as wildcards).
$existing = @(Get-VM | Where-Object { $_.Name -eq $in.name })
if ($existing.Count -gt 0) {
    $described = @($existing | ForEach-Object { Get-VmDescription -VM $_ })
    return (@{ status = 'exists'; vms = $described } | ConvertTo-Json -Depth 4 -Compress)
}

$vhdPath = Join-Path (Get-VMHost).VirtualHardDiskPath $in.vhd_file
$markerPath = "$vhdPath.hyperv-lab-owner"
$newVm = @{
    Name               = $in.name
    Generation         = [int]$in.generation
    MemoryStartupBytes = [int64]$in.memory_startup_mb * 1MB
}
if ($in.version) { $newVm.Version = $in.version }

if ($in.image_path) {
    if (-not (Test-Path -LiteralPath $in.image_path -PathType Leaf)) {
        throw "The base image '$($in.image)' was not found at '$($in.image_path)' on this host."
    }
}
if (Test-Path -LiteralPath $vhdPath) {
    $users = @(Get-VM | Where-Object { @($_.HardDrives | Where-Object { $_.Path -eq $vhdPath }).Count -gt 0 })
    if ($users.Count -gt 0) {
        throw "The disk file '$vhdPath' for VM '$($in.name)' is in use by VM '$($users[0].Name)'; remove or rename that VM first."
    }
    $madeBy = $null
    if (Test-Path -LiteralPath $markerPath -PathType Leaf) { $madeBy = "$(Get-Content -LiteralPath $markerPath -Raw)".Trim() }
    if (-not $in.owner -or $madeBy -ne $in.owner) {
        $whose = if ($madeBy) { "it was made by stack '$madeBy'" } else { 'it has no marker of the stack that made it' }
        throw "The disk file '$vhdPath' for VM '$($in.name)' already exists and no VM uses it, but it is not a leftover of this stack ($whose); move or delete it by hand, then run up again."
    }
    Remove-Item -LiteralPath $vhdPath -Force
}

$vm = $null
$diskMade = $false
$mounted = $false
try {
    if ($in.image_path) {
        $diskMade = $true  # the path was free (or freed above): whatever is there now is ours
        if ($in.disk -eq 'copy') {
            Copy-Item -LiteralPath $in.image_path -Destination $vhdPath
        }
        else {
            New-VHD -Path $vhdPath -ParentPath $in.image_path -Differencing | Out-Null
        }
        if ($in.answer_file) {
            $disk = Mount-VHD -Path $vhdPath -Passthru
            $mounted = $true
            try {
                # Only partitions with a letter (Windows reports the others with a NUL character).
                $letters = @($disk | Get-Disk | Get-Partition | Where-Object DriveLetter | ForEach-Object { "$($_.DriveLetter)" } | Where-Object { $_ -match '^[A-Za-z]$' })
                $root = $null
                foreach ($letter in $letters) {
                    if (Test-Path -LiteralPath "${letter}:\Windows" -PathType Container) { $root = "${letter}:\"; break }
                }
                if ($null -eq $root) {
                    throw "The base image '$($in.image)' has no Windows volume (no partition with a \Windows folder): it cannot boot."
                }
                New-Item -ItemType Directory -Path (Join-Path $root 'Windows\Panther') -Force | Out-Null
                Set-Content -LiteralPath (Join-Path $root $in.answer_file_path) -Value $in.answer_file -Encoding UTF8
            }
            finally {
                Dismount-VHD -Path $vhdPath
                $mounted = $false
            }
        }
        $newVm.VHDPath = $vhdPath
    }
    else {
        $newVm.NewVHDPath = $vhdPath
        $newVm.NewVHDSizeBytes = [int64]$in.disk_size_gb * 1GB
    }
    $vm = New-VM @newVm
    $diskMade = $true
    if ($in.owner) { Set-Content -LiteralPath $markerPath -Value $in.owner -Encoding UTF8 }
    if ($in.dynamic_memory) {
        Set-LabVmMemory -VM $vm -StartupBytes ([int64]$in.memory_startup_mb * 1MB) -Dynamic $true
    }
    Set-VM -VM $vm -Notes $in.notes_text
}
catch {
    $failure = $_
    if ($mounted) { Dismount-VHD -Path $vhdPath -ErrorAction SilentlyContinue }
    if ($null -ne $vm) { Remove-VM -VM $vm -Force -ErrorAction SilentlyContinue }
    if ($diskMade) {
        foreach ($path in @($vhdPath, $markerPath)) {
            try { Remove-Item -LiteralPath $path -Force -ErrorAction Stop }
            catch [System.Management.Automation.ItemNotFoundException] { }
        }
    }
    throw $failure
}
$made = Get-VmDescription -VM (Get-VM -Id $vm.Id)
$made.status = 'created'
$made | ConvertTo-Json -Compress
