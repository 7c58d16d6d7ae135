# Runs an operation script inside a VM through PowerShell Direct (Invoke-Command -VMName).
# Everything arrives as data in $InputJson: the VM name, the guest login (password as base64
# UTF-8, never in source and never echoed), the inner script (base64 UTF-8) and its JSON input.
# Fails at once when no VM of that name exists on this host; otherwise waits (bounded by
# wait_s) until its guest answers, then returns the inner script's JSON document as is (or,
# with a follow-up `then_b64` whose condition the first answer meets, the follow-up's).
# "The credential is invalid." is retried only for login_retry_s (within wait_s): a new guest
# refuses every login while Windows Setup specializes it, but a wrong password never heals.
# A VM whose disk holds no operating system never answers: that ends with the bounded wait.
# A VM that is Off (or Saved, Paused) fails at once: its guest cannot answer until someone
# starts it, so waiting would only delay the caller (a read then keeps what it recorded).
param([string]$InputJson)

$in = $InputJson | ConvertFrom-Json
# Names are compared as data (-Name would treat [ ] * ? as wildcards).
function Test-GuestVmExists {
    param([string]$Name)
    $null -ne (Get-VM | Where-Object { $_.Name -eq $Name } | Select-Object -First 1)
}
$missing = "There is no VM named '$($in.vm_name)' on this Hyper-V host, so PowerShell Direct cannot reach it"
if (-not (Test-GuestVmExists -Name $in.vm_name)) {
    # A distinct ErrorId: the client reports this as "the VM is gone", which read/delete
    # treat as "so is everything inside it".
    Write-Error -Message "$missing." -ErrorId 'HyperVLab.GuestVmMissing' -Category ObjectNotFound -ErrorAction Stop
}
# The VM's state, or $null once it is gone.
function Get-GuestVmState {
    param([string]$Name)
    $found = Get-VM | Where-Object { $_.Name -eq $Name } | Select-Object -First 1
    if ($null -eq $found) { return $null }
    "$($found.State)"
}
$stopped = @('Off', 'Saved', 'Paused', 'OffCritical', 'SavedCritical', 'PausedCritical')
function Assert-GuestVmRunning {
    param([string]$Name)
    $state = Get-GuestVmState -Name $Name
    if ($state -in $stopped) {
        # A distinct ErrorId: the client reports "the VM is not running", which read treats
        # as "unknown until it runs" (nothing inside can be read, nothing was run). A failed
        # delete names the VM from this sentence (components/providers/inside_off_vm.py).
        $off = "VM '$Name' is $state, so PowerShell Direct cannot reach its guest (start the VM, or run pulumi up, which starts it)."
        Write-Error -Message $off -ErrorId 'HyperVLab.GuestVmOff' -Category ResourceUnavailable -ErrorAction Stop
    }
}
Assert-GuestVmRunning -Name $in.vm_name
$plain = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($in.password_b64))
$secure = ConvertTo-SecureString -String $plain -AsPlainText -Force
$plain = $null
$cred = New-Object System.Management.Automation.PSCredential($in.user, $secure)

# Waits (bounded by wait_s) until the guest answers PowerShell Direct.
function Wait-GuestAnswer {
    $waited = 0
    $refused = 0
    while ($true) {
        try {
            Invoke-Command -VMName $in.vm_name -Credential $cred -ScriptBlock { 'ready' } -ErrorAction Stop | Out-Null
            return
        }
        catch {
            if (-not (Test-GuestVmExists -Name $in.vm_name)) { throw "$missing (it was removed while waiting)." }
            Assert-GuestVmRunning -Name $in.vm_name
            $invalid = "$($_.FullyQualifiedErrorId)" -like 'InvalidCredential*'
            if ($invalid -and ($refused -ge $in.login_retry_s -or $waited -ge $in.wait_s)) {
                # A distinct ErrorId: the client names the credential and how to fix it.
                $denied = "$($_.Exception.Message) (the login was refused for $refused s)"
                Write-Error -Message $denied -ErrorId 'HyperVLab.GuestLoginRefused' -Category AuthenticationError -ErrorAction Stop
            }
            if ($waited -ge $in.wait_s) {
                # A distinct ErrorId: nothing ran inside, so the caller may wait longer (a restart).
                $late = "The guest of VM '$($in.vm_name)' did not answer PowerShell Direct within $($in.wait_s) s (a VM whose disk holds no operating system never answers: check its image): $($_.Exception.Message)"
                Write-Error -Message $late -ErrorId 'HyperVLab.GuestNotAnswering' -Category ResourceUnavailable -ErrorAction Stop
            }
            Start-Sleep -Seconds 2
            $waited = $waited + 2
            if ($invalid) { $refused = $refused + 2 } else { $refused = 0 }
        }
    }
}

# Runs one inner script (base64 UTF-8) with its JSON input inside the guest.
function Invoke-InGuest {
    param([string]$ScriptB64, [string]$Json)
    try {
        Invoke-Command -VMName $in.vm_name -Credential $cred -ErrorAction Stop -ArgumentList $ScriptB64, $Json -ScriptBlock {
            param($ScriptB64, $Json)
            $ErrorActionPreference = 'Stop'
            $inner = [scriptblock]::Create([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($ScriptB64)))
            & $inner $Json
        }
    }
    catch {
        # A login refused one level deeper (the inner script is this wrapper for a VM inside this
        # one) is marked '.1' per level, so each client level can tell its own refusal apart.
        $id = "$($_.FullyQualifiedErrorId)".Split(',')[0]
        if ($id -like 'HyperVLab.GuestLoginRefused*') {
            Write-Error -Message $_.Exception.Message -ErrorId "$id.1" -Category AuthenticationError -ErrorAction Stop
        }
        throw $_
    }
}

Wait-GuestAnswer
$out = Invoke-InGuest -ScriptB64 $in.script_b64 -Json $in.input_json
# A follow-up in the same operation: when the first script's answer says `then_when` (e.g. it
# restarted the guest), wait until the guest answers again and run `then_b64` there; its
# answer is the operation's. One operation instead of a second one after the restart.
if ($in.then_b64 -and (($out | Out-String) | ConvertFrom-Json).($in.then_when)) {
    Wait-GuestAnswer
    $out = Invoke-InGuest -ScriptB64 $in.then_b64 -Json $in.then_input_json
}
$out
