# Converge an existing VM (by Id) to the declared notes, memory, minimum configuration
# version and (for a VM without an image, disk_size_gb not null) the size of its first disk.
# Memory and version changes go through Invoke-WhileVmOff, so the stop policy decides what
# happens while the VM runs ('fail' keeps Windows' own error). A disk larger than declared is
# refused before anything changes (a disk is never shrunk); a smaller one grows with
# Resize-VHD, at once on the SCSI chain or while Off, else (IDE, running) while Off as the
# stop policy allows. Needs the vm_power.ps1, memory.ps1 and describe.ps1 preludes.
# The VM variable is `$target`, not `$vm`: the -Change block runs inside Invoke-WhileVmOff,
# where PowerShell's dynamic scoping would resolve `$vm` to the function's own variable.
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json

$target = Get-VM -Id $in.vm_id
$grow = $null
if ($null -ne $in.disk_size_gb) {
    $drive = @($target.HardDrives) | Select-Object -First 1
    if ($null -ne $drive) {
        $wanted = [int64]$in.disk_size_gb * 1GB
        $size = [int64](Get-VHD -Path $drive.Path).Size
        if ($size -gt $wanted) {
            throw "The disk '$($drive.Path)' of VM '$($target.Name)' is $([math]::Round($size / 1GB, 2)) GB, larger than the declared disk_size_gb $($in.disk_size_gb): a disk is never shrunk (its data could be lost); declare disk_size_gb: $([math]::Ceiling($size / 1GB)) or more."
        }
        if ($size -lt $wanted) { $grow = @{ path = $drive.Path; bytes = $wanted; ide = ("$($drive.ControllerType)" -eq 'IDE') } }
    }
}
if ("$($target.Notes)" -cne $in.notes_text) {
    Set-VM -VM $target -Notes $in.notes_text
}

$startup = [int64]$in.memory_startup_mb * 1MB
$memory = Get-VMMemory -VM $target
$changeMemory = ($memory.Startup -ne $startup) -or ([bool]$memory.DynamicMemoryEnabled -ne [bool]$in.dynamic_memory)
$changeVersion = [bool]$in.raise_version

if ($null -ne $grow -and -not ($grow.ide -and "$($target.State)" -ne 'Off')) {
    Resize-VHD -Path $grow.path -SizeBytes $grow.bytes -ErrorAction Stop
    $grow = $null
}
$power = @{ previous_state = "$($target.State)"; restarted = $false; warnings = @() }
if ($changeMemory -or $changeVersion -or $null -ne $grow) {
    $power = Invoke-WhileVmOff -VM $target -Policy $in.stop_policy -Change {
        if ($null -ne $grow) {
            Resize-VHD -Path $grow.path -SizeBytes $grow.bytes -ErrorAction Stop
        }
        if ($changeMemory) {
            Set-LabVmMemory -VM $target -StartupBytes $startup -Dynamic ([bool]$in.dynamic_memory)
        }
        if ($changeVersion) {
            Update-VMVersion -VM $target -Force
        }
    }
}
$described = Get-VmDescription -VM (Get-VM -Id $in.vm_id)
$described.warnings = $power.warnings
$described.restarted = $power.restarted
$described | ConvertTo-Json -Compress
