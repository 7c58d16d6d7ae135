"""Each provider property described once; check, diff, update and read all derive from it.

A `Prop` says a property's type, default, whether changing it forces a replacement, whether
it can only change while the VM is Off, whether it is computed (output only), which operation
scripts take it as input (`scripts`), whether the describe prelude reports it back under its
own name (`described`) and which lab components expose it (`lab`). A `PropertySet` turns those descriptions into validation (a pydantic
model), a diff, the script input documents, what a read reports, and the full output/inputs
dictionaries Pulumi needs (FACTS 5). A provider's Args dataclass can BE the declaration: each
field made with `declared(...)`, and `PropertySet.from_args` reads them (see
docs/development.md, "Adding a property").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
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
    scripts: frozenset[str] = frozenset()
    """Operation scripts (`create`, `update`, ...) that take it as input, under its name."""
    described: bool = False
    """The describe prelude reports it under its name (read and lost-reply matching use it)."""
    lab: frozenset[str] = frozenset()
    """The lab components (`NestedHost`, `EmulatorVm`) whose entries and args set it, under its
    name, type and default (`components.lab_models` derives their fields from it)."""

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED and not self.computed


_PROP_KEY = "hyperv_lab_prop"


def declared(
    type_: Any,
    default: Any = _REQUIRED,
    *,
    scripts: Iterable[str] = (),
    lab: Iterable[str] = (),
    **flags: Any,
) -> Any:
    """A field of a provider's Args dataclass that is also the property's declaration (the
    field's name becomes the property's name; `flags` are `Prop`'s)."""
    prop = Prop("", type_, default, scripts=frozenset(scripts), lab=frozenset(lab), **flags)
    return declared_as(prop)


def declared_as(prop: Prop) -> Any:
    """An Args field for a `Prop` declared elsewhere (e.g. the shared `HOST_PROP`)."""
    meta = {_PROP_KEY: prop}
    if prop.required:
        return field(metadata=meta)
    return field(default=prop.default, metadata=meta)


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

    @classmethod
    def from_args(cls, kind: str, args: type, computed: Iterable[Prop] = ()) -> PropertySet:
        """The properties declared by the fields of the dataclass `args` (`declared`), then
        the `computed` outputs."""
        props = []
        for f in fields(args):
            prop = f.metadata.get(_PROP_KEY)
            if prop is None:
                raise ValueError(f"{kind}: field '{f.name}' of {args.__name__} is not declared")
            props.append(replace(prop, name=f.name))
        return cls(kind, [*props, *computed])

    def script_inputs(self, script: str, values: Mapping[str, Any]) -> dict[str, Any]:
        """The input document of operation `script`: each property it takes, from `values`
        (a property not given has its default)."""
        return {
            p.name: values.get(p.name, None if p.required else p.default)
            for p in self.props.values()
            if script in p.scripts
        }

    def described(self, got: Mapping[str, Any], *, computed: bool | None = None) -> dict[str, Any]:
        """The described properties as `got` (a describe result, or inputs) holds them;
        `computed`: only the computed ones (True) or only the inputs (False)."""
        return {
            p.name: got.get(p.name)
            for p in self.props.values()
            if p.described and (computed is None or p.computed == computed)
        }

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
