"""The WinRS process model: powershell.exe processes (one script, or one run per stdin line).

The cmd.exe interpreter lives in hypervsim.wire.cmdexe; which process a CommandLine starts is
decided in hypervsim.wire.launch.

Every process works in a worker thread and appends its output, encoded in the shell's code
page, to buffers that Receive drains. PowerShell runs while holding `world.lock`; the state
file is written after every script/line before the lock is released, so a completed command
survives a SIGKILL. Modelled costs (`--ps-start-ms`) are slept outside the lock, once per
process start (never per stdin line of a long-lived `-Command -`).

A WinRS Signal (terminate) ends a process the way killing powershell.exe does: a line waiting
in `Start-Sleep` (or the modelled start cost) is interrupted, nothing after it runs, and the
worker thread is gone before the Signal is answered.
"""

from __future__ import annotations

import datetime
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from hypervsim.wire.clixml import to_clixml
from hypervsim.wire.cmdline import (
    FILE_NOT_FOUND_EXIT_CODE,
    PowerShellInvocation,
    PowerShellMode,
    file_not_found_message,
)
from hypervsim.wire.counters import Counters
from hypervsim.world.scheduled_tasks import has_pending_tasks, run_pending_tasks

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.world.model import Computer, World


class RunResultLike(Protocol):
    stdout: str
    records: list[Any]
    exit_code: int
    exited: bool


class SessionLike(Protocol):
    def run(self, script: str) -> RunResultLike: ...

    def run_file(self, path: str, args: Sequence[str]) -> RunResultLike | None: ...


T = TypeVar("T")
Sleeper = Callable[[float], None]
SessionFactory = Callable[["World", "Computer", Sleeper], SessionLike]


def default_session_factory(world: World, computer: Computer, sleep: Sleeper) -> SessionLike:
    """The real interpreter (imported late so the wire layer loads without it); `sleep` is the
    process's own, so a terminate interrupts `Start-Sleep`."""
    from hypervsim.powershell.session import PowerShellSession

    return PowerShellSession(world, computer, sleep=sleep)


class ProcessTerminatedError(BaseException):
    """Raised inside a terminated process's worker (from its sleep) to unwind the script.

    A BaseException so neither the interpreter's error handling nor a script's try/catch can
    swallow it (finally blocks still run, as they do when powershell.exe is stopped)."""


def format_record(record: Any) -> str:
    """Text powershell.exe prints for a stream record (errors via the interpreter's formatter)."""
    if getattr(record, "kind", "") == "error" and getattr(record, "error", None) is not None:
        from hypervsim.powershell.format_error import format_error_record

        return str(format_error_record(record.error))
    return str(getattr(record, "text", ""))


def encoder_for(codepage: int) -> Callable[[str], bytes]:
    """Text -> bytes in the console code page; unmappable characters become '?' as on Windows."""
    if codepage == 65001:
        return lambda text: text.encode("utf-8", errors="replace")
    name = f"cp{codepage}"
    try:
        "".encode(name)
    except LookupError:
        name = "cp437"
    return lambda text: text.encode(name, errors="replace")


def decoder_for(codepage: int) -> Callable[[bytes], str]:
    if codepage == 65001:
        return lambda data: data.decode("utf-8", errors="replace")
    name = f"cp{codepage}"
    try:
        b"".decode(name)
    except LookupError:
        name = "cp437"
    return lambda data: data.decode(name, errors="replace")


