"""Each provider property described once; check, diff, update and read all derive from it.

A `Prop` says a property's type, default, whether changing it forces a replacement, whether
it can only change while the VM is Off, and whether it is computed (output only). A
`PropertySet` turns those descriptions into validation (a pydantic model), a diff, and the
full output/inputs dictionaries Pulumi needs (FACTS 5).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi.output import Unknown
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError, create_model

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""What Pulumi passes during preview for a value not known yet: treat as 'will change'."""

_REQUIRED: Any = ...


@dataclass(frozen=True)
class Prop:
    """One property of a Hyper-V object, described once."""

    name: str
    type: Any
    default: Any = _REQUIRED
    replaces: bool = False
    needs_off: bool = False
    computed: bool = False
    doc: str = ""

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED and not self.computed


def is_unknown(value: Any) -> bool:
    """True if `value` is, or contains, Pulumi's unknown marker.

    The SDK hands dynamic providers `pulumi.output.Unknown` objects (it deserializes with
    `keep_unknowns=True`); older paths use the UNKNOWN string.
    """
    if isinstance(value, Unknown) or (isinstance(value, str) and value == UNKNOWN):
        return True
    if isinstance(value, Mapping):
        return any(is_unknown(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(is_unknown(v) for v in value)
    return False


@dataclass(frozen=True)
class Failure:
    """A check failure: the property (dotted path) and a readable reason."""

    prop: str
    reason: str


@dataclass(frozen=True)
class PropertyDiff:
    """Names of changed input properties, those forcing replacement, and those needing Off."""

    changes: list[str] = field(default_factory=list)
    replaces: list[str] = field(default_factory=list)
    needs_off: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)


class PropertySet:
    """The ordered properties of one resource kind and everything derived from them."""

    def __init__(self, kind: str, props: Iterable[Prop]) -> None:
        self.kind = kind
        self.props: dict[str, Prop] = {}
        for prop in props:
            if prop.name in self.props:
                raise ValueError(f"{kind}: property '{prop.name}' described twice")
            self.props[prop.name] = prop
        fields: dict[str, Any] = {
            p.name: (p.type, p.default if not p.required else ...) for p in self.inputs()
        }
        self.model: type[BaseModel] = create_model(  # type: ignore[call-overload]
            f"{kind}Inputs", __config__=ConfigDict(extra="forbid", frozen=True), **fields
        )

    def inputs(self) -> list[Prop]:
        return [p for p in self.props.values() if not p.computed]

    def input_names(self) -> list[str]:
        return [p.name for p in self.inputs()]

    def computed_names(self) -> list[str]:
        return [p.name for p in self.props.values() if p.computed]

    def check(self, news: Mapping[str, Any]) -> tuple[dict[str, Any], list[Failure]]:
        """Validated inputs with defaults filled in, or failures naming each bad field.

        Unknown values (preview) are passed through unvalidated. Keys Pulumi adds itself
        (`__provider`, ...) are kept but not validated.
        """
        reserved = {k: v for k, v in news.items() if k.startswith("__")}
        given = {k: v for k, v in news.items() if not k.startswith("__")}
        unknown = {k: v for k, v in given.items() if k in self.props and is_unknown(v)}
        data = {k: v for k, v in given.items() if k not in unknown}
        # Placeholders for unknown required values so the rest still validates.
        stand_ins = {k: self.props[k].default for k in unknown if not self.props[k].required}
        try:
            model = self.model.model_validate({**data, **stand_ins})
        except ValidationError as exc:
            failures = []
            for err in exc.errors(include_url=False, include_input=False):
                path = ".".join(str(p) for p in err["loc"]) or self.kind
                if path.split(".")[0] in unknown:
                    continue
                msg = "unknown property" if err["type"] == "extra_forbidden" else err["msg"]
                failures.append(Failure(path, msg.removeprefix("Value error, ")))
            if failures:
                return dict(news), failures
            return {**self._convert_known(data), **unknown, **reserved}, []
        checked = model.model_dump(mode="json")
        return {**checked, **unknown, **reserved}, []

    def _convert_known(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Validate known values one by one (protobuf numbers arrive as floats: 24.0 -> 24)."""
        out: dict[str, Any] = {}
        for key, value in data.items():
            prop = self.props.get(key)
            if prop is None:
                out[key] = value
                continue
            adapter: TypeAdapter[Any] = TypeAdapter(prop.type)
            out[key] = adapter.dump_python(adapter.validate_python(value), mode="json")
        return out

    def diff(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> PropertyDiff:
        """Compare old OUTPUTS with new inputs, property by property."""
        changes: list[str] = []
        replaces: list[str] = []
        needs_off: list[str] = []
        for prop in self.inputs():
            old = olds.get(prop.name, None if prop.required else prop.default)
            new = news.get(prop.name, None if prop.required else prop.default)
            if is_unknown(new) or _normal(old) != _normal(new):
                changes.append(prop.name)
                if prop.replaces:
                    replaces.append(prop.name)
                if prop.needs_off:
                    needs_off.append(prop.name)
        return PropertyDiff(changes, replaces, needs_off)

    def outputs(self, inputs: Mapping[str, Any], computed: Mapping[str, Any]) -> dict[str, Any]:
        """FULL outputs: every input (with defaults) plus every computed value."""
        outs = {
            p.name: inputs.get(p.name, None if p.required else p.default) for p in self.inputs()
        }
        for name in self.computed_names():
            outs[name] = computed.get(name)
        extra = {k: v for k, v in computed.items() if k not in outs}
        if extra:
            raise ValueError(f"{self.kind}: undeclared output(s) {sorted(extra)}")
        return outs

    def inputs_from(self, outs: Mapping[str, Any]) -> dict[str, Any]:
        """Inputs as recorded after a read (avoids false diffs after refresh)."""
        return {name: outs[name] for name in self.input_names() if name in outs}


def equivalent(old: Any, new: Any) -> bool:
    """Same value once normalised; a mapping key holding None counts as absent (state
    written by the engine drops them, checked inputs spell them out: `{"parent": None}`)."""
    return _normal(_without_none(old)) == _normal(_without_none(new))


def _without_none(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_without_none(v) for v in value]
    return value


def _normal(value: Any) -> Any:
    """Comparable form: tuples as lists, mappings with sorted keys."""
    if isinstance(value, Mapping):
        return {k: _normal(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_normal(v) for v in value]
    return value
