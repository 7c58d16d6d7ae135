"""cmd.exe as WinRS runs it (`cmd.exe /c LINE`): builtins, `&`/`&&`/`||`, redirections.

The interpreter runs inside a WinRS `Process` (hypervsim.wire.processes): it parses the line
with hypervsim.wire.cmdline, runs builtins itself, and starts nested powershell.exe runs and
known applications through the PowerShell interpreter.
"""

from __future__ import annotations

from functools import partial

from hypervsim.wire.clixml import to_clixml
from hypervsim.wire.cmdline import (
    CMD_NAMES,
    FILE_NOT_FOUND_EXIT_CODE,
    POWERSHELL_NAMES,
    CmdStep,
    CommandLineError,
    FileTarget,
    PowerShellMode,
    expand_variables,
    file_not_found_message,
    parse_powershell_args,
    program_name,
    split_argv,
    split_cmd_line,
)
from hypervsim.wire.processes import Process, ProcessContext, format_record


class CmdProcess(Process):
    """cmd.exe /c LINE: builtins (echo, set, exit, cd, ver, chcp), nested powershell, apps."""

    def __init__(self, ctx: ProcessContext, line: str) -> None:
        super().__init__(ctx)
        self.line = line
        self.environment = dict(ctx.environment)
        self.errorlevel = 0
        self._files: dict[FileTarget, list[str]] = {}  # what each redirected file receives
        # Where "stdout"/"stderr" of the running step end up, innermost last: a nested
        # `cmd /c` line's output follows the redirections of the step that started it.
        self._sinks: list[dict[str, tuple[str, FileTarget | None]]] = []

    def run(self) -> int:
        return self.run_line(self.line)

    def run_line(self, line: str) -> int:
        """`%VAR%` is expanded once for the whole line before it runs (so `%ERRORLEVEL%` is
        the value from before the line), then each step runs as its joiner allows."""
        expanded = expand_variables(
            line, {**self._full_environment(), "ERRORLEVEL": str(self.errorlevel)}
        )
        for step in split_cmd_line(expanded):
            if step.joiner == "&&" and self.errorlevel != 0:
                continue
            if step.joiner == "||" and self.errorlevel == 0:
                continue
            try:
                self.errorlevel = self._run_redirected(step)
            except _CmdExitError as stop:
                self.errorlevel = stop.code
                return stop.code
        return self.errorlevel

    def _run_redirected(self, step: CmdStep) -> int:
        """Open the step's files first (`>` empties one, a missing folder fails the step before
        it runs, as cmd.exe does), run it, then write what it printed into them."""
        targets = [t for t in (step.stdout_file, step.stderr_file) if t is not None]
        for target in dict.fromkeys(targets):
            problem = self._open_file(target)
            if problem:
                self._deliver(self._resolve("stderr", None), problem + "\r\n")
                return 1
            self._files[target] = []
        self._sinks.append(
            {
                "stdout": self._resolve(step.stdout_to, step.stdout_file),
                "stderr": self._resolve(step.stderr_to, step.stderr_file),
            }
        )
        try:
            return self.run_step(step)
        finally:
            self._sinks.pop()
            for target in dict.fromkeys(targets):
                text = "".join(self._files.pop(target, []))
                if text:
                    self._write_file(target.path, text, append=True)

    def _open_file(self, target: FileTarget) -> str | None:
        """cmd.exe's message when the file cannot be opened, else None (file created/emptied)."""
        from hypervsim.world.errors import WorldError

        try:
            self._write_file(target.path, "", append=target.append)
        except WorldError as exc:
            return _CMD_FILE_ERRORS.get(exc.exception_type, exc.message)
        return None

    def _write_file(self, path: str, text: str, append: bool) -> None:
        root = self.ctx.world.root
        encoding = "utf8nobom" if self.ctx.codepage == 65001 else "oem"
        self.ctx.on_world(
            lambda: root.fs_write(
                path,
                text,
                cwd=self.ctx.working_directory,
                encoding=encoding,
                append=append,
            )
        )

    def _resolve(self, kind: str, file: FileTarget | None) -> tuple[str, FileTarget | None]:
        if kind in ("stdout", "stderr") and self._sinks:
            return self._sinks[-1][kind]
        return kind, file

    def _out(self, step: CmdStep, stream: str, text: str) -> None:
        self._deliver(self._sinks[-1][stream] if self._sinks else (stream, None), text)

    def _deliver(self, sink: tuple[str, FileTarget | None], text: str) -> None:
        kind, file = sink
        if kind == "file" and file is not None:
            self._files[file].append(text)
        elif kind != "null":
            self.emit(kind, text)

    def _type(self, step: CmdStep, words: list[str]) -> int:
        """`type FILE`: the file's text as it is stored."""
        from hypervsim.world.errors import WorldError

        status = 0
        root = self.ctx.world.root
        for name in words[1:]:
            try:
                content = self.ctx.on_world(partial(root.fs_read, name, self.ctx.working_directory))
            except WorldError:
                self._out(step, "stderr", "The system cannot find the file specified.\r\n")
                status = 1
                continue
            text = content if isinstance(content, str) else content.decode("cp437", "replace")
            self._out(step, "stdout", text)
        return status

    def run_step(self, step: CmdStep) -> int:
        words = split_argv(step.text)
        if not words:
            return 0
        name = program_name(words[0])
        rest = step.text[len(step.text) - len(step.text.lstrip()) :]
        rest = rest[len(words[0]) :] if rest.lower().startswith(words[0].lower()) else rest
        if name == "echo.":
            self._out(step, "stdout", rest + "\r\n")
            return 0
        if name == "echo":
            return self._echo(step, rest)
        if name == "exit":
            args = [a.lower() for a in words[1:]]
            if args and args[0] == "/b":
                args = args[1:]
            code = int(args[0]) if args and args[0].lstrip("-").isdigit() else 0
            raise _CmdExitError(code)
        if name == "set":
            return self._set(step, rest.strip())
        if name in ("cd", "chdir"):
            self._out(step, "stdout", f"{self.ctx.working_directory}\r\n")
            return 0
        if name == "ver":
            self._out(step, "stdout", "\r\nMicrosoft Windows [Version 10.0.20348.2227]\r\n")
            return 0
        if name == "chcp":
            self._out(step, "stdout", f"Active code page: {self.ctx.codepage}\r\n")
            return 0
        if name in ("rem", "title", "@echo"):
            return 0
        if name == "type":
            return self._type(step, words)
        if name in CMD_NAMES:
            flags = [w.lower() for w in words[1:3]]
            for flag in ("/c", "/k"):
                if flag in flags:
                    idx = step.text.lower().index(flag)
                    return self.run_line(strip_outer_quotes(step.text[idx + 2 :].lstrip()))
            return 0
        if name in POWERSHELL_NAMES:
            return self._powershell(step, words[1:])
        return self._application(step, name, words)

    def _echo(self, step: CmdStep, rest: str) -> int:
        text = rest[1:] if rest[:1] in (" ", "\t") else rest
        if not rest.strip():
            text = "ECHO is on."
        self._out(step, "stdout", text + "\r\n")
        return 0

    def _set(self, step: CmdStep, assignment: str) -> int:
        if "=" in assignment:
            name, _, value = assignment.partition("=")
            if value:
                self.environment[name] = value
            else:
                self.environment.pop(name, None)
            return 0
        listing = sorted(self._full_environment().items(), key=lambda kv: kv[0].lower())
        prefix = assignment.lower()
        lines = [f"{k}={v}\r\n" for k, v in listing if k.lower().startswith(prefix)]
        if not lines:
            self._out(step, "stderr", f"Environment variable {assignment} not defined\r\n")
            return 1
        self._out(step, "stdout", "".join(lines))
        return 0

    def _full_environment(self) -> dict[str, str]:
        return {**user_environment(self.ctx), **self.environment}

    def _powershell(self, step: CmdStep, args: list[str]) -> int:
        try:
            invocation = parse_powershell_args(args)
        except CommandLineError as exc:
            self._out(step, "stderr", f"{exc}\r\n")
            return 64
        self.ctx.pay_powershell_start(self.sleep)
        if invocation.mode is PowerShellMode.STDIN:
            return 0  # stdin is not forwarded inside a compound cmd line
        session = self.ctx.new_session(self.sleep)
        if invocation.mode is PowerShellMode.FILE:
            ran = self.ctx.run_file_locked(session, invocation.script, invocation.file_args)
            if ran is None:
                self._out(step, "stderr", file_not_found_message(invocation.script) + "\r\n")
                return FILE_NOT_FOUND_EXIT_CODE
            result = ran
        else:
            result = self.ctx.run_locked(session, invocation.script)
        self._out(step, "stdout", result.stdout)
        records = [r for r in result.records if getattr(r, "kind", "") == "error"]
        if records and invocation.mode is PowerShellMode.ENCODED:
            self._out(step, "stderr", to_clixml([("error", format_record(r)) for r in records]))
        else:
            for r in records:
                self._out(step, "stderr", format_record(r).rstrip("\r\n") + "\r\n")
        return int(result.exit_code)

    def _application(self, step: CmdStep, name: str, words: list[str]) -> int:
        """External programs the interpreter knows (netsh, ping, hostname, ipconfig...)."""
        from hypervsim.powershell.api import lookup

        bare = name[:-4] if name.endswith(".exe") else name
        spec = lookup(bare)
        if spec is None or spec.kind != "Application":
            self._out(
                step,
                "stderr",
                f"'{words[0]}' is not recognized as an internal or external command,\r\n"
                "operable program or batch file.\r\n",
            )
            return 9009
        session = self.ctx.new_session(self.sleep)
        result = self.ctx.run_locked(session, step.text)
        self._out(step, "stdout", result.stdout)
        for r in result.records:
            if getattr(r, "kind", "") == "error":
                self._out(step, "stderr", format_record(r).rstrip("\r\n") + "\r\n")
        return int(result.exit_code)


