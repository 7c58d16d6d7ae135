"""Scheduled tasks as elevated wrappers use them: the Schedule.Service COM object and the
ScheduledTasks cmdlets; a started task is Running (4) until time passes, then its action has
run against the world (its redirected output in the file) and it is Ready (3) with
LastTaskResult = the action's exit code."""

from __future__ import annotations

import winrm

from tests.conftest import Emulator

XML = (
    '<?xml version="1.0" encoding="UTF-16"?>'
    '<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">'
    "<RegistrationInfo><Description>lab</Description></RegistrationInfo>"
    "<Principals><Principal id='Author'><UserId>{user}</UserId></Principal></Principals>"
    "<Actions Context='Author'><Exec><Command>cmd</Command>"
    "<Arguments>/C powershell -NoProfile -Command &quot;New-VMSwitch -Name {switch}"
    " -SwitchType Internal | Out-Null; 'made {switch}'; exit 7&quot; &gt; {log}</Arguments>"
    "</Exec></Actions></Task>"
)


def _ps(emulator: Emulator, script: str) -> tuple[int, str, str]:
    session = winrm.Session(
        emulator.endpoint, auth=(emulator.user, emulator.password), transport="ntlm"
    )
    result = session.run_ps(script)
    return result.status_code, result.std_out.decode(), result.std_err.decode()


def _com_script(emulator: Emulator, password: str, switch: str) -> str:
    log = f"C:\\Users\\{emulator.user}\\AppData\\Local\\Temp\\{switch}.log"
    xml = XML.format(user=emulator.user, switch=switch, log=log).replace("'", "''")
    return f"""
$schedule = New-Object -ComObject 'Schedule.Service'
$schedule.Connect()
$task = $schedule.NewTask($null)
$task.XmlText = '{xml}'
$folder = $schedule.GetFolder('\\')
$folder.RegisterTaskDefinition('{switch}', $task, 6, '{emulator.user}', '{password}', 1, $null) | Out-Null
$registered = $folder.GetTask('\\{switch}')
"before $($registered.State) $($registered.LastTaskResult)"
$registered.Run($null) | Out-Null
"started $($registered.State)"
Start-Sleep -Milliseconds 10
"after $($registered.State) $($registered.LastTaskResult)"
Get-Content '{log}'
(Get-VMSwitch -Name '{switch}').SwitchType.ToString()
$folder.DeleteTask('{switch}', 0)
[System.Runtime.Interopservices.Marshal]::ReleaseComObject($schedule) | Out-Null
"""


def test_com_task_runs_its_action_when_time_passes(emulator: Emulator) -> None:
    code, out, err = _ps(emulator, _com_script(emulator, emulator.password, "tasksw1"))
    assert code == 0
    assert err == ""
    assert out == ("before 3 267011\r\nstarted 4\r\nafter 3 7\r\nmade tasksw1\r\nInternal\r\n")
    _, out, err = _ps(emulator, "Get-ScheduledTask -TaskName tasksw1")
    assert "No MSFT_ScheduledTask objects found with property 'TaskName' equal to 'tasksw1'" in err


def test_com_register_with_a_wrong_password_is_refused(emulator: Emulator) -> None:
    _, out, err = _ps(emulator, _com_script(emulator, "wrong", "tasksw2"))
    assert (
        'Exception calling "RegisterTaskDefinition" with "7" argument(s): "The user name or'
        ' password is incorrect. (Exception from HRESULT: 0x8007052E)"'
    ) in err
    # The call failed (statement-terminating), so there is no task to get or run.
    assert out.startswith("before  \r\n")
    assert "The system cannot find the file specified. (Exception from HRESULT: 0x80070002)" in err


def test_unknown_com_class_is_not_registered(emulator: Emulator) -> None:
    _, _, err = _ps(emulator, "New-Object -ComObject 'Nope.Service'")
    assert "80040154 Class not registered" in err
    assert "NoCOMClassIdentified,Microsoft.PowerShell.Commands.NewObjectCommand" in err


def test_scheduled_task_cmdlets(emulator: Emulator) -> None:
    script = """
$action = New-ScheduledTaskAction -Execute 'cmd.exe' -Argument '/c exit 5'
Register-ScheduledTask -TaskName cmdlet-task -Action $action -Description 'x' | Out-Null
(Get-ScheduledTask -TaskName cmdlet-task).State
(Get-ScheduledTaskInfo -TaskName cmdlet-task).LastTaskResult
Start-ScheduledTask -TaskName cmdlet-task
(Get-ScheduledTask -TaskName cmdlet-task).State
Start-Sleep -Milliseconds 10
(Get-ScheduledTask -TaskName cmdlet-task).State
(Get-ScheduledTaskInfo -TaskName cmdlet-task).LastTaskResult
Unregister-ScheduledTask -TaskName cmdlet-task -Confirm:$false
@(Get-ScheduledTask).Count
"""
    _, out, err = _ps(emulator, script)
    assert err == ""
    assert out == "Ready\r\n267011\r\nRunning\r\nReady\r\n5\r\n0\r\n"
