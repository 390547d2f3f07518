"""The study's four figures, each written as PDF and PNG by one rule."""

from __future__ import annotations

import numpy as np

from lowdim import tables
from lowdim.figures import plt, save, seed_band
from lowdim.studies.collapse.params import CollapseModel, CollapseRun
from lowdim.studies.collapse import reference
from lowdim.studies.collapse.analyze import layer_fits

NC_TITLES = {
    "nc1": r"NC1  tr$(\Sigma_W\Sigma_B^+)/K$", "nc2": r"NC2  $\|\bar G-\bar J_{ETF}\|_F$",
    "nc3": r"NC3  $\|\bar W-\bar M\|_F^2$", "nc4": "NC4  mismatch with nearest centre",
}
HEAD_STYLE = {"standard": "-", "normalized": "--", "transfer": ":"}


def _split_model(model: str) -> tuple[str, str]:
    name, head = model.rsplit("-", 1)
    return name, head


def training(table: str, out_pdf: str, out_png: str, models: dict[str, CollapseModel] | None = None) -> None:
    """NC1-NC4 and accuracy vs epoch, standard vs normalized head (Papyan et al. Fig. 6-8; Yaras et al. 2022)."""
    df = tables.read(table)
    df = df[df["experiment"] == "training"]
    combos = sorted({(d, _split_model(m)[0]) for d, m in zip(df["dataset"], df["model"])})
    cols = list(NC_TITLES) + ["acc"]
    fig, axes = plt.subplots(len(combos), len(cols), figsize=(3.2 * len(cols), 2.6 * len(combos)),
                             squeeze=False, constrained_layout=True)
    for r, (dataset, name) in enumerate(combos):
        for c, metric in enumerate(cols):
            ax = axes[r, c]
            for model, g in df[(df["dataset"] == dataset) & df["model"].str.startswith(name + "-")].groupby("model"):
                head = _split_model(model)[1]
                wanted = ["train_acc", "test_acc"] if metric == "acc" else [metric]
                for m, color in zip(wanted, ("C0", "C1") if metric == "acc" else ("C0" if head == "standard" else "C3",)):
                    s = g[g["metric"] == m].groupby("step")["value"].mean()
                    label = f"{head} {m.split('_')[0]}" if metric == "acc" else head
                    ax.plot(s.index, s.values, HEAD_STYLE[head], color=color, label=label)
                    if metric == "nc1":  # the terminal phase: from the first epoch at zero training error
                        acc = g[g["metric"] == "train_acc"].groupby("step")["value"].mean()
                        if (acc >= 1).any():
                            ax.axvline(acc[acc >= 1].index[0], color=color, ls=HEAD_STYLE[head], lw=0.7, alpha=0.6)
            if metric in ("nc1", "nc2", "nc3"):
                ax.set_yscale("log")
            ax.set_title(NC_TITLES.get(metric, "accuracy") if r == 0 else "", fontsize=9)
            ax.set_xlabel("epoch")
            if c == 0:
                ax.set_ylabel(f"{dataset}\n{name}")
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color="C0", ls="-", label="standard head (NC: blue; accuracy: train blue, test orange)"),
               Line2D([], [], color="C3", ls="--", label="normalized head (NC: red dashed; accuracy: dashed)"),
               Line2D([], [], color="C0", lw=0.7, alpha=0.6, label="first epoch at zero training error")]
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=8, bbox_to_anchor=(0.5, -0.02))
    fig.suptitle("Neural collapse over training from the initialization (train features at the classifier input): "
                 "standard vs normalized head; vertical line = zero training error (terminal phase)")
    save(fig, out_pdf, out_png)


