# Inside the guest: remove the copy; one that is already gone is success.
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json
$removed = $false
if (Test-Path -LiteralPath $in.path -PathType Leaf) {
    Remove-Item -LiteralPath $in.path -Force
    $removed = $true
}
@{ removed = $removed } | ConvertTo-Json -Compress
