"""Which process a WinRS CommandLine starts: powershell.exe directly, or cmd.exe /c LINE.

WinRS joins the command and its arguments with spaces and (unless WINRS_SKIP_CMD_SHELL)
runs the result under `cmd.exe /c`; a line that is only a powershell invocation becomes
that process so its stdin is connected.
"""

from __future__ import annotations

from hypervsim.wire.cmdexe import CmdProcess, strip_outer_quotes, user_environment
from hypervsim.wire.cmdline import (
    CMD_NAMES,
    POWERSHELL_NAMES,
    CommandLineError,
    expand_variables,
    parse_powershell_args,
    program_name,
    split_argv,
    split_cmd_line,
)
from hypervsim.wire.processes import (
    FailedStartProcess,
    PowerShellProcess,
    Process,
    ProcessContext,
)


def create_process(
    ctx: ProcessContext, command: str, arguments: list[str], skip_cmd_shell: bool
) -> Process:
    """The process for a WinRS CommandLine."""
    try:
        return _create_process(ctx, command, arguments, skip_cmd_shell)
    except CommandLineError as exc:
        return FailedStartProcess(ctx, str(exc))


def _create_process(
    ctx: ProcessContext, command: str, arguments: list[str], skip_cmd_shell: bool
) -> Process:
    line = " ".join([command, *arguments]).strip()
    if skip_cmd_shell:
        words = split_argv(line)
        name = program_name(words[0]) if words else ""
        if name in POWERSHELL_NAMES:
            return PowerShellProcess(ctx, parse_powershell_args(words[1:]))
        cmd_line = line[len(command) :].strip() if name in CMD_NAMES else line
        if name in CMD_NAMES:
            lowered = cmd_line.lower()
            if lowered.startswith(("/c", "/k")):
                cmd_line = strip_outer_quotes(cmd_line[2:].lstrip())
        return CmdProcess(ctx, cmd_line)
    # With the cmd shell: `cmd.exe /c <line>`. A line that is only a powershell invocation
    # (possibly wrapped in more `cmd /c`) becomes that process, so its stdin is connected.
    inner = line
    while True:
        env = {**user_environment(ctx), **ctx.environment, "ERRORLEVEL": "0"}
        steps = split_cmd_line(expand_variables(inner, env))
        if len(steps) != 1 or steps[0].stdout_to != "stdout" or steps[0].stderr_to != "stderr":
            break
        words = split_argv(steps[0].text)
        name = program_name(words[0]) if words else ""
        if name in POWERSHELL_NAMES:
            return PowerShellProcess(ctx, parse_powershell_args(words[1:]))
        if name in CMD_NAMES and len(words) > 1 and words[1].lower() in ("/c", "/k"):
            text = steps[0].text
            inner = strip_outer_quotes(text[text.lower().index(words[1].lower()) + 2 :].lstrip())
            continue
        break
    return CmdProcess(ctx, inner)
