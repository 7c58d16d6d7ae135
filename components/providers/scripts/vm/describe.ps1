# Shared prelude of the Vm scripts: what a VM looks like to the provider (one hashtable).
# Memory in MB and the disk in GB, enums as their names, the raw Notes (the provider splits
# the owner tag line off in Python).
function Get-VmDescription {
    param($VM)
    $disks = @($VM.HardDrives)
    $vhdPath = $null
    $diskGb = $null
    if ($disks.Count -gt 0) {
        $vhdPath = $disks[0].Path
        $diskGb = [int64]((Get-VHD -Path $vhdPath).Size / 1GB)
    }
    return @{
        vm_id             = "$($VM.Id)"
        name              = $VM.Name
        generation        = [int]$VM.Generation
        memory_startup_mb = [int64]($VM.MemoryStartup / 1MB)
        dynamic_memory    = [bool]$VM.DynamicMemoryEnabled
        notes_text        = "$($VM.Notes)"
        state             = "$($VM.State)"
        actual_version    = "$($VM.Version)"
        vhd_path          = $vhdPath
        disk_size_gb      = $diskGb
    }
}
