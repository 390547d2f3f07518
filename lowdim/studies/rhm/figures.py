"""The rhm study's figures (PDF and PNG): the domain shift itself, IoU per domain, invariance, examples."""

from __future__ import annotations

import numpy as np

from lowdim import tables
from lowdim.data.registry import load
from lowdim.figures import plt, save, seed_band
from lowdim.specs.params import DataOverhead
from lowdim.studies.rhm import METHODS, describe
from lowdim.studies.rhm.analyze import invariance as invariance_rows
from lowdim.studies.rhm.analyze import split_dataset

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


def _panels(sources, width: float, height: float):
    fig, axes = plt.subplots(1, len(sources), figsize=(width * len(sources), height), constrained_layout=True,
                             squeeze=False)
    return fig, dict(zip(sources, axes[0]))


def domains(table: str, out_pdf: str, out_png: str) -> None:
    """Building IoU per method on the source test set and each target domain, one panel per data source (bars:
    mean; whiskers: min-max over seeds)."""
    df = split_dataset(tables.read(table))
    shift = df[(df["experiment"] == "shift") & (df["metric"] == "iou")]
    sources = sorted(shift["source"].unique())
    doms_of = {s: sorted(shift[shift["source"] == s]["domain"].unique(), key=lambda d: (d != "source", d))
               for s in sources}
    fig, axes = _panels(sources, 1.4 + 1.3 * max(len(d) for d in doms_of.values()), 3.9)
    for s, ax in axes.items():
        sub = shift[shift["source"] == s]
        doms, methods = doms_of[s], _order(sub["model"].unique())
        width = 0.8 / len(methods)
        for i, m in enumerate(methods):
            st = sub[sub["model"] == m].groupby("domain")["value"].agg(["mean", "min", "max"]).reindex(doms)
            x = np.arange(len(doms)) + (i - (len(methods) - 1) / 2) * width
            ax.bar(x, st["mean"], width, color=f"C{i}", label=LABELS.get(m, m))
            ax.errorbar(x, st["mean"], yerr=[st["mean"] - st["min"], st["max"] - st["mean"]], fmt="none", ecolor="k",
                        capsize=2, lw=0.8)
        ax.set_xticks(np.arange(len(doms)), [d if d != "source" else "source (test)" for d in doms])
        ax.set_ylabel("building IoU")
        ax.set_ylim(0, 1)
        ax.set_title(f"{describe(s)}\n({sub['seed'].nunique()} seeds; whiskers: min-max)", fontsize=9)
        ax.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.1))
    fig.suptitle("Trained on the source domain, tested on every domain", fontsize=10)
    save(fig, out_pdf, out_png)


def invariance(table: str, out_pdf: str, out_png: str) -> None:
    """IoU on the source test set under random monotone per-channel transformations of growing strength, one
    panel per data source."""
    inv = invariance_rows(tables.read(table))
    sources = sorted(inv["source"].unique())
    fig, axes = _panels(sources, 5.0, 3.9)
    for s, ax in axes.items():
        sub = inv[inv["source"] == s]
        for i, m in enumerate(_order(sub["model"].unique())):
            seed_band(ax, sub[sub["model"] == m], "strength", f"C{i}", LABELS.get(m, m))
        ax.set_xlabel("strength of the random pixel-wise transformation (0: none)")
        ax.set_ylabel("building IoU (source test set)")
        ax.set_ylim(0, 1)
        ax.set_title(f"{describe(s)}\n(band: min-max over {sub['seed'].nunique()} seeds)", fontsize=9)
        ax.legend(fontsize=7)
    fig.suptitle("Invariance to random monotone per-channel transformations", fontsize=10)
    save(fig, out_pdf, out_png)


