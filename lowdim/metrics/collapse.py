"""Collapse metrics of features: NC1 and the layerwise compression / discrimination.

Different metrics, different names:

* ``nc1`` = tr(Sigma_W Sigma_B^+) / K (Papyan, Han & Donoho 2020, Sec. 4, "NC1"), with
  Sigma_W = (1/N) sum_i (h_i - mu_{y_i})(h_i - mu_{y_i})^T and
  Sigma_B = (1/K) sum_k (mu_k - mu_G)(mu_k - mu_G)^T, mu_G the mean of the class means.
* ``compression`` = tr(Sigma_W) / tr(Sigma_B) (Wang et al. 2023, Eq. (5) "C_l"; the
  within-to-between ratio used for progressive collapse across layers). Not NC1.
* ``discrimination`` = 1 - max_{k != k'} cos(mu_k, mu_k') of the uncentred class means
  (Wang et al. 2023, "D_l").
"""

from __future__ import annotations

import numpy as np
import torch

from lowdim.metrics.streaming import ClassStats


def _as_stats(features, labels, num_classes: int | None) -> ClassStats:
    h = torch.as_tensor(np.asarray(features) if not torch.is_tensor(features) else features)
    y = torch.as_tensor(np.asarray(labels) if not torch.is_tensor(labels) else labels).long()
    if h.ndim != 2 or y.ndim != 1 or h.shape[0] != y.shape[0]:
        raise ValueError(f"features must be (N, d) and labels (N,); got {tuple(h.shape)} and {tuple(y.shape)}")
    k = int(num_classes or int(y.max()) + 1)
    s = ClassStats(k)
    s.update_means(h, y)
    s.finish_means()
    s.update_within(h, y)
    return s


def _pinv_gram_power(m: np.ndarray, power: int) -> np.ndarray:
    """(M M^T)^{+power} for centred means M (K, d), in float64.

    M's rows sum to zero, so the all-ones vector is an exact null vector of G = M M^T. It
    is removed explicitly by working in an orthonormal basis Q of its complement; the
    remaining eigenvalues are inverted when above a relative tolerance (they vanish only
    when the means span fewer than K - 1 dimensions, e.g. d < K - 1).
    """
    k = m.shape[0]
    basis = np.linalg.qr(np.eye(k) - 1.0 / k, mode="reduced")[0][:, : k - 1]  # (K, K-1) spans 1^perp
    g = basis.T @ (m @ m.T) @ basis  # (K-1, K-1)
    lam, vec = np.linalg.eigh(g)
    keep = lam > lam.max(initial=0.0) * k * np.finfo(np.float64).eps * 10
    inv = np.zeros_like(lam)
    inv[keep] = lam[keep] ** (-power)
    return basis @ (vec * inv) @ vec.T @ basis.T  # (K, K)


def nc1_from_stats(s: ClassStats) -> float:
    """NC1 = tr(G^{+2} P^T P) / N with G = M M^T, P = H M^T: O(N d K + K^3), no d x d matrix."""
    g2 = _pinv_gram_power(s.centred_means, 2)  # (K, K)
    return float(np.trace(g2 @ s.ptp) / s.n)


def compression_from_stats(s: ClassStats) -> float:
    tr_w = s.within_ss / s.n
    tr_b = float((s.centred_means**2).sum()) / s.num_classes
    return tr_w / tr_b


def discrimination_from_means(means: np.ndarray) -> float:
    norms = np.linalg.norm(means, axis=1, keepdims=True)
    u = means / np.where(norms > 0, norms, 1.0)
    cos = u @ u.T  # (K, K)
    np.fill_diagonal(cos, -np.inf)
    return float(1.0 - cos.max())


def nc1(features, labels, num_classes: int | None = None) -> float:
    """NC1 = tr(Sigma_W Sigma_B^+)/K of features (N, d) with integer labels (N,).

    Papyan, Han & Donoho, "Prevalence of neural collapse during the terminal phase of deep
    learning training", PNAS 2020, Sec. 4 (NC1). Computed in the K x K form (see
    :func:`nc1_from_stats`), so d may be large.
    """
    return nc1_from_stats(_as_stats(features, labels, num_classes))


def compression(features, labels, num_classes: int | None = None) -> float:
    """C = tr(Sigma_W)/tr(Sigma_B) (Wang et al. 2023, layerwise compression)."""
    return compression_from_stats(_as_stats(features, labels, num_classes))


def discrimination(features, labels, num_classes: int | None = None) -> float:
    """D = 1 - max_{k != k'} cos(mu_k, mu_k') of the uncentred class means (Wang et al. 2023)."""
    return discrimination_from_means(_as_stats(features, labels, num_classes).means)
