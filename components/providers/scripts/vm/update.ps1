# Converge an existing VM (by Id) to the declared notes, memory and minimum configuration
# version. Memory and version changes go through Invoke-WhileVmOff, so the stop policy
# decides what happens while the VM runs ('fail' keeps Windows' own error).
# The VM variable is `$target`, not `$vm`: the -Change block runs inside Invoke-WhileVmOff,
# where PowerShell's dynamic scoping would resolve `$vm` to the function's own variable.
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json

$target = Get-VM -Id $in.vm_id
if ("$($target.Notes)" -cne $in.notes_text) {
    Set-VM -VM $target -Notes $in.notes_text
}

$startup = [int64]$in.memory_startup_mb * 1MB
$memory = Get-VMMemory -VM $target
$changeMemory = ($memory.Startup -ne $startup) -or ([bool]$memory.DynamicMemoryEnabled -ne [bool]$in.dynamic_memory)
$changeVersion = [bool]$in.raise_version

$power = @{ previous_state = "$($target.State)"; restarted = $false; warnings = @() }
if ($changeMemory -or $changeVersion) {
    $power = Invoke-WhileVmOff -VM $target -Policy $in.stop_policy -Change {
        if ($changeMemory) {
            Set-VMMemory -VM $target -StartupBytes $startup -DynamicMemoryEnabled ([bool]$in.dynamic_memory)
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
