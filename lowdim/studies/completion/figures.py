"""The completion study's figures (PDF and PNG, one rule each)."""

from __future__ import annotations

import json

import numpy as np

from lowdim import tables
from lowdim.figures import plt, save, seed_band
from lowdim.studies.completion.analyze import final_values


def width(table: str, timing: str, summary: str, out_pdf: str, out_png: str) -> None:
    """Test error vs width per depth (depth prevents overfitting), and iterations vs width
    (width accelerates convergence)."""
    df = tables.read(table)
    final = final_values(df, "depth_width", "test_error")
    final[["depth", "width"]] = final["model"].str.extract(r"L(\d+)-w(\d+)").astype(int)
    iters = (df[df["experiment"] == "depth_width"].groupby(["model", "seed"])["step"].max().reset_index())
    iters[["depth", "width"]] = iters["model"].str.extract(r"L(\d+)-w(\d+)").astype(int)
    dataset = df[df["experiment"] == "depth_width"]["dataset"].iloc[0]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), constrained_layout=True)
    for i, (depth, g) in enumerate(final.groupby("depth")):
        seed_band(axes[0], g, "width", f"C{i}", f"depth {depth}")
        it = iters[iters["depth"] == depth].groupby("width")["step"].mean()
        axes[1].plot(it.index, it.values, "o-", color=f"C{i}", label=f"depth {depth}")
    axes[0].set_yscale("log")
    axes[0].set_ylabel("relative test error (unobserved entries)")
    axes[0].set_title("depth prevents overfitting", fontsize=10)
    axes[1].set_ylabel("GD iterations to train loss tol (or max)")
    axes[1].set_title("width accelerates convergence", fontsize=10)
    for ax in axes:
        ax.set_xlabel("width")
        ax.legend(fontsize=8)
    fig.suptitle(f"Deep matrix completion ({dataset}; mean, band = min-max over seeds)")
    save(fig, out_pdf, out_png)


def _curves(ax_it, ax_s, df, timing, experiment: str, metric: str) -> None:
    sub = df[(df["experiment"] == experiment) & (df["metric"] == metric)]
    secs = timing[timing["experiment"] == experiment].set_index(["model", "step"])["value"]
    for i, (model, g) in enumerate(sorted(sub.groupby("model"))):
        s = g.groupby("step")["value"].mean()
        style = {"color": f"C{i}", "lw": 1.4, "ls": "--" if model.startswith(("als", "shallow", "narrow")) else "-"}
        marker = "o" if model.startswith("als") else None
        ax_it.plot(s.index, s.values, marker=marker, ms=3, label=model, **style)
        t = secs.loc[model].reindex(s.index)
        ax_s.plot(t.values, s.values, marker=marker, ms=3, label=model, **style)
    ax_it.set_xlabel("iteration (GD step; ALS sweep)")
    ax_s.set_xlabel("training seconds (evaluation excluded)")


def speed(table: str, timing: str, summary: str, out_pdf: str, out_png: str) -> None:
    """Test error vs iterations and vs seconds: full, compressed (per gamma, rank), narrow, shallow (if run), ALS."""
    df, tm = tables.read(table), tables.read(timing)
    with open(summary) as f:
        summ = json.load(f)["speed"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), constrained_layout=True, gridspec_kw={"width_ratios": [1, 1, 0.8]})
    _curves(axes[0], axes[1], df, tm, "speed", "test_error")
    for ax in axes[:2]:
        ax.set_yscale("log")
        ax.set_ylabel("relative test error")
    axes[0].legend(fontsize=7)
    key = next(k for k in summ["full"] if k.startswith("seconds_to_"))
    names = sorted(summ)
    vals = [summ[n]["speedup_vs_full"] for n in names]
    axes[2].barh(names, [v if v else np.nan for v in vals], color=[f"C{i}" for i in range(len(names))])
    for y, v in enumerate(vals):
        axes[2].text(v if v else 1, y, f" {v:.2f}x" if v else " never reached", va="center", fontsize=8)
    axes[2].axvline(1, color="k", lw=0.8)
    axes[2].set_xscale("log")
    axes[2].set_xlabel(f"speed-up vs full width ({key.replace('seconds_to_', 'time to ').replace('_', ' ')})")
    dataset = df[df["experiment"] == "speed"]["dataset"].iloc[0]
    kinds = sorted({n.split("-")[0] for n in names}, key=["full", "compressed", "narrow", "shallow", "als"].index)
    fig.suptitle(f"Compressed deep completion ({dataset}): " + " vs ".join(kinds)
                 + " (compressed: gamma = lr ratio of the outer factors; narrow: random init at width 2r)")
    save(fig, out_pdf, out_png)


def movielens(table: str, timing: str, summary: str, out_pdf: str, out_png: str) -> None:
    """MovieLens-100K test RMSE vs iterations and vs seconds."""
    df, tm = tables.read(table), tables.read(timing)
    with open(summary) as f:
        base = json.load(f)["movielens"]["_baseline_mean_rating_rmse"]
    split = df[df["experiment"] == "movielens"]["seed"].min()  # the first split's curves (the claim reads every split)
    df = df[(df["experiment"] != "movielens") | (df["seed"] == split)]
    tm = tm[(tm["experiment"] != "movielens") | (tm["seed"] == split)]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    _curves(axes[0], axes[1], df, tm, "movielens", "test_rmse")
    for ax in axes:
        ax.axhline(base, color="gray", lw=0.8, ls=":", label="predict the mean rating")
        ax.set_ylabel("test RMSE (ratings 1-5)")
        ax.set_ylim(top=base * 1.05, bottom=min(0.85, np.nanmin(df[df["metric"] == "test_rmse"]["value"]) - 0.02))
    axes[0].legend(fontsize=8)
    fig.suptitle(f"MovieLens-100K (seeded 80/20 split {split}): deep full width vs deep compressed vs alternating minimization")
    save(fig, out_pdf, out_png)
