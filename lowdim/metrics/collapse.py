"""Collapse metrics of features: NC1 and the layerwise compression / discrimination.

Different metrics, different names:

* ``nc1`` = tr(Sigma_W Sigma_B^+) / K (Papyan, Han & Donoho 2020, Sec. 4, "NC1"), with
  Sigma_W = (1/N) sum_i (h_i - mu_{y_i})(h_i - mu_{y_i})^T and
  Sigma_B = (1/K) sum_k (mu_k - mu_G)(mu_k - mu_G)^T, mu_G the mean of the class means.
* ``compression`` = tr(Sigma_W) / tr(Sigma_B) (Wang et al. 2023, Eq. (5) "C_l"; the
  within-to-between ratio used for progressive collapse across layers). Not NC1.
* ``discrimination`` = 1 - max_{k != k'} cos(mu_k, mu_k') of the uncentred class means
  (Wang et al. 2023, "D_l").
* ``nc2`` (Papyan et al. 2020, Sec. 4, "NC2"): equinorm std_k|m_k|/mean_k|m_k| and
  equiangularity std_{k!=k'} cos(m_k, m_k') of the centred means m_k = mu_k - mu_G, their
  mean deviation from the simplex angle avg|cos + 1/(K-1)|, and the distance of the normalized
  Gram matrix to the simplex ETF's, |G/|G|_F - J/|J|_F|_F with J = I - 11^T/K (Zhu et al. 2021).
* ``nc3`` = |W/|W|_F - M/|M|_F|_F^2, classifier rows W against centred means M (Papyan "NC3").
* ``nc4`` = fraction of samples whose prediction differs from the nearest class centre ("NC4").
* ``numerical_rank``: fewest singular values of the feature matrix whose sum reaches 95% of the total.
"""

from __future__ import annotations

import numpy as np
import torch

from lowdim.metrics.streaming import ClassStats


CHUNK = 4096  #: rows per block when the public functions stream an in-memory feature matrix


def _as_stats(features, labels, num_classes: int | None) -> ClassStats:
    h = torch.as_tensor(np.asarray(features) if not torch.is_tensor(features) else features)
    y = torch.as_tensor(np.asarray(labels) if not torch.is_tensor(labels) else labels).long()
    if h.ndim != 2 or y.ndim != 1 or h.shape[0] != y.shape[0]:
        raise ValueError(f"features must be (N, d) and labels (N,); got {tuple(h.shape)} and {tuple(y.shape)}")
    k = int(num_classes or int(y.max()) + 1)
    s = ClassStats(k)
    chunks = list(zip(h.split(CHUNK), y.split(CHUNK)))  # bounded temporaries: (CHUNK, d) at a time
    for hc, yc in chunks:
        s.update_means(hc, yc)
    s.finish_means()
    for hc, yc in chunks:
        s.update_within(hc, yc)
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


def nc2_from_means(m: np.ndarray) -> dict[str, float]:
    """NC2 quantities of the centred class means ``m`` (K, d)."""
    k = m.shape[0]
    norms = np.linalg.norm(m, axis=1)  # (K,)
    u = m / np.where(norms > 0, norms, 1.0)[:, None]
    cos = (u @ u.T)[~np.eye(k, dtype=bool)]  # (K(K-1),)
    g = m @ m.T  # (K, K)
    j = np.eye(k) - 1.0 / k
    return {
        "nc2": float(np.linalg.norm(g / np.linalg.norm(g) - j / np.linalg.norm(j))),
        "nc2_equinorm": float(norms.std() / norms.mean()),
        "nc2_equiangular": float(cos.std()),
        "nc2_maxangle": float(np.abs(cos + 1.0 / (k - 1)).mean()),
    }


def nc3_from_means(m: np.ndarray, w: np.ndarray) -> float:
    """NC3 = |W/|W|_F - M/|M|_F|_F^2 for classifier rows ``w`` (K, d), centred means ``m`` (K, d)."""
    w = np.asarray(w, dtype=np.float64)
    if w.shape != m.shape:
        raise ValueError(f"classifier {w.shape} and class means {m.shape} must have the same shape (K, d)")
    return float(np.linalg.norm(w / np.linalg.norm(w) - m / np.linalg.norm(m)) ** 2)


def numerical_rank_from_gram(gram: np.ndarray, energy: float = 0.95) -> int:
    """Fewest singular values of F whose sum reaches ``energy`` of their total, from F^T F."""
    sv = np.sqrt(np.clip(np.linalg.eigvalsh(np.asarray(gram, dtype=np.float64)), 0, None))[::-1]  # descending
    total = sv.sum()
    if total == 0:
        return 0
    return int(np.searchsorted(np.cumsum(sv) / total, energy - 1e-12) + 1)


def nc2(features, labels, num_classes: int | None = None) -> dict[str, float]:
    """NC2 of features (N, d): ETF distance ("nc2"), equinorm, equiangularity, max-angle deviation."""
    return nc2_from_means(_as_stats(features, labels, num_classes).centred_means)


def nc3(features, labels, classifier, num_classes: int | None = None) -> float:
    """NC3: self-duality of the classifier rows (K, d) and the centred class means."""
    return nc3_from_means(_as_stats(features, labels, num_classes).centred_means, classifier)


def nc4(features, labels, logits, num_classes: int | None = None) -> float:
    """NC4: fraction of samples where argmax(logits) differs from the nearest class mean."""
    h = torch.as_tensor(np.asarray(features) if not torch.is_tensor(features) else features)
    y = torch.as_tensor(np.asarray(labels) if not torch.is_tensor(labels) else labels).long()
    z = torch.as_tensor(np.asarray(logits) if not torch.is_tensor(logits) else logits)
    s = _as_stats(h, y, num_classes)
    s.ptp, s.within_ss = None, 0.0
    s.update_within(h, y, z)
    return s.ncc_mismatch / s.n


def numerical_rank(features, energy: float = 0.95) -> int:
    """Numerical rank of a feature matrix (N, d) (Wang et al. 2023)."""
    f = np.asarray(features, dtype=np.float64)
    return numerical_rank_from_gram(f.T @ f, energy)


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


def layer_metrics(stats: ClassStats) -> dict[str, float]:
    """The layerwise metrics one layer's statistics determine (rank only when its Gram was kept)."""
    out = {
        "nc1": nc1_from_stats(stats),
        "compression": compression_from_stats(stats),
        "discrimination": discrimination_from_means(stats.means),
    }
    if stats.gram is not None:
        out["numerical_rank"] = float(numerical_rank_from_gram(stats.gram))
    return out


def collapse_metrics(stats: ClassStats, classifier: np.ndarray) -> dict[str, float]:
    """NC1-NC4 of the classifier's input layer (Papyan et al. 2020) given the head's rows (K, d)."""
    return {
        "nc1": nc1_from_stats(stats),
        **nc2_from_means(stats.centred_means),
        "nc3": nc3_from_means(stats.centred_means, classifier),
        "nc4": stats.ncc_mismatch / stats.n,
    }
