"""Runs scheduled tasks' actions for the world (hypervsim.world.scheduled_tasks).

Task Scheduler starts the action's program directly (no cmd.exe in front unless the action
is cmd), as the task's user, with its output going nowhere unless the action redirects it.
The emulator runs it synchronously when time passes (see the world module's time model),
through the same process classes WinRS uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hypervsim.wire.launch import create_process
from hypervsim.wire.processes import ProcessContext, ProcessTerminatedError

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.wire.server import WinRmServer
    from hypervsim.world.model import Computer
    from hypervsim.world.scheduled_tasks import ScheduledTask

ERROR_FILE_NOT_FOUND = 0x80070002  # LastTaskResult when the action cannot be started


def install(server: WinRmServer) -> None:
    """Let the world run task actions and check task logons against the WinRM account."""
    world = server.world
    world.task_runner = lambda computer, task: run_action(server, computer, task)
    world.check_logon = server.credentials.matches


def run_action(server: WinRmServer, computer: Computer, task: ScheduledTask) -> int:
    if computer is not server.world.root or not task.command:
        return ERROR_FILE_NOT_FOUND  # guests' tasks run inside the guest, not modelled here
    user = task.user.rsplit("\\", 1)[-1] or server.credentials.user
    ctx = ProcessContext(
        world=server.world,
        session_factory=server.session_factory,
        counters=server.counters,
        state_path=server.config.state_path,
        ps_start_seconds=server.config.ps_start_ms / 1000.0,
        working_directory=task.working_directory or "C:\\Windows\\system32",
        user=user,
    )
    server.counters.add("scheduled_task_runs")
    process = create_process(ctx, task.command, [task.arguments], skip_cmd_shell=True)
    ctx.ensure_profile()
    try:
        return int(process.run())
    except ProcessTerminatedError:
        return 0x8004131F  # SCHED_E_TASK_TERMINATED (not reachable: nothing signals it)
