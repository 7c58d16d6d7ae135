"""Task Scheduler from PowerShell: the Schedule.Service COM object (`New-Object -ComObject
Schedule.Service`) and the ScheduledTasks module's cmdlets, over the world's tasks
(hypervsim.world.scheduled_tasks). COM failures surface as .NET method exceptions
('Exception calling "Run" with "1" argument(s): ...'), as they do through COM interop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from hypervsim.powershell import api
from hypervsim.powershell.cmdlets.world_bridge import report, strings
from hypervsim.powershell.values import NOTHING, to_string
from hypervsim.world.errors import WorldError
from hypervsim.world.model import Computer
from hypervsim.world.scheduled_tasks import (
    STATE_NAMES,
    ScheduledTask,
    not_found_error,
    parse_task_xml,
)

S = api.ParamKind.SWITCH
L = api.ParamKind.LIST
MODULE = "ScheduledTasks"
CIM = "Microsoft.Management.Infrastructure.CimInstance"
TASK_CREATE, TASK_UPDATE = 2, 4
TASK_LOGON_PASSWORD = 1
BAD_LOGON = "The user name or password is incorrect. (Exception from HRESULT: 0x8007052E)"


def _com(computer: Computer, call: Callable[..., Any]) -> Callable[..., Any]:
    """A COM method call is its own command for the world: it runs under a snapshot, and
    when it throws (a refusal, or an emulator bug) the world is put back as it was before the
    call. World refusals become the COMException a COM call throws; a bug becomes a .NET
    exception of the call, never a half-registered task."""

    def wrapped(*args: Any) -> Any:
        snapshot = computer.world.snapshot()
        try:
            return call(*args)
        except WorldError as exc:
            snapshot.restore()
            raise api.DotNetCallError(exc.message, exc.exception_type) from None
        except api.DotNetCallError:
            snapshot.restore()
            raise
        except Exception as exc:  # an emulator bug inside the call
            snapshot.restore()
            raise api.DotNetCallError(
                f"hypervsim internal error: {type(exc).__name__}: {exc}",
                "System.InvalidOperationException",
            ) from None

    return wrapped


class RegisteredTask(api.PSObject):
    """IRegisteredTask: State / LastTaskResult read the live task, as COM properties do."""

    __slots__ = ("task",)
    _LIVE = ("state", "lasttaskresult", "lastruntime", "enabled", "numberofmissedruns")

    def __init__(self, computer: Computer, task: ScheduledTask) -> None:
        super().__init__(
            {
                "Name": task.name,
                "Path": task.path,
                "Run": _com(computer, lambda *_: _run(computer, task)),
                "Stop": _com(computer, lambda *_: NOTHING),
            },
            type_names=["System.__ComObject#{9c86f320-dee3-4dd1-b972-a303f26b061e}"],
        )
        self.task = task

    def get(self, name: str, default: Any = None) -> Any:
        key = name.lower()
        if key == "state":
            return self.task.state
        if key == "lasttaskresult":
            return self.task.last_result
        if key == "lastruntime":
            return self.task.last_run_time
        if key == "enabled":
            return self.task.enabled
        if key == "numberofmissedruns":
            return 0
        return super().get(name, default)

    def has(self, name: str) -> bool:
        return name.lower() in self._LIVE or super().has(name)


def _run(computer: Computer, task: ScheduledTask) -> api.PSObject:
    computer.start_task(task.name, task.folder)
    return api.PSObject(
        {"Name": task.name, "Path": task.path, "State": task.state},
        type_names=["System.__ComObject#{653758fb-7b9a-4f1e-a471-beeb8e9b834e}"],
    )


def _check_logon(computer: Computer, user: str, password: Any, logon_type: int) -> None:
    if logon_type != TASK_LOGON_PASSWORD:
        return
    check = computer.world.check_logon
    if check is None or not check(user, to_string(password) if password is not None else ""):
        raise api.DotNetCallError(BAD_LOGON, "System.UnauthorizedAccessException")


def _folder(computer: Computer, path: str) -> api.PSObject:
    folder = path if path.startswith("\\") else "\\" + path

    def register(
        name: Any,
        definition: Any,
        flags: Any = TASK_CREATE,
        user: Any = None,
        password: Any = None,
        logon_type: Any = 0,
        _sddl: Any = None,
    ) -> RegisteredTask:
        parts = parse_task_xml(to_string(definition.get("XmlText") or ""))
        account = to_string(user) if user is not None else parts["user"]
        _check_logon(computer, account, password, int(logon_type or 0))
        task = ScheduledTask(
            name=to_string(name).rsplit("\\", 1)[-1],
            folder=folder,
            description=parts["description"],
            user=account,
            command=parts["command"],
            arguments=parts["arguments"],
            working_directory=parts["working_directory"],
            enabled=parts["enabled"].lower() != "false",
        )
        replace = bool(int(flags or 0) & TASK_UPDATE)
        return RegisteredTask(computer, computer.register_task(task, replace))

    def get_task(name: Any) -> RegisteredTask:
        task = computer.find_task(to_string(name), folder)
        if task is None:
            raise not_found_error(to_string(name))
        return RegisteredTask(computer, task)

    def delete_task(name: Any, _flags: Any = 0) -> Any:
        computer.delete_task(to_string(name), folder)
        return NOTHING

    return api.PSObject(
        {
            "Name": folder.rstrip("\\").rsplit("\\", 1)[-1] or "\\",
            "Path": folder,
            "RegisterTaskDefinition": _com(computer, register),
            "GetTask": _com(computer, get_task),
            "DeleteTask": _com(computer, delete_task),
        },
        type_names=["System.__ComObject#{8cfac062-a080-4c15-9a88-aa7c2af80dfc}"],
    )


def schedule_service(computer: Computer) -> api.PSObject:
    """`New-Object -ComObject Schedule.Service` (ITaskService)."""
    state = {"connected": False}

    def connect(*_: Any) -> Any:
        state["connected"] = True
        return NOTHING

    def need_connection() -> None:
        if not state["connected"]:
            raise api.DotNetCallError(
                "The service has not been connected. (Exception from HRESULT: 0x80041315)",
                "System.Runtime.InteropServices.COMException",
            )

    def get_folder(path: Any) -> api.PSObject:
        need_connection()
        return _folder(computer, to_string(path))

    def new_task(_flags: Any = 0) -> api.PSObject:
        need_connection()
        return api.PSObject(
            {"XmlText": "", "RegistrationInfo": api.PSObject({"Description": ""})},
            type_names=["System.__ComObject#{f5bc8fc5-536d-4f77-b852-fbc1356fdeb6}"],
        )

    return api.PSObject(
        {
            "Connected": False,
            "TargetServer": computer.name,
            "Connect": _com(computer, connect),
            "GetFolder": _com(computer, get_folder),
            "NewTask": _com(computer, new_task),
        },
        type_names=["System.__ComObject#{2faba4c7-4da9-4013-9697-20cc3fd40f85}"],
    )


# ---------------------------------------------------------------------------- cmdlets
def task_object(task: ScheduledTask) -> api.PSObject:
    """MSFT_ScheduledTask as Get-ScheduledTask returns it (State by name)."""
    action = api.PSObject(
        {"Execute": task.command, "Arguments": task.arguments or None, "Id": None},
        [f"{CIM}#Root/Microsoft/Windows/TaskScheduler/MSFT_TaskExecAction", CIM],
    )
    return api.PSObject(
        {
            "TaskName": task.name,
            "TaskPath": task.folder if task.folder.endswith("\\") else task.folder + "\\",
            "State": STATE_NAMES.get(task.state, "Unknown"),
            "Description": task.description or None,
            "Actions": [action],
            "Principal": api.PSObject({"UserId": task.user}),
        },
        [f"{CIM}#Root/Microsoft/Windows/TaskScheduler/MSFT_ScheduledTask", CIM],
        ref=task,
    )


def _cim_not_found(name: str, command: str) -> WorldError:
    return WorldError(
        f"No MSFT_ScheduledTask objects found with property 'TaskName' equal to '{name}'.  "
        "Verify the value of the property and retry.",
        reason="CmdletizationQuery_NotFound_TaskName",
        category="ObjectNotFound",
        exception_type="Microsoft.Management.Infrastructure.CimException",
        target=name,
        fqid=f"CmdletizationQuery_NotFound_TaskName,{command}",
    )


def _tasks(inv: api.Invocation, command: str) -> list[ScheduledTask]:
    computer: Computer = inv.computer
    given = inv.bound.get("InputObject")
    if given is not None:
        return [o.ref for o in (given if isinstance(given, list) else [given]) if o.ref]
    names = inv.bound.get("TaskName")
    if names is None:
        return list(computer.scheduled_tasks)
    out: list[ScheduledTask] = []
    for name in strings(names):
        task = computer.find_task(name, to_string(inv.bound.get("TaskPath") or "\\"))
        if task is None:
            report(inv, _cim_not_found(name, command))
        elif task not in out:
            out.append(task)
    return out


@api.cmdlet(
    "New-ScheduledTaskAction",
    api.Param("Execute", position=0, mandatory=True),
    api.Param("Argument", position=1),
    api.Param("WorkingDirectory", position=2),
    api.Param("Id"),
    module=MODULE,
)
def new_scheduled_task_action(inv: api.Invocation) -> Iterable[Any]:
    return [
        api.PSObject(
            {
                "Execute": to_string(inv.bound["Execute"]),
                "Arguments": inv.bound.get("Argument"),
                "WorkingDirectory": inv.bound.get("WorkingDirectory"),
            },
            [f"{CIM}#Root/Microsoft/Windows/TaskScheduler/MSFT_TaskExecAction", CIM],
        )
    ]


@api.cmdlet(
    "Register-ScheduledTask",
    api.Param("TaskName", position=0, mandatory=True),
    api.Param("TaskPath"),
    api.Param("Action", L),
    api.Param("Trigger", L),
    api.Param("Settings"),
    api.Param("Principal"),
    api.Param("User"),
    api.Param("Password"),
    api.Param("RunLevel"),
    api.Param("Description"),
    api.Param("Xml"),
    api.Param("Force", kind=S),
    module=MODULE,
)
def register_scheduled_task(inv: api.Invocation) -> Iterable[Any]:
    computer: Computer = inv.computer
    name = to_string(inv.bound["TaskName"])
    folder = to_string(inv.bound.get("TaskPath") or "\\")
    if inv.bound.get("Xml") is not None:
        parts = parse_task_xml(to_string(inv.bound["Xml"]))
        command, arguments = parts["command"], parts["arguments"]
        user = to_string(inv.bound.get("User") or parts["user"])
        description = to_string(inv.bound.get("Description") or parts["description"])
    else:
        actions = inv.bound.get("Action") or []
        first = actions[0] if actions else None
        command = to_string(first.get("Execute")) if isinstance(first, api.PSObject) else ""
        arguments = (
            to_string(first.get("Arguments") or "") if isinstance(first, api.PSObject) else ""
        )
        user = to_string(inv.bound.get("User") or "")
        description = to_string(inv.bound.get("Description") or "")
    if inv.bound.get("Password") is not None:
        check = computer.world.check_logon
        if check is None or not check(user, to_string(inv.bound["Password"])):
            raise api.CmdletError(
                api.ErrorRecord(
                    message="The user name or password is incorrect.",
                    category=api.ErrorCategory.NotSpecified,
                    fqid="HRESULT 0x8007052e,Register-ScheduledTask",
                    exception_type="Microsoft.Management.Infrastructure.CimException",
                    target=name,
                ),
            )
    task = ScheduledTask(
        name=name,
        folder=folder if folder.startswith("\\") else "\\" + folder,
        description=description,
        user=user,
        command=command,
        arguments=arguments,
    )
    try:
        computer.register_task(task, replace=bool(inv.bound.get("Force")))
    except WorldError:
        raise api.CmdletError(
            api.ErrorRecord(
                message="Cannot create a file when that file already exists.",
                category=api.ErrorCategory.ResourceExists,
                fqid="HRESULT 0x800700b7,Register-ScheduledTask",
                exception_type="Microsoft.Management.Infrastructure.CimException",
                target=name,
            ),
        ) from None
    return [task_object(task)]


@api.cmdlet(
    "Get-ScheduledTask",
    api.Param("TaskName", L, position=0),
    api.Param("TaskPath", position=1),
    module=MODULE,
)
def get_scheduled_task(inv: api.Invocation) -> Iterable[Any]:
    return [task_object(t) for t in _tasks(inv, "Get-ScheduledTask")]


# The parameters of the cmdlets that act on registered tasks (by name or piped in).
TASK_PARAMS = (
    api.Param("TaskName", L, position=0),
    api.Param("TaskPath", position=1),
    api.Param("InputObject", from_pipeline=True),
)


@api.cmdlet("Start-ScheduledTask", *TASK_PARAMS, module=MODULE)
def start_scheduled_task(inv: api.Invocation) -> Iterable[Any]:
    for task in _tasks(inv, "Start-ScheduledTask"):
        inv.computer.start_task(task.name, task.folder)
    return []


@api.cmdlet("Get-ScheduledTaskInfo", *TASK_PARAMS, module=MODULE)
def get_scheduled_task_info(inv: api.Invocation) -> Iterable[Any]:
    return [
        api.PSObject(
            {
                "LastRunTime": t.last_run_time,
                "LastTaskResult": t.last_result,
                "NextRunTime": None,
                "NumberOfMissedRuns": 0,
                "TaskName": t.name,
                "TaskPath": t.folder if t.folder.endswith("\\") else t.folder + "\\",
            },
            [f"{CIM}#Root/Microsoft/Windows/TaskScheduler/MSFT_TaskDynamicInfo", CIM],
        )
        for t in _tasks(inv, "Get-ScheduledTaskInfo")
    ]


@api.cmdlet("Unregister-ScheduledTask", *TASK_PARAMS, module=MODULE)
def unregister_scheduled_task(inv: api.Invocation) -> Iterable[Any]:
    for task in _tasks(inv, "Unregister-ScheduledTask"):
        inv.computer.delete_task(task.name, task.folder)
    return []
