"""`scripts/new-dev-stack <name>`: a developer's own stack file, made in one command.

It writes `stacks/Pulumi.dev-<name>.yaml` from the shipped `stacks/Pulumi.dev-example.yaml`
(the template: one lab description to maintain) with the prefix `dev-<name>-` and a new owner
id (`hyperv-lab:owner_id`, a random UUID made here once). The id is what tells this stack's
VMs apart from those of a same-named stack on another backend, so it must never be copied:
an existing file is never overwritten, and the example carries no id of its own.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path
from typing import Any

import yaml

from components.config import NAMESPACE, PREFIX_KEY
from components.naming import OWNER_ID_KEY, PREFIX_PATTERN

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "stacks" / "Pulumi.dev-example.yaml"
TEMPLATE_PREFIX_LINE = f"  {PREFIX_KEY}: dev-example-"
PROG = "new-dev-stack"


class DevStackError(Exception):
    """What the user must change; printed as one line, exit status 1."""


def stack_name(name: str) -> str:
    return f"dev-{name}"


def dev_prefix(name: str) -> str:
    """The developer's prefix, `dev-<name>-`, checked against the rule the lab loader uses."""
    prefix = f"{stack_name(name)}-"
    if not name or not PREFIX_PATTERN.match(prefix):
        raise DevStackError(
            f"'{name}' cannot name a developer stack: the prefix '{prefix}' must be at most 32 "
            "letters, digits, '_' or '-' (so <name> at most 27 of them, e.g. alice)"
        )
    return prefix


def render(template: str, name: str, owner_id: uuid.UUID) -> str:
    """The template's text with this developer's prefix and owner id, and a header that says
    where the file came from (the template's own header is about copying it)."""
    lines = template.splitlines()
    body_start = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    body = lines[body_start:]
    if body.count(TEMPLATE_PREFIX_LINE) != 1:
        raise DevStackError(f"{TEMPLATE} has no line '{TEMPLATE_PREFIX_LINE.strip()}' to replace")
    at = body.index(TEMPLATE_PREFIX_LINE)
    body[at : at + 1] = [
        f"  {PREFIX_KEY}: {dev_prefix(name)}",
        f"  {OWNER_ID_KEY}: {owner_id}",
    ]
    header = [
        f"# Developer stack {stack_name(name)}: made by scripts/new-dev-stack from "
        "Pulumi.dev-example.yaml.",
        f"# Every VM, switch and NAT it creates is named '{dev_prefix(name)}<name>'; its VMs carry",
        "# the owner tag hyperv-lab/<stack>/<owner_id>. Keep the owner id: it is this stack's",
        "# identity on the hosts (never copy it into another stack file).",
    ]
    return "\n".join([*header, *body]) + "\n"


def next_commands(config: dict[str, Any], stack: str) -> list[str]:
    """What the developer runs next: create the stack, store each password as a secret."""
    names = [*config.get(f"{NAMESPACE}:hosts", {}), *config.get(f"{NAMESPACE}:credentials", {})]
    return [
        f"pulumi stack init {stack}",
        *(
            f"pulumi config set --secret --path '{NAMESPACE}:passwords.{n}'   # prompts for it"
            for n in names
        ),
        "pulumi preview",
    ]


def create(name: str, stacks_dir: Path) -> tuple[Path, list[str]]:
    """Write the stack file (never over an existing one); return its path and the next steps."""
    prefix = dev_prefix(name)
    stack = stack_name(name)
    text = render(TEMPLATE.read_text(), name, uuid.uuid4())
    config = yaml.safe_load(text)["config"]
    assert config[PREFIX_KEY] == prefix, "the rendered file must carry the new prefix"
    target = stacks_dir / f"Pulumi.{stack}.yaml"
    try:
        with target.open("x") as out:
            out.write(text)
    except FileExistsError:
        raise DevStackError(
            f"{target} already exists; it is not overwritten (its owner id is that stack's "
            "identity). Pick another name, or use that file."
        ) from None
    return target, next_commands(config, stack)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("name", help="your name in the stack: dev-<name>, prefix dev-<name>-")
    parser.add_argument(
        "--stacks-dir",
        type=Path,
        default=ROOT / "stacks",
        help="where stack files live (default: the project's stacks/)",
    )
    args = parser.parse_args(argv)
    try:
        target, steps = create(args.name, args.stacks_dir)
    except DevStackError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    print(f"Created {target} (prefix {dev_prefix(args.name)}, new owner id).")
    print("Next, with PULUMI_BACKEND_URL set to the team's backend (README, Working as a team):")
    for step in steps:
        print(f"  {step}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