def user_environment(ctx: ProcessContext) -> dict[str, str]:
    """The environment a process of the logged-on WinRM user starts with (before the
    variables the WinRS shell sets)."""
    computer = getattr(getattr(ctx.world, "root", None), "name", "HV-HOST01")
    return {
        "ALLUSERSPROFILE": "C:\\ProgramData",
        "COMPUTERNAME": str(computer),
        "ComSpec": "C:\\Windows\\system32\\cmd.exe",
        "OS": "Windows_NT",
        "Path": "C:\\Windows\\system32;C:\\Windows;"
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\",
        "PROMPT": "$P$G",
        "SystemRoot": "C:\\Windows",
        "USERNAME": ctx.user,
        "TEMP": ctx.temp_dir,
        "TMP": ctx.temp_dir,
        "USERPROFILE": ctx.profile_dir,
        "windir": "C:\\Windows",
    }


def strip_outer_quotes(line: str) -> str:
    """cmd /c "..." rule: a leading quote and the last quote on the line are removed."""
    if line.startswith('"') and line.count('"') >= 2:
        last = line.rindex('"')
        return line[1:last] + line[last + 1 :]
    return line


class _CmdExitError(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


# cmd.exe's texts when a redirection's file cannot be opened (by the .NET exception it maps to).
_CMD_FILE_ERRORS = {
    "System.IO.DirectoryNotFoundException": "The system cannot find the path specified.",
    "System.UnauthorizedAccessException": "Access is denied.",
    "System.IO.IOException": (
        "The process cannot access the file because it is being used by another process."
    ),
}
