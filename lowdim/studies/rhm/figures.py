"""The rhm study's figures (PDF and PNG): the domain shift itself, IoU per domain, invariance, examples."""

from __future__ import annotations

import numpy as np

from lowdim import tables
from lowdim.data.registry import load
from lowdim.figures import plt, save, seed_band
from lowdim.specs.params import DataOverhead
from lowdim.studies.rhm import METHODS, strength_of

LABELS = {"none": "no augmentation", "jitter": "photometric jitter", "histeq": "histogram equalization",
          "grayworld": "gray world", "rhm": "RHM", "oracle": "oracle (target labels)"}


def _order(methods) -> list[str]:
    return [m for m in METHODS if m in set(methods)]


def scenes(spec: DataOverhead, out_pdf: str, out_png: str, count: int = 5) -> None:
    """The same scenes through the source camera and each target camera, with the building masks."""
    from lowdim.data.overhead import cameras, scene

    rng = np.random.default_rng(spec.seed + 7)  # scenes of their own; the dataset's cameras
    drawn = [scene(rng, spec.size) for _ in range(count)]
    cams = cameras(spec.targets, spec.strength, spec.seed)
    refl = np.stack([d[0] for d in drawn])
    rows = [("source", cams[0](refl, rng))] + [(f"target {k}", cam(refl, rng)) for k, cam in enumerate(cams[1:], 1)]
    fig, axes = plt.subplots(len(rows) + 1, count, figsize=(1.6 * count, 1.6 * (len(rows) + 1)), constrained_layout=True)
    for r, (name, imgs) in enumerate(rows):
        for c in range(count):
            axes[r, c].imshow(imgs[c])
        axes[r, 0].set_ylabel(name, fontsize=9)
    for c in range(count):
        axes[-1, c].imshow(drawn[c][1], cmap="gray", vmin=0, vmax=1)
    axes[-1, 0].set_ylabel("buildings", fontsize=9)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    fig.suptitle("Domain shift as a pixel-wise transformation: the same scenes, one imaging model per row", fontsize=10)
    save(fig, out_pdf, out_png)


def domains(table: str, out_pdf: str, out_png: str) -> None:
    """Building IoU per method on the source test set and each target domain (bars: mean; whiskers: min-max
    over seeds)."""
    df = tables.read(table)
    shift = df[(df["experiment"] == "shift") & (df["metric"] == "iou")]
    doms = sorted(shift["dataset"].unique(), key=lambda d: (d != "source", d))
    methods = _order(shift["model"].unique())
    fig, ax = plt.subplots(figsize=(1.4 + 1.3 * len(doms), 3.8), constrained_layout=True)
    width = 0.8 / len(methods)
    for i, m in enumerate(methods):
        s = shift[shift["model"] == m].groupby("dataset")["value"].agg(["mean", "min", "max"]).reindex(doms)
        x = np.arange(len(doms)) + (i - (len(methods) - 1) / 2) * width
        ax.bar(x, s["mean"], width, color=f"C{i}", label=LABELS.get(m, m))
        ax.errorbar(x, s["mean"], yerr=[s["mean"] - s["min"], s["max"] - s["mean"]], fmt="none", ecolor="k", capsize=2, lw=0.8)
    ax.set_xticks(np.arange(len(doms)), doms)
    ax.set_ylabel("building IoU")
    ax.set_ylim(0, 1)
    ax.set_title(f"Trained on the source domain ({df['seed'].nunique()} seeds; whiskers: min-max)", fontsize=10)
    ax.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.1))
    save(fig, out_pdf, out_png)


def invariance(table: str, out_pdf: str, out_png: str) -> None:
    """IoU on the source test set under random monotone per-channel transformations of growing strength."""
    df = tables.read(table)
    inv = df[df["experiment"] == "invariance"].assign(strength=lambda d: d["dataset"].map(strength_of))
    fig, ax = plt.subplots(figsize=(5.5, 3.8), constrained_layout=True)
    for i, m in enumerate(_order(inv["model"].unique())):
        seed_band(ax, inv[inv["model"] == m], "strength", f"C{i}", LABELS.get(m, m))
    ax.set_xlabel("strength of the random pixel-wise transformation (0: none)")
    ax.set_ylabel("building IoU (source test set)")
    ax.set_ylim(0, 1)
    ax.set_title("Invariance to pixel-wise transformations (band: min-max over seeds)", fontsize=10)
    ax.legend(fontsize=7)
    save(fig, out_pdf, out_png)


def examples(data_path: str, predictions: list, out_pdf: str, out_png: str) -> None:
    """One tile per domain: the image, the true buildings, and each method's prediction (first seed)."""
    data = load(data_path)
    preds = {str(np.load(p)["method"]): np.load(p) for p in predictions}
    methods = _order(preds)
    doms = list(preds[methods[0]]["domains"])
    fig, axes = plt.subplots(len(doms), 2 + len(methods), figsize=(1.5 * (2 + len(methods)), 1.6 * len(doms)),
                             constrained_layout=True, squeeze=False)
    for r, dom in enumerate(doms):
        split = "test" if dom == "source" else f"{dom}_test"
        idx = int(preds[methods[0]]["index"])
        axes[r, 0].imshow(data[f"x_{split}"][idx].transpose(1, 2, 0))
        axes[r, 1].imshow(data[f"mask_{split}"][idx], cmap="gray", vmin=0, vmax=1)
        axes[r, 0].set_ylabel(str(dom), fontsize=9)
        for c, m in enumerate(methods):
            axes[r, 2 + c].imshow(preds[m]["masks"][r], cmap="gray", vmin=0, vmax=1)
    for c, title in enumerate(["image", "buildings"] + [LABELS.get(m, m) for m in methods]):
        axes[0, c].set_title(title, fontsize=8)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    save(fig, out_pdf, out_png)
