"""The dataset registry: every dataset lowdim knows, by name, and its prepared format.

A prepared dataset is one compressed ``.npz`` under ``data/prepared/`` holding numpy arrays
(and a ``kind`` string). Classification sets hold ``x_train, y_train, x_test, y_test``
(images as uint8, everything else float32); segmentation sets hold images and masks per domain; completion sets hold a target matrix and
index lists; ratings hold (user, item, rating) triples; sentence pairs hold two string
arrays and a score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from lowdim.errors import DataError
from lowdim.io import write_npz

KINDS = ("classification", "completion", "ratings", "sentence_pairs", "segmentation")


@dataclass(frozen=True)
class Context:
    """What a builder may use: where raw files go, the mirror, and the ``data`` params."""

    raw_root: Path
    mirror: str | None
    download: bool
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    kind: str
    description: str
    build: Callable[[Context], dict[str, np.ndarray]]
    #: keys of params ``data`` the builder reads (their values are part of the job's identity)
    params_keys: tuple[str, ...] = ()


REGISTRY: dict[str, DatasetSpec] = {}


def register(name: str, kind: str, description: str, params_keys: tuple[str, ...] = ()):
    assert kind in KINDS, kind

    def deco(fn: Callable[[Context], dict[str, np.ndarray]]):
        REGISTRY[name] = DatasetSpec(name, kind, description, fn, params_keys)
        return fn

    return deco


def get(name: str) -> DatasetSpec:
    try:
        return REGISTRY[name]
    except KeyError:
        raise DataError(f"unknown dataset {name!r} (known: {', '.join(sorted(REGISTRY))})") from None


def spec_params(name: str, data_params: Mapping[str, Any]) -> dict[str, Any]:
    """The part of ``data`` params that determines this dataset's prepared file."""
    return {k: data_params[k] for k in get(name).params_keys}


def prepare(name: str, ctx: Context, out: str | Path) -> Path:
    """Build dataset ``name`` and write it atomically to ``out`` (npz)."""
    spec = get(name)
    arrays = spec.build(ctx)
    arrays = {k: np.asarray(v) for k, v in arrays.items()}
    arrays["kind"] = np.asarray(spec.kind)
    arrays["name"] = np.asarray(name)

    return write_npz(out, arrays)


def load(path: str | Path) -> dict[str, np.ndarray]:
    """Load a prepared dataset written by :func:`prepare`."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"prepared dataset {path} is missing: run `snakemake --cores all {path}`")
    with np.load(path, allow_pickle=False) as z:
        out = {k: z[k] for k in z.files}
    out["kind"] = str(out["kind"])
    out["name"] = str(out["name"])
    return out
