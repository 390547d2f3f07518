"""The rhm study's table, its summary (DVC metrics) and its invariance curves (DVC plots)."""

from __future__ import annotations

import pandas as pd

from lowdim import tables
from lowdim.io import write_atomic, write_json
from lowdim.studies.rhm import parse, strength_of


def split_dataset(df: pd.DataFrame) -> pd.DataFrame:
    """The table with the ``dataset`` column split into ``source`` (the data source) and ``domain``."""
    parts = df["dataset"].map(parse)
    return df.assign(source=parts.map(lambda p: p[0]), domain=parts.map(lambda p: p[1]))


def target_iou(df: pd.DataFrame) -> pd.DataFrame:
    """Per (source, method, seed): IoU on the source test set and the mean IoU over the target domains."""
    shift = split_dataset(df[(df["experiment"] == "shift") & (df["metric"] == "iou")])
    keys = ["source", "model", "seed"]
    src = shift[shift["domain"] == "source"].set_index(keys)["value"].rename("source_iou")
    tgt = shift[shift["domain"] != "source"].groupby(keys)["value"].mean().rename("target")
    out = pd.concat([src, tgt], axis=1).reset_index().rename(columns={"model": "method", "source": "data"})
    return out.rename(columns={"source_iou": "source"})


def invariance(df: pd.DataFrame) -> pd.DataFrame:
    """The invariance rows with their data source and strength."""
    inv = split_dataset(df[df["experiment"] == "invariance"])
    return inv.assign(strength=inv["dataset"].map(strength_of))


def aggregate(inputs: list, table_out: str, summary_out: str, curves_out: str) -> None:
    df = tables.concat(inputs)
    tables.write(df, table_out)
    inv = invariance(df)
    curves = inv.groupby(["source", "model", "strength"])["value"].agg(["mean", "min", "max"]).reset_index()
    write_atomic(curves_out, lambda tmp: curves.rename(columns={"model": "method", "mean": "iou"}).to_csv(
        tmp, index=False, float_format="%.6g"))
    summary = {}
    per_source = target_iou(df)
    shift = split_dataset(df[(df["experiment"] == "shift") & (df["metric"] == "iou")])
    for data, g in per_source.groupby("data"):
        per = g.groupby("method")[["source", "target"]].mean()
        s = shift[shift["source"] == data]
        summary[data] = {"iou_source": per["source"].to_dict(), "iou_target": per["target"].to_dict(),
                         "iou_per_domain": {m: gg.groupby("domain")["value"].mean().to_dict()
                                            for m, gg in s.groupby("model")}}
    write_json(summary_out, summary)
