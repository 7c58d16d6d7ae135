# Restart this machine to finish a feature installation. The provider then waits (bounded)
# until the guest answers again and reports the feature installed.
param([string]$InputJson)
Restart-Computer -Force
'{}'
