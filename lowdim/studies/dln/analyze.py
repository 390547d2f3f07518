"""The DLN study's table, its summary (DVC metrics) and its layerwise curves (DVC plots)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from lowdim import tables
from lowdim.io import write_atomic, write_json
from lowdim.metrics.fits import common_profile, geometric_fit, linear_fit
from lowdim.studies.dln import depth_of


def progressive_fits(df: pd.DataFrame) -> pd.DataFrame:
    """Per progressive model (activation-L<depth>): the fits Wang et al. 2023 (Thm. 1, Fig. 2) state.

    Compression: a geometric fit per seed over the input and hidden layers (0..L; the output has
    collapsed to the targets). Discrimination: every seed moves from its own D_0 to D_{L+1} (the
    output's, 1 for MSE to one-hot targets); their least-squares common profile over layers 0..L+1
    (:func:`lowdim.metrics.fits.common_profile`) is fitted by a line.
    """
    prog = df[(df["experiment"] == "progressive") & df["layer"].notna()]
    conv = df[(df["experiment"] == "progressive") & (df["metric"] == "converged")]
    out = []
    for model, g in prog.groupby("model"):
        activation, depth = depth_of(model)
        piv = {m: g[g["metric"] == m].pivot_table(index="seed", columns="layer", values="value").sort_index(axis=1)
               for m in ("compression", "discrimination")}
        comp = piv["compression"].loc[:, [c for c in piv["compression"].columns if c <= depth]]
        per_seed = [geometric_fit(comp.columns.to_numpy(float), comp.loc[s].to_numpy()) for s in comp.index]
        disc = piv["discrimination"]
        profile = common_profile(disc.to_numpy())
        line = linear_fit(disc.columns.to_numpy(float), profile)
        out.append({
            "model": model, "activation": activation, "depth": depth, "seeds": len(comp),
            "converged": int(conv[conv["model"] == model]["value"].sum()),
            "rate_median": float(np.median([f["rate"] for f in per_seed])),
            "rate_max": float(np.max([f["rate"] for f in per_seed])),
            "compression_r2_min": float(np.min([f["r2"] for f in per_seed])),
            "discrimination_r2": line["r2"], "discrimination_slope": line["slope"],
            "discrimination_start": float(disc.iloc[:, 0].mean()), "discrimination_end": float(disc.iloc[:, -1].mean()),
        })
    return pd.DataFrame(out)


def aggregate(inputs: list, compressed_summary: str, table_out: str, summary_out: str, curves_out: str) -> None:
    df = tables.concat(inputs)
    tables.write(df, table_out)
    prog = df[(df["experiment"] == "progressive") & df["layer"].notna()]
    curves = (prog.pivot_table(index=["model", "seed", "layer"], columns="metric", values="value")
              .reset_index().sort_values(["model", "seed", "layer"]))
    write_atomic(curves_out, lambda tmp: curves.to_csv(tmp, index=False, float_format="%.6g"))
    summary: dict = {"progressive": {}, "invariant": {}}
    for r in progressive_fits(df).to_dict("records"):
        summary["progressive"][r.pop("model")] = r
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