def examples(data_path: str, predictions: list, out_pdf: str, out_png: str) -> None:
    """A few test tiles per domain of one data source: the image, the true buildings, and each method's
    prediction (first seed)."""
    data = load(data_path)
    preds = {str(np.load(p)["method"]): np.load(p) for p in predictions}
    methods = _order(preds)
    first = preds[methods[0]]
    doms, index = [str(d) for d in first["domains"]], first["index"]
    names = [str(n) for n in data["domain_names"]] if "domain_names" in data else None
    rows = [(r, j) for r in range(len(doms)) for j in range(index.shape[1])]
    fig, axes = plt.subplots(len(rows), 2 + len(methods), figsize=(1.35 * (2 + len(methods)), 1.4 * len(rows)),
                             constrained_layout=True, squeeze=False)
    for i, (r, j) in enumerate(rows):
        split = "test" if r == 0 else f"target{r}_test"
        idx = int(index[r, j])
        axes[i, 0].imshow(data[f"x_{split}"][idx].transpose(1, 2, 0), interpolation="nearest")
        axes[i, 1].imshow(data[f"mask_{split}"][idx], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        label = (f"{names[0]} (source)" if names else "source") if r == 0 else doms[r]
        axes[i, 0].set_ylabel(f"{label}\ntile {idx}", fontsize=8)
        for c, m in enumerate(methods):
            axes[i, 2 + c].imshow(preds[m]["masks"][r, j], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    for c, title in enumerate(["image", "buildings"] + [LABELS.get(m, m) for m in methods]):
        axes[0, c].set_title(title, fontsize=8)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    fig.suptitle(f"{describe(str(first['source']))}: test tiles, true buildings and each method's prediction "
                 "(white: building; first seed)", fontsize=9)
    save(fig, out_pdf, out_png)


#: the splits of a real data source's domains: (split key, label, colour)
SPLITS = {"source": [("train", "train (labelled)", "C0"), ("test", "test", "C1")],
          "target": [("target{k}_train", "oracle train (labelled)", "C2"), ("target{k}_test", "test", "C1"),
                     ("unlabelled{k}", "unlabelled (RHM's references)", "C4")]}


def splits(data_path: str, out_pdf: str, out_png: str) -> None:
    """Where each split's patches come from, per domain of a real data source: every patch drawn at its place
    in its scene, tinted by its split (blank: no patch; a patch touching no-data is left out). No pixel is in
    two splits: the blocks are disjoint."""
    from matplotlib.colors import to_rgb
    from matplotlib.patches import Patch

    data = load(data_path)
    names = [str(n) for n in data["domain_names"]]
    size = data["x_test"].shape[-1]
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 4.9), constrained_layout=True, squeeze=False)
    for d, (name, ax) in enumerate(zip(names, axes[0])):
        keys = [(k.format(k=d), label, c) for k, label, c in SPLITS["source" if d == 0 else "target"]]
        where = {k: data[f"where_{k}"] for k, _, _ in keys}
        scenes = int(max(w[:, 0].max() for w in where.values())) + 1
        h = int(max(w[:, 1].max() for w in where.values())) + size
        w_ = int(max(w[:, 2].max() for w in where.values())) + size
        cols = int(np.ceil(np.sqrt(scenes)))
        rows = int(np.ceil(scenes / cols))
        gap = size // 2 if scenes > 1 else 0
        canvas = np.ones((rows * (h + gap), cols * (w_ + gap), 3))
        for k, _, colour in keys:
            tint = np.array(to_rgb(colour))
            for (s, r, c), x in zip(where[k], data[f"x_{k}"]):
                r0, c0 = (s // cols) * (h + gap) + r, (s % cols) * (w_ + gap) + c
                patch = x.transpose(1, 2, 0) / 255.0
                canvas[r0:r0 + size, c0:c0 + size] = 0.6 * patch + 0.4 * tint
        ax.imshow(canvas, interpolation="nearest")
        ax.set_title(f"{name}{' (source)' if d == 0 else ''}: " + ", ".join(f"{len(where[k])} {label.split(' (')[0]}"
                                                                          for k, label, _ in keys), fontsize=8)
        ax.legend(handles=[Patch(color=c, label=label) for _, label, c in keys], fontsize=7, loc="upper center",
                  bbox_to_anchor=(0.5, -0.01), ncol=2)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    fig.suptitle(f"{describe(str(data['name']))}: {size}-px patches by split, each block of "
                 "patches in one split (Rio: 15 tiles; blank: no patch)", fontsize=9)
    save(fig, out_pdf, out_png)
