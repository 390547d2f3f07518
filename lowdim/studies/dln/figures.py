"""The DLN study's figures (PDF and PNG, one rule each)."""

from __future__ import annotations

import numpy as np

from lowdim import tables
from lowdim.figures import plt, save


def progressive(table: str, timing: str, out_pdf: str, out_png: str) -> None:
    """Compression (log, fitted geometric rate) and discrimination's common progress profile vs layer, per depth."""
    from lowdim.metrics.fits import common_profile
    from lowdim.studies.dln.analyze import progressive_fits

    full = tables.read(table)
    fits = progressive_fits(full).set_index("model")
    df = full[(full["experiment"] == "progressive") & full["layer"].notna()]
    acts = sorted({m.split("-L")[0] for m in df["model"]})
    fig, axes = plt.subplots(len(acts), 2, figsize=(11, 3.6 * len(acts)), squeeze=False, constrained_layout=True)
    for r, act in enumerate(acts):
        models = sorted({m for m in df["model"] if m.startswith(act + "-")}, key=lambda m: int(m.split("-L")[1]))
        for i, model in enumerate(models):
            f, depth = fits.loc[model], int(model.split("-L")[1])
            g = df[df["model"] == model]
            comp = g[(g["metric"] == "compression") & (g["layer"] <= depth)].groupby("layer")["value"]
            s = comp.agg(["min", "max"]).assign(gmean=comp.apply(lambda v: float(np.exp(np.log(v).mean()))))
            x = s.index.to_numpy(float)
            ax = axes[r, 0]
            ax.plot(x, s["gmean"], "o-", color=f"C{i}", ms=4,
                    label=f"L={depth}: rate {f['rate_median']:.2f} (median), $R^2\\geq${f['compression_r2_min']:.3f}")
            ax.fill_between(x, s["min"], s["max"], color=f"C{i}", alpha=0.2)
            ax.plot(x, s["gmean"].iloc[0] * f["rate_median"] ** x, ":", color=f"C{i}")
            disc = g[g["metric"] == "discrimination"].pivot_table(index="seed", columns="layer", values="value")
            prof = common_profile(disc.to_numpy())
            xd = disc.columns.to_numpy(float)
            ax = axes[r, 1]
            ax.plot(xd, prof, "o-", color=f"C{i}", ms=4,
                    label=f"L={depth}: $R^2$ {f['discrimination_r2']:.3f} (line), D: {f['discrimination_start']:.3f}"
                          f" $\\to$ {f['discrimination_end']:.3f}")
            ax.plot(xd, xd / xd[-1], ":", color=f"C{i}", lw=0.8)
        axes[r, 0].set_yscale("log")
        axes[r, 0].set_title(f"{act} network: compression tr$(\\Sigma_W)$/tr$(\\Sigma_B)$\n"
                             "(geometric mean, band = seeds; dotted = median rate)", fontsize=9)
        axes[r, 1].set_title(f"{act} network: discrimination, share of the way from $D_0$ to $D_{{L+1}}$\n"
                             "(least squares over seeds; dotted = linear)", fontsize=9)
        axes[r, 1].set_ylabel(r"$(D_l - D_0)/(D_{L+1} - D_0)$")
        for ax in axes[r]:
            ax.set_xlabel("layer (0 = input)")
            ax.legend(fontsize=7)
    fig.suptitle("Deep networks trained by GD on nearly orthonormal data (Wang et al. 2023): "
                 "geometric compression, linear discrimination")
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
    seed = df["seed"].min()  # one seed's trajectories (the claim checks every seed)
    df = df[df["seed"] == seed]
    tm = tables.read(timing)
    tm = tm[tm["seed"] == seed]
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
    fig.suptitle(f"Compressed training ({df['dataset'].iloc[0]}, seed {seed}): the width-2r network follows the full trajectory")
    save(fig, out_pdf, out_png)