@dataclass
class ProcessContext:
    """Everything a process needs from its shell and server."""

    world: World
    session_factory: SessionFactory
    counters: Counters
    codepage: int = 437
    state_path: Path | None = None
    ps_start_seconds: float = 0.0
    environment: dict[str, str] = field(default_factory=dict)
    working_directory: str = "C:\\Users\\Administrator"
    user: str = "Administrator"

    def run_locked(self, session: SessionLike, script: str) -> RunResultLike:
        """Run one script/line holding the world lock; persist before releasing it (also when
        a terminate unwinds the line half-way: what it changed so far is kept, as on Windows)."""
        with self.world.lock:
            try:
                result = session.run(script)
                self.let_time_pass()  # a task the script started runs once it is done
            finally:
                if self.state_path is not None:
                    self.world.save(self.state_path)
        self.counters.add("lines_run")
        return result

    def let_time_pass(self) -> None:
        """Scheduled tasks started so far run to completion (hypervsim.world.scheduled_tasks)."""
        if not hasattr(self.world, "task_runner") or not has_pending_tasks(self.world):
            return  # the common case: no lock taken (a modelled start cost never waits on it)
        with self.world.lock:
            run_pending_tasks(self.world)

    def run_file_locked(
        self, session: SessionLike, path: str, args: Sequence[str]
    ) -> RunResultLike | None:
        """`powershell -File`: like run_locked; None when the script file does not exist."""
        with self.world.lock:
            try:
                result = session.run_file(path, args)
            finally:
                if self.state_path is not None:
                    self.world.save(self.state_path)
        self.counters.add("lines_run")
        return result

    def on_world(self, action: Callable[[], T]) -> T:
        """Run `action` (a cmd.exe file write...) holding the world lock, then persist."""
        with self.world.lock:
            try:
                return action()
            finally:
                if self.state_path is not None:
                    self.world.save(self.state_path)

    @property
    def profile_dir(self) -> str:
        return f"C:\\Users\\{self.user}"

    @property
    def temp_dir(self) -> str:
        return f"{self.profile_dir}\\AppData\\Local\\Temp"

    def ensure_profile(self) -> None:
        """The user's profile with its Temp folder exists once the user has logged on (Windows
        creates it at the first logon), so `%TEMP%` and `$env:TEMP` are real folders."""
        root = getattr(self.world, "root", None)
        if root is None or not hasattr(root, "fs_item"):
            return
        with self.world.lock:
            if root.fs_item(self.temp_dir) is not None:
                return
        self.on_world(lambda: root.fs_mkdir(self.temp_dir, force=True))

    def new_session(self, sleep: Sleeper = time.sleep) -> SessionLike:
        with self.world.lock:
            session = self.session_factory(self.world, self.world.root, sleep)
        log_on = getattr(session, "log_on", None)
        if callable(log_on):
            log_on(self.user)  # the process runs as the WinRM account
        return session

    def pay_powershell_start(self, sleep: Sleeper) -> None:
        """One powershell.exe start: counted, and its modelled cost slept (outside the lock)."""
        self.counters.add("powershell_starts")
        if self.ps_start_seconds > 0:
            self.counters.add("powershell_start_ms", round(self.ps_start_seconds * 1000))
            sleep(self.ps_start_seconds)


