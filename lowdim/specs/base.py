"""Building typed specs from parsed YAML/JSON and back; defaults filled in where keys are missing."""

from __future__ import annotations

import copy
import dataclasses
import types
import typing
from dataclasses import field
from typing import Any, Mapping


def param(default: Any, help: str, **schema: Any) -> Any:
    """A field with a default, its one-line help and its constraints (``schema``: JSON Schema keywords in
    snake_case, e.g. ``minimum=1``, ``enum=["mlp", "hybrid"]``, ``min_items=1``, ``items={"minimum": 0}``),
    from which ``lowdim.specs.schema`` writes the params schema."""
    meta = {"help": help, "schema": schema}
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: copy.deepcopy(default), metadata=meta)
    return field(default=default, metadata=meta)


def nested(cls: type, help: str) -> Any:
    return field(default_factory=cls, metadata={"help": help, "schema": {}})


def _hint_of(hint: Any, value: Any) -> Any:
    """The non-None member of an Optional hint (``X | None``), or the hint itself."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return next(a for a in typing.get_args(hint) if a is not type(None))
    return hint


def convert(hint: Any, value: Any) -> Any:
    """``value`` (parsed JSON/YAML) as the type ``hint`` says: dataclasses built (missing keys take
    their defaults), lists as tuples, mappings of dataclasses built per entry."""
    if value is None:
        return None
    hint = _hint_of(hint, value)
    if dataclasses.is_dataclass(hint):
        return build(hint, value)
    origin = typing.get_origin(hint)
    if origin is dict:
        _, item = typing.get_args(hint)
        return {k: convert(item, v) for k, v in value.items()}
    if origin is tuple and isinstance(value, (list, tuple)):
        return tuple(value)
    return value


def build(cls: type, data: Mapping) -> Any:
    """An instance of ``cls`` from a mapping; keys it lacks take their defaults. Unknown keys are an
    error (the schema has rejected them before any job starts; this guards programmatic use)."""
    if isinstance(data, cls):
        return data
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValueError(f"{cls.__name__} has no field {unknown[0]!r} (fields: {', '.join(sorted(names))})")
    hints = typing.get_type_hints(cls)
    return cls(**{k: convert(hints[k], v) for k, v in data.items()})


def as_dict(obj: Any) -> Any:
    """Plain JSON-able data: dataclasses as dicts, tuples as lists (what params.yaml would hold)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: as_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {k: as_dict(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [as_dict(v) for v in obj]
    return obj


def complete(data: Mapping, cls: type) -> dict:
    """``data`` with every key it lacks filled in from the defaults, recursively (per entry in
    mappings of specs). Unknown keys and wrong types are kept for the schema to report."""
    out = dict(data)
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        hint = _hint_of(hints[f.name], None)
        if f.name not in out:
            out[f.name] = as_dict(f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default)
        elif dataclasses.is_dataclass(hint) and isinstance(out[f.name], Mapping):
            out[f.name] = complete(out[f.name], hint)
        elif typing.get_origin(hint) is dict and isinstance(out[f.name], Mapping):
            item = typing.get_args(hint)[1]
            if dataclasses.is_dataclass(item):
                out[f.name] = {k: complete(v, item) if isinstance(v, Mapping) else v for k, v in out[f.name].items()}
    return out


def help_text(cls: type, prefix: str = "") -> list[str]:
    """``key: help (default)`` for every leaf key, dotted (``python -m lowdim params explain``)."""
    out = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        hint = _hint_of(hints[f.name], None)
        if dataclasses.is_dataclass(hint):
            out += help_text(hint, f"{prefix}{f.name}.")
        else:
            default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
            out.append(f"{prefix}{f.name}: {f.metadata.get('help', '')} (default {as_dict(default)!r})")
    return out
