"""cmd.exe as WinRS runs it (`cmd.exe /c LINE`): builtins, `&`/`&&`/`||`, redirections.

The interpreter runs inside a WinRS `Process` (hypervsim.wire.processes): it parses the line
with hypervsim.wire.cmdline, runs builtins itself, and starts nested powershell.exe runs and
known applications through the PowerShell interpreter.
"""

from __future__ import annotations

from hypervsim.wire.clixml import to_clixml
from hypervsim.wire.cmdline import (
    CMD_NAMES,
    POWERSHELL_NAMES,
    CmdStep,
    CommandLineError,
    PowerShellMode,
    expand_variables,
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

    def run(self) -> int:
        return self.run_line(self.line)

    def run_line(self, line: str) -> int:
        errorlevel = 0
        for step in split_cmd_line(expand_variables(line, self.environment)):
            if step.joiner == "&&" and errorlevel != 0:
                continue
            if step.joiner == "||" and errorlevel == 0:
                continue
            try:
                errorlevel = self.run_step(step)
            except _CmdExitError as stop:
                return stop.code
        return errorlevel

    def _out(self, step: CmdStep, stream: str, text: str) -> None:
        target = step.stdout_to if stream == "stdout" else step.stderr_to
        self.emit(target, text)

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
        computer = getattr(getattr(self.ctx.world, "root", None), "name", "HV-HOST01")
        base = {
            "ALLUSERSPROFILE": "C:\\ProgramData",
            "COMPUTERNAME": str(computer),
            "ComSpec": "C:\\Windows\\system32\\cmd.exe",
            "OS": "Windows_NT",
            "Path": "C:\\Windows\\system32;C:\\Windows;"
            "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\",
            "PROMPT": "$P$G",
            "SystemRoot": "C:\\Windows",
            "USERNAME": self.ctx.user,
            "USERPROFILE": f"C:\\Users\\{self.ctx.user}",
            "windir": "C:\\Windows",
        }
        base.update(self.environment)
        return base

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
