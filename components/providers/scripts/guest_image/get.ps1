# Inside the guest: is the copy there, and what is its SHA256 (uppercase hex)?
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json
if (-not (Test-Path -LiteralPath $in.path -PathType Leaf)) {
    return (@{ exists = $false; sha256 = $null } | ConvertTo-Json -Compress)
}
@{ exists = $true; sha256 = (Get-FileHash -LiteralPath $in.path -Algorithm SHA256).Hash } |
    ConvertTo-Json -Compress
