# Test prelude: Copy-VMFile delivers other bytes than the image's (a copy damaged on the way),
# so the copy operation's own hash check inside the guest must catch it.
function Copy-VMFile {
    [CmdletBinding()]
    param([string]$Name, [string]$SourcePath, [string]$DestinationPath, [string]$FileSource,
        [switch]$CreateFullPath, [switch]$Force)
    $other = 'C:\Images\damaged-in-transit.bin'
    Set-Content -LiteralPath $other -Value 'damaged' -Encoding UTF8
    Hyper-V\Copy-VMFile -Name $Name -SourcePath $other -DestinationPath $DestinationPath -FileSource Host -CreateFullPath -Force -ErrorAction Stop
}
