# On the Hyper-V host that runs the VM: hash the image, then copy it into the VM's guest with
# Copy-VMFile, unless the guest already holds an identical copy (`existing_sha256` equals the
# image's hash: nothing to do) or a different file that may not be overwritten (`overwrite`
# false: the answer says `refused`, the provider explains). Copy-VMFile needs the VM's
# 'Guest Service Interface' integration service: when it is off it is turned on for the copy
# and off again afterwards (`guest_service_turned_on`). The provider checks the copy's hash
# inside the guest afterwards. The VM is found with -eq (exact name), then named with -VMName.
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json
$vm = Get-VM | Where-Object { $_.Name -eq $in.vm_name } | Select-Object -First 1
if ($null -eq $vm) {
    throw "There is no VM named '$($in.vm_name)' on this Hyper-V host to copy '$($in.source_path)' into."
}
if (-not (Test-Path -LiteralPath $in.source_path -PathType Leaf)) {
    throw "The image '$($in.source_path)' does not exist on this Hyper-V host (or is not a file)."
}
$result = @{
    sha256                  = (Get-FileHash -LiteralPath $in.source_path -Algorithm SHA256).Hash
    copied                  = $false
    refused                 = $false
    guest_service_turned_on = $false
}
if ($null -ne $in.existing_sha256) {
    if ($in.existing_sha256 -eq $result.sha256) {
        return ($result | ConvertTo-Json -Compress)
    }
    if (-not [bool]$in.overwrite) {
        $result.refused = $true
        return ($result | ConvertTo-Json -Compress)
    }
}
$service = 'Guest Service Interface'
if (-not (Get-VMIntegrationService -VMName $vm.Name -Name $service).Enabled) {
    Enable-VMIntegrationService -VMName $vm.Name -Name $service
    $result.guest_service_turned_on = $true
    # Its guest side starts on demand: wait (bounded) until Hyper-V reports contact with it.
    $waited = 0
    while ($waited -lt 30 -and
        (Get-VMIntegrationService -VMName $vm.Name -Name $service).PrimaryStatusDescription -ne 'OK') {
        Start-Sleep -Seconds 1
        $waited = $waited + 1
    }
}
try {
    Copy-VMFile -Name $vm.Name -SourcePath $in.source_path -DestinationPath $in.destination_path -FileSource Host -CreateFullPath -Force -ErrorAction Stop
}
finally {
    if ($result.guest_service_turned_on) {
        Disable-VMIntegrationService -VMName $vm.Name -Name $service
    }
}
$result.copied = $true
$result | ConvertTo-Json -Compress
