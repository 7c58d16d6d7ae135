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
    FILE = "file"  # -File path.ps1 [args]: the script file of the emulated file system


@dataclass(frozen=True)
class PowerShellInvocation:
    mode: PowerShellMode
    script: str = ""  # the command text, or for FILE the script's path
    options: dict[str, str] = field(default_factory=dict)
    file_args: tuple[str, ...] = ()  # arguments after `-File path`


FILE_NOT_FOUND_EXIT_CODE = -196608  # powershell.exe -File with a missing script (0xFFFD0000)


def file_not_found_message(path: str) -> str:
    return (
        f"The argument '{path}' to the -File parameter does not exist. Provide the path to an "
        "existing '.ps1' file as an argument to the -File parameter."
    )


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
            if not rest[0].lower().endswith(".ps1"):
                raise CommandLineError(
                    f"Processing -File '{rest[0]}' failed because the file does not have a "
                    "'.ps1' extension. Specify a valid Windows PowerShell script file name, and "
                    "then try again."
                )
            return PowerShellInvocation(
                PowerShellMode.FILE, rest[0], options, file_args=tuple(rest[1:])
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
class FileTarget:
    """A file a cmd.exe redirection writes: `> f` truncates/creates it, `>> f` appends."""

    path: str
    append: bool


@dataclass(frozen=True)
class CmdStep:
    """One simple command of a cmd line and the operator that joins it to the previous one."""

    text: str  # the command text, redirections removed, trailing spaces kept (echo keeps them)
    joiner: str  # "" for the first step, else "&", "&&" or "||"
    stdout_to: str  # "stdout" | "stderr" | "null" | "file"
    stderr_to: str  # "stderr" | "stdout" | "null" | "file"
    stdout_file: FileTarget | None = None
    stderr_file: FileTarget | None = None


_TARGET_END = " \t&|<>"


def _read_target(line: str, i: int) -> tuple[str, int]:
    """The file name after `>`: spaces skipped, a quoted name to its closing quote."""
    while i < len(line) and line[i] in " \t":
        i += 1
    if i < len(line) and line[i] == '"':
        close = line.find('"', i + 1)
        close = len(line) if close < 0 else close
        return line[i + 1 : close], close + 1
    start = i
    while i < len(line) and line[i] not in _TARGET_END:
        i += 1
    return line[start:i], i


class _StepBuilder:
    """Collects one simple command's text and applies its redirections left to right."""

    def __init__(self, joiner: str) -> None:
        self.joiner = joiner
        self.text: list[str] = []
        self.sinks: dict[str, tuple[str, FileTarget | None]] = {
            "1": ("stdout", None),
            "2": ("stderr", None),
        }

    def redirect(self, fd: str, target: str, handle: str | None, append: bool) -> None:
        if fd not in ("1", "2"):
            return  # stdin (`<`) and handles 3-9 carry nothing we report
        if handle is not None:
            self.sinks[fd] = self.sinks.get(handle, ("null", None))
        elif target.lower().rstrip(":") == "nul":
            self.sinks[fd] = ("null", None)
        else:
            self.sinks[fd] = ("file", FileTarget(target, append))

    def build(self) -> CmdStep:
        (out, out_file), (err, err_file) = self.sinks["1"], self.sinks["2"]
        return CmdStep("".join(self.text).lstrip(), self.joiner, out, err, out_file, err_file)


def split_cmd_line(line: str) -> list[CmdStep]:
    """Split on `&`, `&&`, `||` outside quotes and pull out the redirections (`>f`, `>>f`,
    `2>&1`, `>&2`, `>nul`). Inside double quotes `>` and `&` are text; `^` escapes one
    character; a digit right before `>` is the handle it redirects, as cmd.exe reads it."""
    steps: list[CmdStep] = []
    current = _StepBuilder("")
    in_quotes = False
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == '"':
            in_quotes = not in_quotes
        elif in_quotes:
            pass
        elif ch == "^" and i + 1 < len(line):
            current.text.append(line[i + 1])
            i += 2
            continue
        elif ch in "&|":
            op = ch * 2 if i + 1 < len(line) and line[i + 1] == ch else ch
            if op != "|":
                if "".join(current.text).strip() or steps:
                    steps.append(current.build())
                current = _StepBuilder(op)
                i += len(op)
                continue
        elif ch in "<>":
            fd = "1" if ch == ">" else "0"
            if current.text and current.text[-1].isdigit():
                fd = current.text.pop()
            i += 1
            append = ch == ">" and i < len(line) and line[i] == ">"
            i += 1 if append else 0
            if i + 1 < len(line) and line[i] == "&" and line[i + 1].isdigit():
                current.redirect(fd, "", line[i + 1], append)
                i += 2
            else:
                target, i = _read_target(line, i)
                current.redirect(fd, target, None, append)
            continue
        current.text.append(ch)
        i += 1
    if "".join(current.text).strip() or steps:
        steps.append(current.build())
    return steps


_VARIABLE = re.compile(r"%([^%\s]+)%")


def expand_variables(line: str, env: dict[str, str]) -> str:
    """`%NAME%` expansion (case-insensitive); undefined names stay as written, as in cmd /c."""
    lowered = {k.lower(): v for k, v in env.items()}

    def repl(m: re.Match[str]) -> str:
        return lowered.get(m.group(1).lower(), m.group(0))

    return _VARIABLE.sub(repl, line)
