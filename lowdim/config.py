"""Loading and validating params.yaml: one line per problem, before any job starts.

``validate(params)`` checks a (merged) parameter dict against
the schema generated from the dataclasses (``lowdim.specs.schema``) and raises :class:`ParamsError` whose message names
the key and what is allowed, e.g.::

    params: collapse.train.lr = -0.1 is not allowed: must be > 0
"""

from __future__ import annotations

import copy
import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import yaml

from lowdim.errors import ParamsError

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow" / "schemas" / "params.schema.yaml"
PARAMS = ROOT / "params.yaml"


@lru_cache(maxsize=None)
def load_schema(path: str | None = None) -> dict:
    """The params schema: generated from the dataclasses (lowdim.specs.schema; the committed
    workflow/schemas/params.schema.yaml is a copy of it), or read from ``path``."""
    if path is None:
        from lowdim.specs.schema import schema

        return schema()
    with open(path) as f:
        return yaml.safe_load(f)


def deep_merge(base: Mapping, overlay: Mapping) -> dict:
    """Recursive dict merge (overlay wins), as Snakemake merges --configfile onto configfile."""
    out = copy.deepcopy(dict(base))
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def load(*files: str | Path) -> dict:
    """Load params.yaml (or the given files, merged left to right), fill in every key they leave out
    from its default (``lowdim.specs``) and validate."""
    files = files or (PARAMS,)
    params: dict = {}
    for file in files:
        with open(file) as f:
            params = deep_merge(params, yaml.safe_load(f) or {})
    params = complete(params)
    validate(params)
    return params


def complete(params: Mapping) -> dict:
    """``params`` with the keys it lacks set to their defaults (an older params file stays valid)."""
    from lowdim.specs import complete as fill

    return fill(params)


def validate(params: Mapping, schema: dict | None = None) -> None:
    """Raise ParamsError (one line) on the first problem, in document order."""
    import jsonschema

    schema = schema or load_schema()
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(params), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if errors:
        raise ParamsError(describe(errors[0]))
    _check_relations(params)


#: datasets whose samples are images (N, C, H, W): the only ones conv nets accept
IMAGE_DATASETS = ("mnist5k", "digits", "mnist", "fashion_mnist", "cifar10", "cifar10_jpeg")


def _check_relations(params: Mapping) -> None:
    """Constraints between keys that a JSON schema cannot express: the shared blocks' here, each study's in its
    ``params.py`` (``check``)."""
    from lowdim.studies import STUDIES, study

    lr = params["data"]["lowrank"]
    if lr["rank"] > lr["dim"]:
        raise ParamsError(
            f"params: data.lowrank.rank = {lr['rank']} is not allowed: must be <= data.lowrank.dim ({lr['dim']})"
        )
    for name in STUDIES:
        check = getattr(study(name), "check_params", None)
        if check is not None:
            check(params)


def describe(error) -> str:
    """One line: the dotted key, the offending value and what is allowed."""
    key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
    key = key or "<top level>"
    schema = error.schema
    kind = error.validator
    if kind == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        where = f"{key}." if error.absolute_path else ""
        return f"params: unknown key {where}{extra[0]} (allowed keys here: {', '.join(allowed)})"
    if kind == "required":
        missing = [k for k in schema["required"] if k not in error.instance]
        where = f"{key}." if error.absolute_path else ""
        return f"params: missing key {where}{missing[0]} (required here: {', '.join(schema['required'])})"
    value = json.dumps(error.instance)
    if kind == "pattern" and "propertyNames" in error.schema_path:
        return f"params: {key}.{error.instance} is not an allowed name: names must match {error.validator_value}"
    if kind == "enum":
        allowed = ", ".join(json.dumps(v) for v in schema["enum"])
        return f"params: {key} = {value} is not allowed: must be one of {allowed}"
    if kind == "type":
        types = error.validator_value
        types = " or ".join(types) if isinstance(types, list) else types
        return f"params: {key} = {value} has the wrong type: must be {types}"
    bounds = {
        "minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<",
    }
    if kind in bounds:
        return f"params: {key} = {value} is not allowed: must be {bounds[kind]} {error.validator_value}"
    if kind == "minItems":
        return f"params: {key} = {value} is not allowed: needs at least {error.validator_value} item(s)"
    if kind == "uniqueItems":
        return f"params: {key} = {value} is not allowed: items must be unique"
    return f"params: {key} = {value} is not allowed: {error.message}"


def params_hash(obj: Any) -> str:
    """Short stable hash of a JSON-able value or typed spec (the params a job used)."""
    from lowdim.specs import as_dict

    text = json.dumps(as_dict(obj), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]