def layerwise(table: str, out_pdf: str, out_png: str, models: dict[str, CollapseModel] | None = None) -> None:
    """NC1 and compression (log) with fitted geometric rate, discrimination with linear fit, vs layer
    (fits from each model's ``fit_from`` layer, as in the claims)."""
    models = models or {}
    df = tables.read(table)
    df = df[(df["experiment"] == "layerwise") & df["layer"].notna()]
    datasets = sorted(df["dataset"].unique())
    fig, axes = plt.subplots(len(datasets), 3, figsize=(13, 3.4 * len(datasets)), squeeze=False, constrained_layout=True)
    for r, dataset in enumerate(datasets):
        sub = df[df["dataset"] == dataset]
        # the claims' fits (layer_fits, from each model's fit_from), here on the seed mean
        fits = {model: layer_fits(g.groupby(["layer", "metric"], as_index=False)["value"].mean(),
                                  models.get(model.rsplit("-", 1)[0], CollapseModel(fit_from=1)).fit_from)
                for model, g in sub.groupby("model")}
        for c, metric in enumerate(("nc1", "compression", "discrimination")):
            ax = axes[r, c]
            for i, (model, g) in enumerate(sub[sub["metric"] == metric].groupby("model")):
                s = g.groupby("layer")["value"].mean()
                x, y = s.index.to_numpy(float), s.to_numpy()
                f = fits[model]
                fitted = x >= f["fit_from"]
                label = model
                if metric != "nc1" and f["fit_layers"] < 3:
                    label += " (fewer than 3 layers to fit)"
                elif metric == "compression":
                    label += f" (rate {f['compression_rate']:.2f}, $R^2$ {f['compression_r2']:.2f})"
                    ax.plot(x[fitted], y[fitted][0] * f["compression_rate"] ** (x[fitted] - x[fitted][0]), ":",
                            color=f"C{i}")
                elif metric == "discrimination":
                    label += f" (slope {f['discrimination_slope']:.3f}, $R^2$ {f['discrimination_r2']:.2f})"
                    ax.plot(x[fitted], f["discrimination_intercept"] + f["discrimination_slope"] * x[fitted], ":",
                            color=f"C{i}")
                ax.plot(x, y, "o-", color=f"C{i}", label=label, ms=4)
            if metric == "compression" and dataset.startswith("cifar10"):  # the authors' numbers beside ours
                for style, (model, ref) in zip(("k--", "k:"), reference.WANG_CIFAR10_CL.items()):
                    ax.plot(range(1, len(ref) + 1), ref, style, marker="s", ms=3, mfc="none",
                            label=f"Wang et al. {model} ({reference.WANG_SETUP})")
            if metric != "discrimination":
                ax.set_yscale("log")
            ax.set_xlabel("layer (0 = input)")
            ax.set_title({"nc1": r"NC1  tr$(\Sigma_W\Sigma_B^+)/K$", "compression": r"compression tr$(\Sigma_W)$/tr$(\Sigma_B)$",
                          "discrimination": r"discrimination $1-\max\cos(\mu_k,\mu_{k'})$"}[metric] + f" — {dataset}", fontsize=9)
            ax.legend(fontsize=7)
    fig.suptitle("Progressive collapse across layers after training (dotted: fits from each model's fit_from layer)")
    save(fig, out_pdf, out_png)


def umap(spec: CollapseRun, runs: list, data_paths: list, model_paths: list, out_pdf: str, out_png: str) -> None:
    """UMAP of training features at a few layers, coloured by class."""
    import torch
    import umap as umap_learn

    from lowdim.studies.collapse.experiments import load_trained

    u = spec.umap
    fig = None
    for r, (run, data_path, model_path) in enumerate(zip(runs, data_paths, model_paths)):
        model, ds, _ = load_trained(spec, run, data_path, model_path)
        n = ds.size("train")
        idx = torch.randperm(n, generator=torch.Generator().manual_seed(0))[: u.samples].to(ds.device)
        with torch.no_grad():  # a seeded random subset: prepared sets may be sorted by class
            x, y = ds.inputs("train", idx), ds.y["train"][idx]
            _, feats = model(x, features=True)
        layers = np.unique(np.linspace(1, len(feats) - 1, u.layers).round().astype(int))
        if fig is None:
            fig, axes = plt.subplots(len(runs), len(layers), figsize=(3.3 * len(layers), 3.2 * len(runs)),
                                     squeeze=False, constrained_layout=True)
        for c, layer in enumerate(layers):
            emb = umap_learn.UMAP(n_neighbors=u.neighbors, random_state=0, n_jobs=1).fit_transform(
                feats[layer].float().cpu().numpy())
            ax = axes[r, c]
            sc = ax.scatter(emb[:, 0], emb[:, 1], c=y.cpu().numpy(), cmap="tab10", s=3, vmin=0, vmax=9)
            ax.set_xticks([]), ax.set_yticks([])
            ax.set_title(f"{run.split('/')[0]} — layer {layer} of {len(feats) - 1}", fontsize=9)
    fig.colorbar(sc, ax=axes, label="class", shrink=0.6)
    fig.suptitle(f"UMAP of training features ({u.samples} samples): classes separate and tighten with depth")
    save(fig, out_pdf, out_png)


def transfer(table: str, out_pdf: str, out_png: str, models: dict[str, CollapseModel] | None = None) -> None:
    """Transfer accuracy per layer next to compression C_l per layer of the same source models."""
    df = tables.read(table)
    df = df[(df["experiment"] == "transfer") & df["layer"].notna()]
    datasets = sorted(df["dataset"].unique())
    fig, axes = plt.subplots(len(datasets), 2, figsize=(10, 3.3 * len(datasets)), squeeze=False, constrained_layout=True)
    for r, dataset in enumerate(datasets):
        for c, metric in enumerate(("transfer_acc", "compression")):
            ax = axes[r, c]
            for i, (model, g) in enumerate(df[(df["dataset"] == dataset) & (df["metric"] == metric)].groupby("model")):
                s = seed_band(ax, g, "layer", f"C{i}", _split_model(model)[0], ms=4)
                if metric == "transfer_acc":
                    best = s["mean"].idxmax()
                    ax.plot([best], [s["mean"].max()], "*", color=f"C{i}", ms=12)
            ax.set_xlabel("layer (0 = input)")
            if metric == "compression":
                ax.set_yscale("log")
            ax.set_title(("linear-probe accuracy on held-out classes" if metric == "transfer_acc"
                          else r"compression $C_l$ = tr$(\Sigma_W)$/tr$(\Sigma_B)$ on the source classes") + f" — {dataset}",
                         fontsize=9)
            ax.legend(fontsize=8)
    fig.suptitle("Transfer (Wang et al. 2023): layers less compressed on the source classes (higher $C_l$) probe better "
                 "on held-out classes (star = best layer)")
    save(fig, out_pdf, out_png)