class Process:
    """Base: output buffers, completion, and the wait used by Receive."""

    def __init__(self, ctx: ProcessContext) -> None:
        self.ctx = ctx
        self._cond = threading.Condition()
        self._buffers: dict[str, bytearray] = {"stdout": bytearray(), "stderr": bytearray()}
        self._finished = False
        self._terminated = False
        self._cancel = threading.Event()  # set by terminate(): interrupts sleep()
        self._ended = threading.Event()  # set when the worker thread has returned
        self.exit_code: int | None = None
        self._encode = encoder_for(ctx.codepage)
        self._decode = decoder_for(ctx.codepage)
        self._thread: threading.Thread | None = None

    # -- worker side --
    def emit(self, stream: str, text: str) -> None:
        if not text or stream == "null":
            return
        data = self._encode(text)
        with self._cond:
            if not self._terminated:
                self._buffers[stream] += data
                self._cond.notify_all()

    def finish(self, exit_code: int) -> None:
        with self._cond:
            if not self._finished:
                self._finished = True
                self.exit_code = exit_code
            self._cond.notify_all()

    def start(self) -> None:
        self.ctx.counters.add("processes_running")
        self._thread = threading.Thread(target=self._main, name="hypervsim-process", daemon=True)
        self._thread.start()

    def _main(self) -> None:
        try:
            self.ctx.ensure_profile()
            self.finish(self.run())
        except ProcessTerminatedError:
            self.finish(TERMINATED_EXIT_CODE)
        except Exception as exc:  # a bug in the emulator must not hang the client
            self.emit("stderr", f"hypervsim internal error: {exc!r}\r\n")
            self.finish(1)
        finally:
            self.ctx.counters.add("processes_running", -1)
            self._ended.set()

    def sleep(self, seconds: float) -> None:
        """Time passing inside this process; a terminate cuts it short and unwinds the script.
        Started scheduled tasks run now (the world's time model for them)."""
        self.ctx.let_time_pass()
        if self._cancel.wait(max(0.0, seconds)):
            raise ProcessTerminatedError()

    def wait_ended(self, timeout: float) -> bool:
        """Block until the worker thread has returned; False if it is still busy after timeout."""
        return self._ended.wait(timeout)

    def run(self) -> int:
        raise NotImplementedError

    # -- WinRS side --
    def send_stdin(self, data: bytes, end: bool) -> None:
        """Default: the process does not read stdin."""

    def terminate(self) -> None:
        with self._cond:
            self._terminated = True
            if not self._finished:
                self._finished = True
                self.exit_code = (
                    self.exit_code if self.exit_code is not None else TERMINATED_EXIT_CODE
                )
            self._cond.notify_all()
        self._cancel.set()

    @property
    def terminated(self) -> bool:
        return self._terminated

    def wait_for_output(self, timeout: float) -> bool:
        """Block until there is output or the process finished; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._has_news():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def _has_news(self) -> bool:
        return self._finished or any(self._buffers.values())

    def take_output(self, limit: int) -> tuple[bytes, bytes, bool, int | None]:
        """Drain up to `limit` bytes: (stdout, stderr, done, exit_code); done only when empty."""
        with self._cond:
            out = bytes(self._buffers["stdout"][:limit])
            del self._buffers["stdout"][: len(out)]
            err = bytes(self._buffers["stderr"][: max(0, limit - len(out))])
            del self._buffers["stderr"][: len(err)]
            done = self._finished and not any(self._buffers.values())
            return out, err, done, self.exit_code if done else None


class PowerShellProcess(Process):
    """powershell.exe: `-EncodedCommand` / `-Command text` (one run) or stdin mode (per line)."""

    def __init__(self, ctx: ProcessContext, invocation: PowerShellInvocation) -> None:
        super().__init__(ctx)
        self.invocation = invocation
        self._stdin: queue.Queue[str | None] = queue.Queue()
        self._partial = ""

    def send_stdin(self, data: bytes, end: bool) -> None:
        if self.invocation.mode is not PowerShellMode.STDIN:
            return
        text = self._partial + self._decode(data)
        *lines, self._partial = text.split("\n")
        for line in lines:
            self._stdin.put(line.rstrip("\r"))
        if end:
            if self._partial:
                self._stdin.put(self._partial.rstrip("\r"))
                self._partial = ""
            self._stdin.put(None)

    def terminate(self) -> None:
        super().terminate()
        self._stdin.put(None)

    def run(self) -> int:
        self.ctx.pay_powershell_start(self.sleep)  # once per process, outside the lock
        session = self.ctx.new_session(self.sleep)
        if self.invocation.mode is PowerShellMode.FILE:
            ran = self.ctx.run_file_locked(
                session, self.invocation.script, self.invocation.file_args
            )
            if ran is None:
                self.emit("stderr", file_not_found_message(self.invocation.script) + "\r\n")
                return FILE_NOT_FOUND_EXIT_CODE
            self._emit_result(ran, clixml=False)
            return int(ran.exit_code)
        if self.invocation.mode is not PowerShellMode.STDIN:
            result = self.ctx.run_locked(session, self.invocation.script)
            self._emit_result(result, clixml=self.invocation.mode is PowerShellMode.ENCODED)
            return int(result.exit_code)
        exit_code = 0
        while True:
            line = self._stdin.get()
            if line is None or self.terminated:
                return exit_code
            if not line.strip():
                continue
            result = self.ctx.run_locked(session, line)
            self._emit_result(result, clixml=False)
            exit_code = int(result.exit_code)
            if result.exited:
                return exit_code

    def _emit_result(self, result: RunResultLike, clixml: bool) -> None:
        self.emit("stdout", result.stdout)
        shown = [r for r in result.records if getattr(r, "kind", "") in ("error", "warning")]
        if not shown:
            return
        if clixml:
            self.emit("stderr", to_clixml([(r.kind, format_record(r)) for r in shown]))
        else:
            for r in shown:
                text = format_record(r)
                if r.kind == "warning":
                    text = f"WARNING: {text}"
                self.emit("stderr", text if text.endswith("\r\n") else text + "\r\n")


TERMINATED_EXIT_CODE = -1073741510  # 0xC000013A STATUS_CONTROL_C_EXIT, as for a killed process


class FailedStartProcess(Process):
    """powershell.exe that rejected its command line: prints why and exits 64."""

    def __init__(self, ctx: ProcessContext, message: str) -> None:
        super().__init__(ctx)
        self.message = message

    def run(self) -> int:
        self.emit("stderr", self.message + "\r\n")
        return 64


def shell_run_time(created: float) -> str:
    """`P0DT0H0M5S`-style duration since `created` (time.monotonic())."""
    seconds = int(time.monotonic() - created)
    delta = datetime.timedelta(seconds=seconds)
    hours, rem = divmod(delta.seconds, 3600)
    minutes, secs = divmod(rem, 60)
    return f"P{delta.days}DT{hours}H{minutes}M{secs}S"
