"""Parse the command line the engine launches a language plugin with.

The engine passes Go-style flags first (`--logtostderr`, `-v=N`, `--tracing URL`) and the
engine's gRPC address last; we accept and keep what matters, and tolerate the rest.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HostArguments:
    """What the language host was told at start-up."""

    engine_address: str
    tracing: str
    executor: str
    show_version: bool


_FLAGS_WITH_VALUE = {"tracing", "use-executor", "v"}


def parse_host_arguments(argv: list[str], default_executor: str) -> HostArguments:
    """Read flags in any of Go's spellings (`-f v`, `--f v`, `-f=v`) and the positional address."""
    values: dict[str, str] = {}
    switches: set[str] = set()
    positional: list[str] = []
    index = 0
    while index < len(argv):
        item = argv[index]
        index += 1
        if item == "--":
            positional.extend(argv[index:])
            break
        if not item.startswith("-") or item == "-":
            positional.append(item)
            continue
        name, has_value, value = item.lstrip("-").partition("=")
        if has_value:
            values[name] = value
        elif name in _FLAGS_WITH_VALUE and index < len(argv):
            values[name] = argv[index]
            index += 1
        else:
            switches.add(name)
    return HostArguments(
        engine_address=positional[0] if positional else "",
        tracing=values.get("tracing", ""),
        executor=values.get("use-executor", default_executor),
        show_version="version" in switches,
    )
