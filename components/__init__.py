"""hyperv-lab: Pulumi components and dynamic providers for nested Hyper-V labs.

Sub-packages:
  config      typed stack configuration (hosts, credentials) from Pulumi config or environment
  remote      the WinRM PowerShell client every provider uses
  providers   dynamic providers (one per Hyper-V object) and their shared framework
"""
