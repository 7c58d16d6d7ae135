# Test prelude: the real copy reaches the guest, then Copy-VMFile reports a failure (e.g. the
# connection to the guest dropped near the end), so the operation must roll the copy back.
function Copy-VMFile {
    [CmdletBinding()]
    param([string]$Name, [string]$SourcePath, [string]$DestinationPath, [string]$FileSource,
        [switch]$CreateFullPath, [switch]$Force)
    Hyper-V\Copy-VMFile -Name $Name -SourcePath $SourcePath -DestinationPath $DestinationPath -FileSource Host -CreateFullPath -Force -ErrorAction Stop
    throw 'Failed to copy the file.'
}
