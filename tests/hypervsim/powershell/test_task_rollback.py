"""COM calls and scheduled tasks' actions are commands of their own for the world: when one
fails inside the emulator (an injected bug), the world is as it was before that call/action."""

from __future__ import annotations

import pytest

from hypervsim.powershell.session import PowerShellSession
from hypervsim.world.model import Computer, World
from hypervsim.world.scheduled_tasks import (
    ACTION_FAILED,
    NOT_YET_RUN,
    ScheduledTask,
    run_pending_tasks,
)

from .conftest import errors
from .test_files import state

XML = (
    '<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">'
    "<Actions><Exec><Command>cmd</Command><Arguments>/C exit 0</Arguments></Exec></Actions>"
    "</Task>"
)
SETUP = f"""
$schedule = New-Object -ComObject 'Schedule.Service'
$schedule.Connect()
$def = $schedule.NewTask($null)
$def.XmlText = '{XML}'
$folder = $schedule.GetFolder('\\')
"""


def _run(world: World, session: PowerShellSession, script: str) -> list[str]:
    with world.lock:
        return errors(session.run(script))


def test_com_call_failing_half_way_leaves_no_task(
    world: World, session: PowerShellSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Computer.register_task

    def register_then_fail(self: Computer, task: ScheduledTask, replace: bool) -> ScheduledTask:
        real(self, task, replace)
        world.root.new_switch("by-the-call", "Private")
        raise RuntimeError("injected failure")

    assert _run(world, session, SETUP) == []
    before = state(world)
    monkeypatch.setattr(Computer, "register_task", register_then_fail)
    errs = _run(world, session, "$folder.RegisterTaskDefinition('t1', $def, 6, $null, $null, 0)")
    assert errs == [
        'Exception calling "RegisterTaskDefinition" with "6" argument(s): "hypervsim internal'
        ' error: RuntimeError: injected failure"'
    ]
    assert state(world) == before
    assert world.root.scheduled_tasks == []
    assert [s.name for s in world.root.switches] == ["External"]
    monkeypatch.undo()
    assert (
        _run(world, session, "$folder.RegisterTaskDefinition('t1', $def, 6, $null, $null, 0)") == []
    )
    assert [t.name for t in world.root.scheduled_tasks] == ["t1"]


def test_com_run_failing_half_way_leaves_the_task_ready(
    world: World, session: PowerShellSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = SETUP + "$t = $folder.RegisterTaskDefinition('t2', $def, 6, $null, $null, 0)"
    assert _run(world, session, script) == []
    before = state(world)
    real = Computer.start_task

    def start_then_fail(self: Computer, name: str, folder: str = "\\") -> ScheduledTask:
        real(self, name, folder)
        raise RuntimeError("injected failure")

    monkeypatch.setattr(Computer, "start_task", start_then_fail)
    errs = _run(world, session, "$t.Run($null)")
    assert errs and errs[0].startswith('Exception calling "Run" with "1" argument(s)')
    assert state(world) == before
    assert _run(world, session, "if ($t.State -ne 3) { throw 'not ready' }") == []


def test_task_action_failing_during_start_sleep_is_undone(world: World) -> None:
    # the wire layer lets time pass on Start-Sleep: pending tasks run their actions then
    session = PowerShellSession(world, world.root, sleep=lambda _s: run_pending_tasks(world))

    def action_then_fail(computer: Computer, task: ScheduledTask) -> int:
        computer.new_switch("by-the-action", "Private")
        raise RuntimeError("injected failure")

    world.task_runner = action_then_fail
    assert (
        _run(
            world,
            session,
            SETUP + "$t = $folder.RegisterTaskDefinition('t3', $def, 6, $null, $null, 0)",
        )
        == []
    )
    assert _run(world, session, "$t.Run($null) | Out-Null") == []
    task = world.root.scheduled_tasks[0]
    assert task.state == 4 and task.pending
    before_action = state(world)
    r = session.run('Start-Sleep -Seconds 1; "$($t.State) $($t.LastTaskResult)"')
    assert errors(r) == []
    assert r.stdout == f"3 {ACTION_FAILED}\r\n"
    assert [s.name for s in world.root.switches] == ["External"]
    # the world is as before the action, apart from the task's own run record
    assert task.run_count == 1 and not task.pending
    task.run_count, task.pending, task.state, task.last_result = 0, True, 4, NOT_YET_RUN
    assert state(world) == before_action


def test_task_action_that_works_keeps_its_changes(world: World) -> None:
    session = PowerShellSession(world, world.root, sleep=lambda _s: run_pending_tasks(world))

    def action(computer: Computer, task: ScheduledTask) -> int:
        computer.new_switch("by-the-action", "Private")
        return 5

    world.task_runner = action
    script = SETUP + "$t = $folder.RegisterTaskDefinition('t4', $def, 6, $null, $null, 0)\n"
    script += '$t.Run($null) | Out-Null; Start-Sleep 1; "$($t.State) $($t.LastTaskResult)"'
    r = session.run(script)
    assert errors(r) == [] and r.stdout == "3 5\r\n"
    assert [s.name for s in world.root.switches] == ["External", "by-the-action"]
