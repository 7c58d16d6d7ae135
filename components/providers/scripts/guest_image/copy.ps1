# On the Hyper-V host that runs the VM: hash the image, then copy it into the VM's guest with
# Copy-VMFile, unless the guest already holds an identical copy (nothing to do) or a different
# file that may not be overwritten (`overwrite` false: the answer says `refused`, the provider
# explains). Copy-VMFile needs the VM's 'Guest Service Interface' integration service: when it
# is off it is turned on for the copy and off again afterwards (`guest_service_turned_on`).
#
# With `guest` (the guest is this VM, reached through PowerShell Direct from this host), the
# hash checks inside the guest run here, in the same operation: the copy found before
# (`before`), the copy made (`guest_sha256`); a copy that arrived different is removed again
# (`damaged`, `removal`), and so is what a failed Copy-VMFile left behind (the error then says
# so). `guest.wrapper_b64` is the PowerShell Direct wrapper; `guest.probe` / `guest.remove`
# are its input documents (they carry the inner scripts). Without `guest` the provider checks
# the guest itself and passes what it found as `existing_sha256`.
# The VM is found with -eq (exact name), then named with -VMName.
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
    before                  = $null
    guest_sha256            = $null
    damaged                 = $false
    removal                 = $null
}
$inGuest = $null
if ($null -ne $in.guest) {
    $inGuest = [scriptblock]::Create([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($in.guest.wrapper_b64)))
}
# The SHA256 (uppercase hex) of the copy inside the guest, or $null when there is none.
function Get-GuestCopyHash {
    $got = (& $inGuest $in.guest.probe | Out-String) | ConvertFrom-Json
    if ($got.exists) { return "$($got.sha256)".ToUpper() }
    $null
}
# Removes a damaged or partial copy inside the guest; returns words for the provider's message.
function Remove-GuestCopy {
    try {
        & $inGuest $in.guest.remove | Out-Null
        'the damaged copy was removed'
    }
    catch {
        "removing the damaged copy failed too: $($_.Exception.Message)"
    }
}
$existing = $in.existing_sha256
if ($null -ne $inGuest) {
    $existing = Get-GuestCopyHash
    $result.before = $existing
}
if ($null -ne $existing) {
    if ($existing -eq $result.sha256) {
        $result.guest_sha256 = $existing
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
$failed = $null
try {
    Copy-VMFile -Name $vm.Name -SourcePath $in.source_path -DestinationPath $in.destination_path -FileSource Host -CreateFullPath -Force -ErrorAction Stop
}
catch {
    $failed = $_
}
finally {
    if ($result.guest_service_turned_on) {
        Disable-VMIntegrationService -VMName $vm.Name -Name $service
    }
}
if ($null -ne $failed) {
    # Copy-VMFile may have left a partial file: roll back what this operation changed.
    if ($null -ne $inGuest) {
        $after = Get-GuestCopyHash
        if ($null -ne $after -and $after -ne $existing) {
            throw "$($failed.Exception.Message) ($(Remove-GuestCopy))"
        }
    }
    throw $failed
}
$result.copied = $true
if ($null -ne $inGuest) {
    $result.guest_sha256 = Get-GuestCopyHash
    if ($result.guest_sha256 -ne $result.sha256) {
        $result.damaged = $true
        $result.removal = Remove-GuestCopy
    }
}
$result | ConvertTo-Json -Compress
