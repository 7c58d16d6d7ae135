"""A restorable picture of the whole world, so that a failed command leaves no trace.

Every rule in the world checks before it changes anything, but a bug (any exception that is
not a `WorldError`) or a command that fails half-way through several changes could leave the
estate half-changed, and the state file would keep it for good. The interpreter takes a
snapshot before each command that can change the world and restores it when the command fails.

The snapshot is shallow per container: for every model, list and dict reachable from the
root it keeps a copy of that container's own slots (the values themselves are shared, and the
immutable ones cannot change). Restoring writes those slots back into the same objects, so
everything that holds a live object (a `$vm` variable, a pipeline) sees the old state, and
objects created by the failed command are simply no longer referenced. Taking one costs one
pass over the containers, with no validation and no serialization.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:  # pragma: no cover
    from hypervsim.world.model import World

IMMUTABLE = frozenset({str, int, float, bool, bytes, type(None)})
MODEL, LIST, DICT, FROZEN = 1, 2, 3, 4
_KINDS: dict[type, int] = {}  # type -> kind, filled on first sight (isinstance on models is slow)


def _kind_of(cls: type) -> int:
    if issubclass(cls, BaseModel):
        kind = MODEL
    elif issubclass(cls, list):
        kind = LIST
    elif issubclass(cls, dict):
        kind = DICT
    elif issubclass(cls, tuple | frozenset):
        kind = FROZEN
    else:
        raise TypeError(f"world state holds a {cls.__name__}, which cannot be restored")
    _KINDS[cls] = kind
    return kind


class WorldSnapshot:
    """The state of `world` when it was taken; `restore()` puts it back in place."""

    __slots__ = ("_counter", "_host_reboots", "_saved", "world")

    def __init__(self, world: World) -> None:
        self.world = world
        self._counter = world.counter
        self._host_reboots = world.host_reboots
        self._saved: list[tuple[Any, Any]] = []
        self._take(world.root)

    def _take(self, root: BaseModel) -> None:
        saved = self._saved
        seen: set[int] = set()
        stack: list[Any] = [root]
        kinds = _KINDS
        while stack:
            obj = stack.pop()
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            cls = type(obj)
            kind = kinds.get(cls) or _kind_of(cls)
            if kind == MODEL:
                state: Any = obj.__dict__.copy()
                children: Any = state.values()
            elif kind == LIST:
                state = obj.copy()
                children = state
            elif kind == DICT:
                state = obj.copy()
                children = state.values()
            else:  # an immutable collection: only its members can change
                stack.extend(c for c in obj if type(c) not in IMMUTABLE)
                continue
            saved.append((obj, state))
            for child in children:
                if type(child) not in IMMUTABLE:
                    stack.append(child)

    def restore(self) -> None:
        """Put every container back as it was and relink the machines (guest <-> VM <-> host)."""
        for obj, state in self._saved:
            if isinstance(obj, BaseModel):
                obj.__dict__.clear()
                obj.__dict__.update(state)
            elif isinstance(obj, list):
                obj[:] = state
            else:
                obj.clear()
                obj.update(state)
        self.world.counter = self._counter
        self.world.host_reboots = self._host_reboots
        self.world.relink()

    @property
    def size(self) -> int:
        """How many containers the snapshot holds (for benchmarks)."""
        return len(self._saved)
