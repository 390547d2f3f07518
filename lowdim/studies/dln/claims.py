"""The deep-linear-network claims: progressive collapse (Wang et al. 2023) and the law of parsimony (Yaras et al. 2023)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lowdim.claims.verdicts import ClaimSet, every_run, no_evidence, require
from lowdim.studies.dln import lowrank_of

CLAIMS = ClaimSet("dln")


def _progressive(ev):
    from lowdim.studies.dln.analyze import progressive_fits

    fits = progressive_fits(ev.rows("dln", "progressive"))
    fits = fits[fits["activation"] == "linear"]
    require(not fits.empty, "no linear progressive run in the dln table")
    return fits


def _censored(fits: pd.DataFrame) -> str:
    cens = [f"{r.model} ({r.seeds - r.converged} of {r.seeds})" for r in fits.itertuples() if r.converged < r.seeds]
    return "; stopped at the epoch cap before the loss reached tol: " + ", ".join(cens) if cens else ""


@CLAIMS.claim("dln_geometric_compression", "Wang et al. 2023", "Thm. 1, Fig. 2",
              "In deep linear networks trained to interpolation each layer compresses within-class variation by the same "
              "factor: tr(Sigma_W)/tr(Sigma_B) is geometric in the layer (input to last hidden layer).",
              paper_value="rate 0.28 per layer (their notebook: L = 5, eps = 0.3, C_l = 12.0 -> 0.0217)")
def _dln_comp(ev, th):
    fits = _progressive(ev)
    # per depth, the worst seed's R^2; a rate >= 1 or a seed stopped at the epoch cap fails the depth (-inf)
    r2 = {f"L{r.depth}": r.compression_r2_min if r.rate_max < 1 and r.converged == r.seeds else -np.inf
          for r in fits.itertuples()}
    rates = ", ".join(f"L{r.depth}: {r.rate_median:.3f}" for r in fits.itertuples())
    return every_run(r2, lambda v: v >= th["fit_r2"], f"R^2 >= {th['fit_r2']:g} and rate < 1 for every seed of every "
                     "depth", f"median rate per layer {rates}; {int(fits['seeds'].sum())} seeds in all" + _censored(fits),
                     unit="depths")


@CLAIMS.claim("dln_linear_discrimination", "Wang et al. 2023", "Thm. 1, Fig. 2",
              "In deep linear networks discrimination moves linearly across layers from the input's D_0 to the output's "
              "(1: orthogonal one-hot targets).", paper_value="no number in the paper")
def _dln_disc(ev, th):
    fits = _progressive(ev)
    r2 = {f"L{r.depth}": r.discrimination_r2 if r.discrimination_slope > 0 else -np.inf for r in fits.itertuples()}
    return every_run(r2, lambda v: v >= th["fit_r2"], f"line through the seeds' common profile D_0 -> D_L+1: R^2 >= "
                     f"{th['fit_r2']:g} and slope > 0 at every depth",
                     f"D from {fits['discrimination_start'].mean():.3f} to {fits['discrimination_end'].mean():.3f}"
                     + _censored(fits), unit="depths")


@CLAIMS.claim("law_of_parsimony", "Yaras et al. 2023", "Thm. 1, Fig. 1",
              "GD from orthogonal init (whitened inputs) changes only 2r singular values and keeps the rest's subspace fixed.",
              paper_value=("Thm. 1: exactly 2r singular values move, the other d - 2r stay at their init with a fixed "
                           "subspace (the authors' fig_thm.ipynb: d = 30, r = 3, L = 3, eps = 1, 50 GD steps)"))
def _parsimony(ev, th):
    df = ev.table("dln")
    inv = df[(df["experiment"] == "invariant") & df["model"].isin(["gd-whitened", "momentum-whitened"])]
    if inv.empty:
        return no_evidence("GD runs present", "no gd/momentum-whitened run in the table")
    rank = lowrank_of(inv["dataset"].iloc[0])[1]
    per = {}  # per optimizer and seed: moving singular values, or +inf when the fixed subspace turned
    for (model, seed), g in inv.groupby(["model", "seed"]):
        moving = float(g[g["metric"] == "moving_singular_values"]["value"].max())
        angle = float(g[g["metric"].str.startswith("angle_fixed")]["value"].max())
        per[f"{model}/{seed}"] = moving if angle <= th["parsimony_angle"] else np.inf
    angle = float(inv[inv["metric"].str.startswith("angle_fixed")]["value"].max())
    return every_run(per, lambda v: v <= 2 * rank, f"<= 2r = {2 * rank} moving singular values and the rest's subspace "
                     f"turned <= {th['parsimony_angle']:g} rad, every optimizer and seed",
                     f"largest angle of the fixed subspace {angle:.2g} rad")


@CLAIMS.claim("compressed_follows_full", "Yaras et al. 2023", "Sec. 4, Fig. 4",
              "The compressed width-2r network follows the full network's end-to-end trajectory, faster.",
              paper_value=("the two trajectories coincide (PC plot, no deviation number); loss 1e-20 in ~4.5 s vs ~45 s "
                           "(~10x) at d = 1000, r = 10, L = 3, eps 1e-3 (law-of-parsimony figs/equiv_traj_l2.png, read off "
                           "the plot)"))
def _compressed(ev, th):
    c = ev.summary("dln")["compressed"]
    runs = c["seeds"]  # every seed's summary (the top level repeats the first seed's)
    devs = {f"seed {s}": r["compressed"].get("max_deviation_from_full", float("inf")) for s, r in runs.items()}
    speed = {f"seed {s}": r["speedup_compressed_vs_full"] for s, r in runs.items()}
    tol = th["trajectory_tol"]
    # a run passes when it both follows the trajectory and is faster: its deviation, or inf when slower
    vals = {k: devs[k] if speed[k] > 1 else float("inf") for k in devs}
    return every_run(vals, lambda v: v <= tol, f"deviation <= {tol:g} and speed-up > 1 for every seed",
                     "; ".join(f"{k}: deviation {devs[k]:.2g}, {speed[k]:.2f}x faster" for k in devs), unit="seeds")
