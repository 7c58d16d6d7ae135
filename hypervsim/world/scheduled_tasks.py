"""Task Scheduler of a Computer: registered tasks, their state and last result.

IaC tools run their scripts elevated by registering a task whose action runs the script
(`cmd /C powershell ... > out.log`), starting it, polling its State until it is Ready again
and reading LastTaskResult. The world keeps the tasks; running an action needs cmd.exe and
PowerShell, which live above the world, so the wire layer installs `World.task_runner`.

Time model: a started task is Running (4) until time passes for someone watching it (a
`Start-Sleep` in any process, or the end of the script that started it); then its action runs
to completion and the task is Ready (3) with LastTaskResult = the action's exit code.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import TYPE_CHECKING

from pydantic import BaseModel

from hypervsim.world.errors import WorldError

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.world.model import Computer, World

# TASK_STATE values as the Schedule.Service COM API and Get-ScheduledTask report them.
STATE_UNKNOWN, STATE_DISABLED, STATE_QUEUED, STATE_READY, STATE_RUNNING = 0, 1, 2, 3, 4
STATE_NAMES = {0: "Unknown", 1: "Disabled", 2: "Queued", 3: "Ready", 4: "Running"}
NOT_YET_RUN = 0x41303  # SCHED_S_TASK_HAS_NOT_RUN: LastTaskResult before the first run
ACTION_FAILED = 0x80004005  # E_FAIL: the emulator itself failed while running the action
TASK_NS = "{http://schemas.microsoft.com/windows/2004/02/mit/task}"


class ScheduledTask(BaseModel):
    """One registered task (in the root folder `\\` unless `folder` says otherwise)."""

    name: str
    folder: str = "\\"
    description: str = ""
    user: str = ""
    command: str = ""
    arguments: str = ""
    working_directory: str = ""
    enabled: bool = True
    state: int = STATE_READY
    last_result: int = NOT_YET_RUN
    last_run_time: str | None = None
    run_count: int = 0
    pending: bool = False  # started, its action not run yet (see the time model above)

    @property
    def path(self) -> str:
        return self.folder.rstrip("\\") + "\\" + self.name


def not_found_error(name: str) -> WorldError:
    """What Task Scheduler gives for an unknown task (COM HRESULT 0x80070002)."""
    return WorldError(
        "The system cannot find the file specified. (Exception from HRESULT: 0x80070002)",
        reason="FileNotFoundException",
        category="ObjectNotFound",
        exception_type="System.IO.FileNotFoundException",
        target=name,
    )


def parse_task_xml(xml_text: str) -> dict[str, str]:
    """The parts of a task definition the emulator acts on (Exec action, principal, text)."""
    try:
        root = ET.fromstring(xml_text.encode("utf-16") if "UTF-16" in xml_text[:80] else xml_text)
    except ET.ParseError as exc:
        raise WorldError(
            f"(1,1)::ERROR: incorrectly formatted XML: {exc}",
            reason="COMException",
            exception_type="System.Runtime.InteropServices.COMException",
        ) from None

    def text(path: str) -> str:
        node = root.find(path.replace("t:", TASK_NS))
        return (node.text or "").strip() if node is not None else ""

    return {
        "description": text("t:RegistrationInfo/t:Description"),
        "user": text("t:Principals/t:Principal/t:UserId"),
        "command": text("t:Actions/t:Exec/t:Command"),
        "arguments": text("t:Actions/t:Exec/t:Arguments"),
        "working_directory": text("t:Actions/t:Exec/t:WorkingDirectory"),
        "enabled": text("t:Settings/t:Enabled") or "true",
    }


class TaskScheduler:
    """Mixin for Computer: the Task Scheduler service's registered tasks."""

    if TYPE_CHECKING:  # pragma: no cover
        scheduled_tasks: list[ScheduledTask]

        @property
        def world(self) -> World: ...

    def find_task(self, name: str, folder: str = "\\") -> ScheduledTask | None:
        leaf = name.rsplit("\\", 1)[-1].lower()
        where = (name.rsplit("\\", 1)[0] + "\\") if "\\" in name.strip("\\") else folder
        return next(
            (
                t
                for t in self.scheduled_tasks
                if t.name.lower() == leaf and t.folder.lower() == (where or "\\").lower()
            ),
            None,
        )

    def register_task(self, task: ScheduledTask, replace: bool) -> ScheduledTask:
        """Register (TASK_CREATE) or replace (TASK_CREATE_OR_UPDATE) a task."""
        old = self.find_task(task.name, task.folder)
        if old is not None:
            if not replace:
                raise WorldError(
                    "Cannot create a file when that file already exists."
                    " (Exception from HRESULT: 0x800700B7)",
                    reason="COMException",
                    category="ResourceExists",
                    exception_type="System.Runtime.InteropServices.COMException",
                    target=task.name,
                )
            self.scheduled_tasks.remove(old)
        if not task.enabled:
            task.state = STATE_DISABLED
        self.scheduled_tasks.append(task)
        return task

    def start_task(self, name: str, folder: str = "\\") -> ScheduledTask:
        task = self.find_task(name, folder)
        if task is None:
            raise not_found_error(name)
        if task.state == STATE_DISABLED:
            raise WorldError(
                "The task has been disabled. (Exception from HRESULT: 0x80041326)",
                reason="COMException",
                exception_type="System.Runtime.InteropServices.COMException",
                target=name,
            )
        if task.state != STATE_RUNNING:  # MultipleInstancesPolicy IgnoreNew
            task.state = STATE_RUNNING
            task.pending = True
            task.last_run_time = dt.datetime.now().isoformat(timespec="seconds")
        return task

    def delete_task(self, name: str, folder: str = "\\") -> None:
        task = self.find_task(name, folder)
        if task is None:
            raise not_found_error(name)
        self.scheduled_tasks.remove(task)


def has_pending_tasks(world: World) -> bool:
    """Is any started task waiting to run? (Read without the lock: a hint, rechecked under it.)"""
    return any(t.pending for c in world.root.walk() for t in c.scheduled_tasks)


def run_pending_tasks(world: World) -> int:
    """Time passes: every started task's action runs now (via `world.task_runner`); returns
    how many ran. A task whose action cannot run ends with LastTaskResult 0x80070002."""
    ran = 0
    for computer in list(world.root.walk()):
        for task in list(computer.scheduled_tasks):
            if not task.pending:
                continue
            task.pending = False
            runner = world.task_runner
            if runner is None:
                code = 0x80070002
            else:
                code = _run_guarded(world, runner, computer, task)
            task.last_result = code & 0xFFFFFFFF if code < 0 else code
            task.run_count += 1
            task.state = STATE_READY if task.enabled else STATE_DISABLED
            ran += 1
    return ran


def _run_guarded(
    world: World,
    runner: Callable[[Computer, ScheduledTask], int],
    computer: Computer,
    task: ScheduledTask,
) -> int:
    """A task's action is its own command for the world: when running it fails inside the
    emulator (an exception, not an exit code), whatever it changed is undone and the task
    ends with E_FAIL. Its commands' own errors are exit codes and keep their changes, as a
    real process's do."""
    snapshot = world.snapshot()
    try:
        return runner(computer, task)
    except Exception:
        snapshot.restore()
        return ACTION_FAILED
