# Create a virtual switch, or report the one that already has this name (status 'exists');
# the provider decides whether to adopt it. A switch made here is removed again if reading it
# back fails. Needs the describe.ps1 prelude.
param([string]$InputJson)
$in = $InputJson | ConvertFrom-Json
$switch = Find-LabSwitch -Name $in.name
$status = 'exists'
if ($null -eq $switch) {
    if ($in.switch_type -eq 'External') {
        $switch = New-VMSwitch -Name $in.name -NetAdapterName $in.net_adapter_name -AllowManagementOS $true
    }
    else {
        $switch = New-VMSwitch -Name $in.name -SwitchType $in.switch_type
    }
    $status = 'created'
}
try {
    $state = ConvertTo-LabSwitchState -Switch $switch
}
catch {
    if ($status -eq 'created') { $switch | Remove-VMSwitch -Force }
    throw
}
$state.status = $status
$state | ConvertTo-Json -Compress
