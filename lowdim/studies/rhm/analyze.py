"""The rhm study's table, its summary (DVC metrics) and its invariance curves (DVC plots)."""

from __future__ import annotations

import pandas as pd

from lowdim import tables
from lowdim.io import write_atomic, write_json
from lowdim.studies.rhm import strength_of


def target_iou(df: pd.DataFrame) -> pd.DataFrame:
    """Per (method, seed): IoU on the source test set and the mean IoU over the target domains."""
    shift = df[(df["experiment"] == "shift") & (df["metric"] == "iou")]
    src = shift[shift["dataset"] == "source"].set_index(["model", "seed"])["value"].rename("source")
    tgt = shift[shift["dataset"].str.startswith("target")].groupby(["model", "seed"])["value"].mean().rename("target")
    return pd.concat([src, tgt], axis=1).reset_index().rename(columns={"model": "method"})


def aggregate(inputs: list, table_out: str, summary_out: str, curves_out: str) -> None:
    df = tables.concat(inputs)
    tables.write(df, table_out)
    inv = df[df["experiment"] == "invariance"].assign(strength=lambda d: d["dataset"].map(strength_of))
    curves = inv.groupby(["model", "strength"])["value"].agg(["mean", "min", "max"]).reset_index()
    write_atomic(curves_out, lambda tmp: curves.rename(columns={"model": "method", "mean": "iou"}).to_csv(
        tmp, index=False, float_format="%.6g"))
    per = target_iou(df).groupby("method")[["source", "target"]].mean()
    summary = {"iou_source": per["source"].to_dict(), "iou_target": per["target"].to_dict()}
    shift = df[(df["experiment"] == "shift") & (df["metric"] == "iou")]
    summary["iou_per_domain"] = {m: g.groupby("dataset")["value"].mean().to_dict() for m, g in shift.groupby("model")}
    write_json(summary_out, summary)
