"""Loading and validating params.yaml: one line per problem, before any job starts.

``validate(params)`` checks a (merged) parameter dict against
``workflow/schemas/params.schema.yaml`` and raises :class:`ParamsError` whose message names
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
    with open(path or SCHEMA) as f:
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
IMAGE_DATASETS = ("mnist5k", "digits", "mnist", "fashion_mnist", "cifar10")


def _check_relations(params: Mapping) -> None:
    """Constraints between keys that a JSON schema cannot express."""
    lr = params["data"]["lowrank"]
    if lr["rank"] > lr["dim"]:
        raise ParamsError(
            f"params: data.lowrank.rank = {lr['rank']} is not allowed: must be <= data.lowrank.dim ({lr['dim']})"
        )
    for exp in ("invariant", "compressed"):
        e = params["dln"][exp]
        if 2 * e["rank"] > e["dim"]:
            raise ParamsError(f"params: dln.{exp}.rank = {e['rank']} is not allowed: 2 * rank must be <= dln.{exp}.dim ({e['dim']})")
    mc = params["completion"]
    dw, sp = mc["depth_width"], mc["speed"]
    if len(dw["lr"]) != len(dw["depths"]):
        raise ParamsError(f"params: completion.depth_width.lr has {len(dw['lr'])} values but depths has "
                          f"{len(dw['depths'])}: give one learning rate per depth, in the same order")
    for exp, e in (("depth_width", dw), ("speed", sp)):
        if e["rank"] > e["dim"]:
            raise ParamsError(f"params: completion.{exp}.rank = {e['rank']} is not allowed: must be <= completion.{exp}.dim ({e['dim']})")
    if 2 * max(sp["ranks"]) > sp["dim"]:
        raise ParamsError(f"params: completion.speed.ranks = {sp['ranks']} is not allowed: 2 * rank must be <= "
                          f"completion.speed.dim ({sp['dim']})")
    pd_ = params["dln"]["progressive"]["data"]
    if pd_["samples"] % pd_["classes"]:
        raise ParamsError(f"params: dln.progressive.data.samples = {pd_['samples']} is not allowed: must be a multiple of "
                          f"dln.progressive.data.classes ({pd_['classes']})")
    ad = params["adapt"]
    if ad["early_step"] % ad["eval_every"]:
        raise ParamsError(f"params: adapt.early_step = {ad['early_step']} is not allowed: must be a multiple of "
                          f"adapt.eval_every ({ad['eval_every']}), a step at which the loop stops to measure")
    if ad["early_step"] >= ad["steps"]:
        raise ParamsError(f"params: adapt.early_step = {ad['early_step']} is not allowed: must be < adapt.steps ({ad['steps']})")
    if ad["samples"] and min(ad["samples"] + [ad["rank_samples"]]) < ad["batch_size"]:
        raise ParamsError(f"params: adapt.samples / adapt.rank_samples must each be >= adapt.batch_size "
                          f"({ad['batch_size']}): lower the batch size or raise n")
    c = params["collapse"]
    flat = [d for d in c["datasets"] if d not in IMAGE_DATASETS]
    for name, m in c["models"].items():
        if m["arch"] in ("vgg", "resnet18") and flat:
            raise ParamsError(
                f"params: collapse.models.{name}.arch = \"{m['arch']}\" needs image data but collapse.datasets has "
                f"{', '.join(flat)}: use mlp/hybrid or image datasets ({', '.join(IMAGE_DATASETS)})"
            )
    classes = min(params["data"]["gaussian_mixture"]["classes"] if d == "gaussian_mixture" else 10 for d in c["datasets"])
    src = c["transfer"]["source_classes"]
    if max(src) >= classes or classes - len(src) < 2:
        raise ParamsError(
            f"params: collapse.transfer.source_classes = {src} is not allowed: must be classes below {classes} "
            "that leave at least 2 classes out for the probe"
        )


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
