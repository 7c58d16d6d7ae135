# Prelude of the Vm create and update scripts: a VM's startup memory and dynamic memory, set
# together. Dynamic memory needs minimum <= startup <= maximum, and a VM's minimum is 512 MB
# unless set, so a smaller startup amount with dynamic memory lowers the minimum to it.
function Set-LabVmMemory {
    param($VM, [int64]$StartupBytes, [bool]$Dynamic)
    $memoryArgs = @{ VM = $VM; StartupBytes = $StartupBytes; DynamicMemoryEnabled = $Dynamic }
    if ($Dynamic -and (Get-VMMemory -VM $VM).Minimum -gt $StartupBytes) {
        $memoryArgs.MinimumBytes = $StartupBytes
    }
    Set-VMMemory @memoryArgs
}
