"""The DLN study's figures (PDF and PNG, one rule each)."""

from __future__ import annotations

import numpy as np

from lowdim import tables
from lowdim.figures import plt, save
from lowdim.metrics.fits import geometric_fit, linear_fit


def progressive(table: str, timing: str, out_pdf: str, out_png: str) -> None:
    """Compression (log, fitted geometric rate) and discrimination (linear fit) vs layer, per depth."""
    df = tables.read(table)
    df = df[(df["experiment"] == "progressive") & df["layer"].notna()]
    acts = sorted({m.split("-L")[0] for m in df["model"]})
    fig, axes = plt.subplots(len(acts), 2, figsize=(11, 3.6 * len(acts)), squeeze=False, constrained_layout=True)
    for r, act in enumerate(acts):
        for c, metric in enumerate(("compression", "discrimination")):
            ax = axes[r, c]
            sub = df[df["model"].str.startswith(act + "-") & (df["metric"] == metric)]
            for i, (model, g) in enumerate(sorted(sub.groupby("model"), key=lambda t: int(t[0].split("-L")[1]))):
                s = g.groupby("layer")["value"].agg(["mean", "min", "max"])
                x = s.index.to_numpy(float)
                hidden = x >= 1
                if metric == "compression":
                    f = geometric_fit(x[hidden], s["mean"].to_numpy()[hidden])
                    fit = s["mean"].to_numpy()[hidden][0] * f["rate"] ** (x[hidden] - x[hidden][0])
                    label = f"L={model.split('-L')[1]}: rate {f['rate']:.2f}, $R^2$ {f['r2']:.2f}"
                else:
                    f = linear_fit(x[hidden], s["mean"].to_numpy()[hidden])
                    fit = f["intercept"] + f["slope"] * x[hidden]
                    label = f"L={model.split('-L')[1]}: slope {f['slope']:.3f}, $R^2$ {f['r2']:.2f}"
                ax.plot(x, s["mean"], "o-", color=f"C{i}", ms=4, label=label)
                ax.fill_between(x, s["min"], s["max"], color=f"C{i}", alpha=0.2)
                ax.plot(x[hidden], fit, ":", color=f"C{i}")
            if metric == "compression":
                ax.set_yscale("log")
            ax.set_xlabel("layer (0 = input)")
            ax.set_title(f"{act} network: " + (r"compression tr$(\Sigma_W)$/tr$(\Sigma_B)$" if metric == "compression"
                                               else r"discrimination $1-\max\cos(\mu_k,\mu_{k'})$"), fontsize=10)
            ax.legend(fontsize=7)
    fig.suptitle("Deep networks trained by GD on nearly-orthogonal data: geometric compression, linear discrimination"
                 " (mean, band = seeds; dotted = fits over hidden layers)")
    save(fig, out_pdf, out_png)


def spectra(table: str, timing: str, out_pdf: str, out_png: str) -> None:
    """Singular values of every layer over GD iterations, and the invariance measures per optimizer."""
    df = tables.read(table)
    df = df[df["experiment"] == "invariant"]
    jobs = sorted(df["model"].unique())
    gd = next((j for j in jobs if j == "gd-whitened"), jobs[0])
    layers = sorted(int(v) for v in df["layer"].dropna().unique())
    fig, axes = plt.subplots(2, max(len(layers), 2), figsize=(4 * max(len(layers), 2), 7), squeeze=False,
                             constrained_layout=True)
    for c, layer in enumerate(layers):
        ax = axes[0, c]
        g = df[(df["model"] == gd) & (df["layer"] == layer) & df["metric"].str.startswith("sv_")]
        piv = g.pivot_table(index="step", columns="metric", values="value")
        for col in piv:
            ax.plot(piv.index, piv[col], lw=1)
        ax.set_title(f"{gd}: singular values of $W_{layer}$", fontsize=10)
        ax.set_xlabel("iteration")
    for c, metric in enumerate(("moving_singular_values", "angle_fixed_right_final")):
        ax = axes[1, c]
        for i, job in enumerate(jobs):
            g = df[(df["model"] == job) & (df["metric"] == metric)].groupby("step")["value"].max()
            if len(g):
                ax.plot(g.index, g.values, "-" if "whitened" in job else "--", color=f"C{i}", label=job)
        if metric.startswith("angle"):
            ax.set_yscale("symlog", linthresh=1e-12)
            ax.set_ylabel("radians")
        rank_hint = df[df["model"] == gd]["dataset"].iloc[0]
        ax.set_title("singular values off the common cluster (max over layers)" if metric.startswith("moving")
                     else "largest angle: cluster subspace at t vs at the end", fontsize=10)
        ax.set_xlabel("iteration")
        ax.legend(fontsize=7, title=rank_hint, title_fontsize=7)
    for ax in axes[1, 2:]:
        ax.axis("off")
    fig.suptitle("Law of parsimony: from orthogonal init, GD moves only 2r singular values; the rest and their subspace stay put")
    save(fig, out_pdf, out_png)


def trajectories(table: str, timing: str, out_pdf: str, out_png: str) -> None:
    """Full width vs compressed vs narrow random: error vs iteration and vs seconds; deviation from full."""
    df = tables.read(table)
    df = df[df["experiment"] == "compressed"]
    tm = tables.read(timing)
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8), constrained_layout=True)
    for i, (name, g) in enumerate(df.groupby("model")):
        err = g[g["metric"] == "error"].set_index("step")["value"].sort_index()
        secs = tm[tm["model"] == name].set_index("step")["value"].reindex(err.index)
        axes[0].plot(err.index, err.values, color=f"C{i}", label=name)
        axes[1].plot(secs.values, err.values, color=f"C{i}", label=name)
        dev = g[g["metric"] == "deviation"].set_index("step")["value"].sort_index()
        if len(dev):
            axes[2].plot(dev.index, np.maximum(dev.values, 1e-16), color=f"C{i}", label=name)
    for ax, xlabel in zip(axes, ("iteration", "seconds", "iteration")):
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.legend(fontsize=8)
    axes[0].set_title(r"$\|W_{L:1}-\Phi\|_F/\|\Phi\|_F$", fontsize=10)
    axes[1].set_title("same, vs wall-clock", fontsize=10)
    axes[2].set_title(r"deviation from the full network's $W_{L:1}(t)$", fontsize=10)
    fig.suptitle(f"Compressed training ({df['dataset'].iloc[0]}): the width-2r network follows the full trajectory")
    save(fig, out_pdf, out_png)
