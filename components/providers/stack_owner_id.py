"""`StackOwnerId`: an id made once per stack and kept in its state, for the VMs' owner tag.

Stack names repeat across backends (two developers' `dev` on two state stores), so the owner
tag `<project>/<stack>` alone let a second backend's same-named stack adopt and destroy the
first one's VMs. A stack without `hyperv-lab:owner_id` in its config gets its id from this
resource instead: a random UUID made when the resource is created (the first `up`), stored as
its output and never changed by diff, refresh or update, so every later run of the same stack
reads the same id, and no other stack ever has it. It lives only in state: destroying the
stack forgets it (its VMs are gone by then too).
"""

from __future__ import annotations

import uuid
from typing import Any

import pulumi
from pulumi import Output, ResourceOptions
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, ResourceProvider


class StackOwnerIdProvider(ResourceProvider):
    """Makes the id on create; nothing on the host, nothing to compare, nothing to delete."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        made = str(uuid.uuid4())
        return CreateResult(made, {"owner_id": made})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_, {"owner_id": props.get("owner_id") or id_})

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        return DiffResult(changes=False, replaces=[], stables=["owner_id"])

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None


class StackOwnerId(pulumi.dynamic.Resource, module="lab", name="StackOwnerId"):
    """The stack's own id (`owner_id`), made once and kept in state."""

    owner_id: Output[str]

    def __init__(self, resource_name: str, opts: ResourceOptions | None = None) -> None:
        super().__init__(StackOwnerIdProvider(), resource_name, {"owner_id": None}, opts)
