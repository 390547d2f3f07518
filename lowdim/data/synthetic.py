"""Seeded synthetic data: nearly-orthogonal Gaussian mixtures and low-rank completion problems."""

from __future__ import annotations

import numpy as np


def gaussian_mixture(classes: int, dim: int, per_class: int, noise: float, seed: int) -> dict[str, np.ndarray]:
    """K-class Gaussian mixture with nearly orthogonal class means (Wang et al. 2023, Sec. 3).

    Class means are i.i.d. N(0, I_d/d) vectors (unit norm in expectation, pairwise inner
    products O(1/sqrt(d)), hence nearly orthogonal when d >> K); each sample is its class
    mean plus N(0, noise^2 I_d/d). A second, independent draw of the same size from the
    same means is the test split.
    """
    rng = np.random.default_rng(seed)
    means = rng.standard_normal((classes, dim)) / np.sqrt(dim)  # (K, d)
    y = np.repeat(np.arange(classes), per_class)  # (N,)

    def draw() -> np.ndarray:
        return (means[y] + noise * rng.standard_normal((y.size, dim)) / np.sqrt(dim)).astype(np.float32)

    x_train, x_test = draw(), draw()
    return {"x_train": x_train, "y_train": y, "x_test": x_test, "y_test": y.copy(), "means": means}


def orthogonal_samples(classes: int, dim: int, samples: int, perturbation: float, seed: int) -> dict[str, np.ndarray]:
    """Nearly orthonormal samples, the deep-linear-network data of Wang et al. 2023 (Assumption 1;
    their ``orthogonal_dataset``): ``samples`` orthonormal vectors in R^dim (the first columns of a
    Haar-random orthogonal matrix, or orthonormal rows when samples > dim) plus one Gaussian
    perturbation of Frobenius norm ``perturbation`` spread over all of them; classes are
    consecutive blocks of samples/classes. With 30 samples in d = 50 and 3 classes the input
    compression tr(Sigma_W)/tr(Sigma_B) is about 12 (their notebook prints 12.0).
    """
    if samples % classes:
        raise ValueError(f"samples = {samples} must be a multiple of classes = {classes}")
    rng = np.random.default_rng(seed)
    if dim >= samples:
        q, r = np.linalg.qr(rng.standard_normal((dim, dim)))
        x = (q * np.sign(np.diag(r)))[:, :samples].T  # (N, d), orthonormal rows
    else:
        q, r = np.linalg.qr(rng.standard_normal((samples, dim)))
        x = q * np.sign(np.diag(r))  # (N, d), orthonormal columns
    delta = rng.standard_normal(x.shape)
    x = x + perturbation * delta / np.linalg.norm(delta)
    return {"x": x, "y": np.repeat(np.arange(classes), samples // classes)}


def lowrank(dim: int, rank: int, observed: float, seed: int) -> dict[str, np.ndarray]:
    """A dim x dim rank-r ground truth with a seeded observation set, as index lists.

    ``X = U V^T / sqrt(r)`` with standard normal U, V (entries O(1)); the observed entries are a
    uniformly random subset of size round(observed * dim^2), stored as (row, col) index arrays,
    so no dense mask is ever needed. The complement is the test set.
    """
    rng = np.random.default_rng(seed)
    u = rng.standard_normal((dim, rank))
    v = rng.standard_normal((dim, rank))
    target = u @ v.T / np.sqrt(rank)  # (d, d)
    n_obs = int(round(observed * dim * dim))
    flat = rng.permutation(dim * dim)
    train, test = np.sort(flat[:n_obs]), np.sort(flat[n_obs:])
    return {
        "target": target,
        "train_rows": train // dim, "train_cols": train % dim,
        "test_rows": test // dim, "test_cols": test % dim,
    }


def lowrank_target(dim: int, rank: int, seed: int, top: float = 1.0, bottom: float = 0.5) -> np.ndarray:
    """A dim x dim rank-r target U diag(s) V^T with Haar-random orthonormal U, V and singular
    values s evenly spaced from ``top`` down to ``bottom`` (the deep-linear-network studies)."""
    rng = np.random.default_rng(seed)
    u = np.linalg.qr(rng.standard_normal((dim, rank)))[0]
    v = np.linalg.qr(rng.standard_normal((dim, rank)))[0]
    s = np.linspace(top, bottom, rank)
    return (u * s) @ v.T
