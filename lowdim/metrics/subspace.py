"""Principal angles between subspaces (Björck & Golub 1973)."""

from __future__ import annotations

import numpy as np


def _basis(a: np.ndarray) -> np.ndarray:
    u, s, _ = np.linalg.svd(np.asarray(a, dtype=np.float64), full_matrices=False)
    tol = s.max(initial=0.0) * max(a.shape) * np.finfo(np.float64).eps
    return u[:, s > tol]


def principal_angles(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angles (radians, ascending) between the column spaces of ``a`` (n, p) and ``b`` (n, q).

    Cosines are the singular values of Q_a^T Q_b; angles whose cosine exceeds 1/sqrt(2) are
    taken from the sines (singular values of Q_b - Q_a Q_a^T Q_b) instead, which keeps small
    angles accurate where arccos loses them.
    """
    qa, qb = _basis(a), _basis(b)
    if qa.shape[1] < qb.shape[1]:
        qa, qb = qb, qa
    cos = np.clip(np.linalg.svd(qa.T @ qb, compute_uv=False), -1.0, 1.0)  # descending
    angles = np.arccos(cos)  # ascending
    small = cos**2 >= 0.5
    if small.any():
        sin = np.linalg.svd(qb - qa @ (qa.T @ qb), compute_uv=False)  # descending
        sin_asc = np.sort(np.clip(sin, -1.0, 1.0))[: cos.size]  # ascending, matches the cosines' order
        angles = np.where(small, np.arcsin(sin_asc), angles)
    return np.sort(angles)
