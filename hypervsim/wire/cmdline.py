"""Windows command lines: argv splitting, powershell.exe options, and cmd.exe `/c` lines.

WinRS joins `<rsp:Command>` and each `<rsp:Arguments>` with spaces into one command line,
then (unless WINRS_SKIP_CMD_SHELL) hands it to `cmd.exe /c`. These helpers turn that text
into what the emulated processes run.
"""

from __future__ import annotations

import base64
import enum
import re
from dataclasses import dataclass, field

POWERSHELL_NAMES = frozenset({"powershell", "powershell.exe", "pwsh", "pwsh.exe"})
CMD_NAMES = frozenset({"cmd", "cmd.exe"})


def split_argv(line: str) -> list[str]:
    """CommandLineToArgvW rules: whitespace separates, quotes group, `\\"` is a quote."""
    args: list[str] = []
    current: list[str] = []
    in_arg = False
    in_quotes = False
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == "\\":
            j = i
            while j < len(line) and line[j] == "\\":
                j += 1
            count = j - i
            if j < len(line) and line[j] == '"':
                current.append("\\" * (count // 2))
                if count % 2:
                    current.append('"')
                    i = j + 1
                else:
                    i = j
            else:
                current.append("\\" * count)
                i = j
            in_arg = True
            continue
        if ch == '"':
            if in_quotes and i + 1 < len(line) and line[i + 1] == '"':
                current.append('"')
                i += 2
                continue
            in_quotes = not in_quotes
            in_arg = True
        elif ch in " \t" and not in_quotes:
            if in_arg:
                args.append("".join(current))
                current = []
                in_arg = False
        else:
            current.append(ch)
            in_arg = True
        i += 1
    if in_arg:
        args.append("".join(current))
    return args


def program_name(token: str) -> str:
    """`C:\\Windows\\System32\\cmd.exe` -> `cmd.exe`, lower-cased."""
    return token.strip('"').replace("/", "\\").rsplit("\\", 1)[-1].lower()


class PowerShellMode(enum.Enum):
    SCRIPT = "script"  # -Command text / positional text: one run
    ENCODED = "encoded"  # -EncodedCommand: one run, errors as CLIXML
    STDIN = "stdin"  # -Command - / -File - / no command: one run per stdin line


@dataclass(frozen=True)
class PowerShellInvocation:
    mode: PowerShellMode
    script: str = ""
    options: dict[str, str] = field(default_factory=dict)


class CommandLineError(ValueError):
    """powershell.exe rejected its arguments (it prints the message and exits 64)."""


_PS_VALUE_OPTIONS = (
    "executionpolicy",
    "inputformat",
    "outputformat",
    "windowstyle",
    "version",
    "psconsolefile",
    "configurationname",
    "encodedarguments",
)
_PS_SWITCHES = ("noprofile", "noninteractive", "nologo", "noexit", "sta", "mta")


def parse_powershell_args(args: list[str]) -> PowerShellInvocation:
    """Interpret powershell.exe's parameters the way Windows PowerShell 5.1 does."""
    options: dict[str, str] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "-":
            return PowerShellInvocation(PowerShellMode.STDIN, options=options)
        if not arg.startswith(("-", "/")) or len(arg) < 2:
            return PowerShellInvocation(PowerShellMode.SCRIPT, " ".join(args[i:]), options)
        name = arg[1:].lower()
        if name in ("encodedcommand", "enc", "e", "ec") or (
            len(name) >= 2 and "encodedcommand".startswith(name)
        ):
            if i + 1 >= len(args):
                raise CommandLineError("Cannot process the command because of a missing parameter.")
            try:
                script = base64.b64decode(args[i + 1]).decode("utf-16-le")
            except ValueError as exc:
                raise CommandLineError(f"Cannot process the encoded command: {exc}") from None
            return PowerShellInvocation(PowerShellMode.ENCODED, script, options)
        if name in ("command", "c") or (len(name) >= 2 and "command".startswith(name)):
            rest = args[i + 1 :]
            if not rest or rest == ["-"]:
                return PowerShellInvocation(PowerShellMode.STDIN, options=options)
            return PowerShellInvocation(PowerShellMode.SCRIPT, " ".join(rest), options)
        if name in ("file", "f"):
            rest = args[i + 1 :]
            if not rest or rest[0] == "-":
                return PowerShellInvocation(PowerShellMode.STDIN, options=options)
            raise CommandLineError(
                f"The argument '{rest[0]}' to the -File parameter does not exist. Provide the "
                "path to an existing '.ps1' file as an argument to the -File parameter."
            )
        value_option = next((o for o in _PS_VALUE_OPTIONS if o.startswith(name)), None)
        switch = next((s for s in _PS_SWITCHES if s.startswith(name)), None)
        if switch and (not value_option or name == switch):
            options[switch] = "true"
            i += 1
            continue
        if value_option:
            if i + 1 >= len(args):
                raise CommandLineError(f"Missing argument for parameter -{arg[1:]}.")
            options[value_option] = args[i + 1]
            i += 2
            continue
        # Unknown dash word: PowerShell treats the rest as the command text.
        return PowerShellInvocation(PowerShellMode.SCRIPT, " ".join(args[i:]), options)
    return PowerShellInvocation(PowerShellMode.STDIN, options=options)


# --- cmd.exe ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CmdStep:
    """One simple command of a cmd line and the operator that joins it to the previous one."""

    text: str  # the command text, redirections removed, trailing spaces kept (echo keeps them)
    joiner: str  # "" for the first step, else "&", "&&" or "||"
    stdout_to: str  # "stdout" | "stderr" | "null"
    stderr_to: str  # "stderr" | "stdout" | "null"


_REDIRECT = re.compile(r"(?P<fd>[12]?)>(?:&(?P<to>[12])|\s*(?P<file>[^\s&|]+))")


def split_cmd_line(line: str) -> list[CmdStep]:
    """Split on `&`, `&&`, `||` outside quotes and pull out `>&2`, `2>&1`, `>nul` redirects."""
    pieces: list[tuple[str, str]] = []
    current: list[str] = []
    joiner = ""
    in_quotes = False
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == '"':
            in_quotes = not in_quotes
        elif not in_quotes and ch == "^" and i + 1 < len(line):
            current.append(line[i + 1])
            i += 2
            continue
        elif not in_quotes and ch in "&|" and not (ch == "&" and current and current[-1] == ">"):
            op = ch
            if i + 1 < len(line) and line[i + 1] == ch:
                op = ch * 2
            if op != "|":
                pieces.append((joiner, "".join(current)))
                current = []
                joiner = op
                i += len(op)
                continue
        current.append(ch)
        i += 1
    pieces.append((joiner, "".join(current)))

    steps: list[CmdStep] = []
    for join, raw in pieces:
        stdout_to, stderr_to = "stdout", "stderr"
        text = raw
        for m in reversed(list(_REDIRECT.finditer(raw))):
            fd = m.group("fd") or "1"
            target = m.group("to")
            dest = (
                {"1": "stdout", "2": "stderr"}[target]
                if target
                else "null"  # files and nul: the output goes nowhere we report
            )
            if fd == "1":
                stdout_to = dest
            else:
                stderr_to = dest
            text = text[: m.start()] + text[m.end() :]
        if text.strip() or steps:
            steps.append(CmdStep(text.lstrip(), join, stdout_to, stderr_to))
    return steps


_VARIABLE = re.compile(r"%([^%\s]+)%")


def expand_variables(line: str, env: dict[str, str]) -> str:
    """`%NAME%` expansion (case-insensitive); undefined names stay as written, as in cmd /c."""
    lowered = {k.lower(): v for k, v in env.items()}

    def repl(m: re.Match[str]) -> str:
        return lowered.get(m.group(1).lower(), m.group(0))

    return _VARIABLE.sub(repl, line)
