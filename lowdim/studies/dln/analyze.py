"""The DLN study's table, its summary (DVC metrics) and its layerwise curves (DVC plots)."""

from __future__ import annotations

import json

import pandas as pd

from lowdim import tables
from lowdim.io import write_atomic, write_json
from lowdim.studies.collapse.analyze import layer_fits


def aggregate(inputs: list, compressed_summary: str, table_out: str, summary_out: str, curves_out: str) -> None:
    df = tables.concat(inputs)
    tables.write(df, table_out)
    prog = df[(df["experiment"] == "progressive") & df["layer"].notna()]
    curves = (prog.pivot_table(index=["model", "seed", "layer"], columns="metric", values="value")
              .reset_index().sort_values(["model", "seed", "layer"]))
    write_atomic(curves_out, lambda tmp: curves.to_csv(tmp, index=False, float_format="%.6g"))
    summary: dict = {"progressive": {}, "invariant": {}}
    for model, g in prog.groupby("model"):
        fits = pd.DataFrame([layer_fits(s) for _, s in g.groupby("seed")])
        summary["progressive"][model] = {**fits.mean().to_dict(), "compression_r2_min": float(fits["compression_r2"].min()),
                                         "discrimination_r2_min": float(fits["discrimination_r2"].min())}
    inv = df[(df["experiment"] == "invariant") & (df["step"] >= 1)]
    for job, g in inv.groupby("model"):
        angles = g[g["metric"].str.startswith("angle_fixed")]["value"]
        summary["invariant"][job] = {
            "max_moving_singular_values": float(g[g["metric"] == "moving_singular_values"]["value"].max()),
            "max_angle_fixed_subspace": float(angles.max()) if len(angles) else float("nan"),
            "final_loss": float(g[g["metric"] == "loss"].sort_values("step")["value"].iloc[-1]),
        }
    with open(compressed_summary) as f:
        summary["compressed"] = json.load(f)
    write_json(summary_out, summary)
