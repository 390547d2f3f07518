"""The adaptation study's table, summary (DVC metrics) and Pearson-vs-n curves (DVC plots)."""

from __future__ import annotations

import numpy as np

from lowdim import tables
from lowdim.io import write_atomic, write_json


def final_dev(df):
    """Every run's last dev Pearson with its method, rank and n."""
    sub = df[(df["metric"] == "dev_pearson") & df["layer"].isna()]
    last = sub.sort_values("step").groupby(["model", "dataset", "seed"])["value"].last().reset_index()
    last["method"] = last["model"].str.rsplit("-r", n=1).str[0]
    last["rank"] = last["model"].str.rsplit("-r", n=1).str[1].astype(int)
    last["n"] = last["dataset"].str.split("-n").str[1].astype(int)
    return last


def aggregate(inputs: list, rank: int, rank_samples: int, table_out: str, summary_out: str, curves_out: str) -> None:
    df = tables.concat(inputs)
    tables.write(df, table_out)
    last = final_dev(df)
    by_n = last[last["rank"] == rank].groupby(["method", "n"])["value"].agg(["mean", "std", "min", "max"]).reset_index()
    write_atomic(curves_out, lambda tmp: by_n.rename(columns={"mean": "dev_pearson"}).to_csv(tmp, index=False, float_format="%.6g"))
    by_rank = last[last["n"] == rank_samples].groupby(["method", "rank"])["value"].mean().reset_index()
    summary: dict = {"rank": rank, "rank_samples": rank_samples, "dev_pearson_vs_n": {}, "dev_pearson_vs_rank": {},
                     "rank_spread": {}, "overfitting_gap": {}}
    for r in by_n.itertuples():
        summary["dev_pearson_vs_n"].setdefault(r.method, {})[f"n{r.n}"] = {
            "mean": float(r.mean), "std": float(0 if np.isnan(r.std) else r.std)}
    for method, g in by_rank.groupby("method"):
        summary["dev_pearson_vs_rank"][method] = {f"r{int(r)}": float(v) for r, v in zip(g["rank"], g["value"])}
        summary["rank_spread"][method] = float(g["value"].max() - g["value"].min())
    tr = df[(df["metric"] == "train_pearson") & df["layer"].isna()].sort_values("step")
    tr_last = tr.groupby(["model", "dataset", "seed"])["value"].last().reset_index()
    gap = tr_last.merge(last, on=["model", "dataset", "seed"], suffixes=("_train", "_dev"))
    for method, g in gap.groupby("method"):
        summary["overfitting_gap"][method] = float((g["value_train"] - g["value_dev"]).mean())
    write_json(summary_out, summary)
