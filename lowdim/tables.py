"""Results are tables: one long schema for every metric lowdim computes.

Each row is one number::

    study, experiment, model, dataset, seed, step, step_unit, layer, metric, value,
    git_rev, params_hash, lowdim_version

``step`` counts ``step_unit`` ('epoch' or 'iteration'); ``layer`` is the layer index
(0 = the input) or missing for whole-network metrics. Tables are Parquet, written
atomically, and validated both when written and when read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping

import pandas as pd

from lowdim.io import write_atomic
from lowdim.provenance import record

#: column -> pandas dtype, in order.
SCHEMA: dict[str, str] = {
    "study": "string",
    "experiment": "string",
    "model": "string",
    "dataset": "string",
    "seed": "int64",
    "step": "int64",
    "step_unit": "string",
    "layer": "Int64",
    "metric": "string",
    "value": "float64",
    "git_rev": "string",
    "params_hash": "string",
    "lowdim_version": "string",
}
STEP_UNITS = ("epoch", "iteration")
KEY = ["study", "experiment", "model", "dataset", "seed", "step", "step_unit", "layer", "metric"]


class TableError(ValueError):
    pass


def frame(rows: Iterable[Mapping], params_hash: str) -> pd.DataFrame:
    """Build a validated table from metric rows; provenance columns are added here."""
    prov = record(params_hash)
    df = pd.DataFrame([{**r, **prov} for r in rows], columns=list(SCHEMA))
    if "layer" in df:
        df["layer"] = df["layer"].astype("object").where(df["layer"].notna(), None)
    for col in SCHEMA:
        if col != "layer" and df[col].isna().any():
            raise TableError(f"column {col} has missing values")
    df = df.astype(SCHEMA)
    validate(df)
    return df.sort_values(KEY, kind="stable", na_position="first").reset_index(drop=True)


def validate(df: pd.DataFrame) -> None:
    if list(df.columns) != list(SCHEMA):
        raise TableError(f"table columns {list(df.columns)} differ from the schema {list(SCHEMA)}")
    for col, dtype in SCHEMA.items():
        if str(df[col].dtype) != dtype:
            raise TableError(f"column {col} has dtype {df[col].dtype}, expected {dtype}")
        if col not in ("layer",) and df[col].isna().any():
            raise TableError(f"column {col} has missing values")
    bad = set(df["step_unit"].unique()) - set(STEP_UNITS)
    if bad:
        raise TableError(f"step_unit {sorted(bad)} not in {STEP_UNITS}")
    if df.duplicated(KEY).any():
        dup = df[df.duplicated(KEY, keep=False)].head(2).to_dict("records")
        raise TableError(f"duplicate rows for one key: {dup}")


def write(df: pd.DataFrame, path: str | Path) -> Path:
    """Validate and write atomically (a killed writer leaves no file behind)."""
    validate(df)
    return write_atomic(path, lambda tmp: df.to_parquet(tmp, index=False, engine="pyarrow"))


def read(path: str | Path) -> pd.DataFrame:
    df = pd.read_parquet(path, engine="pyarrow").astype(SCHEMA)
    validate(df)
    return df


def concat_frames(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """One validated, sorted table from several."""
    frames = list(frames)
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(SCHEMA)).astype(SCHEMA)
    validate(df)
    return df.sort_values(KEY, kind="stable", na_position="first").reset_index(drop=True)


def concat(paths: Iterable[str | Path]) -> pd.DataFrame:
    """Read and concatenate tables."""
    return concat_frames(read(p) for p in paths)
