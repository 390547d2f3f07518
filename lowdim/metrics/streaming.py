"""Per-class sufficient statistics of features, accumulated batch by batch.

Two passes over the data: the first gathers class counts and sums (hence class means), the
second the within-class scatter in the only directions NC1 needs. Memory is O(K d + K^2)
per layer whatever the number of samples, so metrics for every layer of a network come
from streaming its features once per pass, never from holding them all.

Notation (Papyan et al. 2020): mu_k class means, mu_G = mean of the class means,
M = [mu_k - mu_G]_k (K, d) the centred means, H = [h_i - mu_{y_i}]_i (N, d).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class ClassStats:
    """Sufficient statistics of one layer's features (float64)."""

    num_classes: int
    counts: np.ndarray | None = None  # (K,)
    sums: np.ndarray | None = None  # (K, d)
    within_ss: float = 0.0  # sum_i ||h_i - mu_{y_i}||^2
    ptp: np.ndarray | None = None  # (K, K) = P^T P with P = H M^T
    _pass: int = 1

    # -- pass 1 -------------------------------------------------------------------------
    def update_means(self, h: torch.Tensor, y: torch.Tensor) -> None:
        h = h.detach().flatten(1).double()  # (B, d)
        onehot = torch.nn.functional.one_hot(y, self.num_classes).double()  # (B, K)
        sums = (onehot.T @ h).cpu().numpy()  # (K, d)
        counts = onehot.sum(0).cpu().numpy()  # (K,)
        self.sums = sums if self.sums is None else self.sums + sums
        self.counts = counts if self.counts is None else self.counts + counts

    def finish_means(self) -> None:
        if self.counts is None or (self.counts == 0).any():
            missing = [] if self.counts is None else np.flatnonzero(self.counts == 0).tolist()
            raise ValueError(f"every class needs at least one sample; classes without samples: {missing}")
        self._pass = 2
        self._means_t: dict[torch.device, tuple[torch.Tensor, torch.Tensor]] = {}

    @property
    def means(self) -> np.ndarray:
        return self.sums / self.counts[:, None]  # (K, d)

    @property
    def centred_means(self) -> np.ndarray:
        mu = self.means
        return mu - mu.mean(0, keepdims=True)  # (K, d), rows sum to zero

    # -- pass 2 -------------------------------------------------------------------------
    def update_within(self, h: torch.Tensor, y: torch.Tensor) -> None:
        assert self._pass == 2, "call finish_means() after the first pass"
        h = h.detach().flatten(1).double()  # (B, d)
        if h.device not in self._means_t:
            self._means_t[h.device] = (
                torch.as_tensor(self.means, device=h.device),
                torch.as_tensor(self.centred_means, device=h.device),
            )
        mu, m = self._means_t[h.device]
        r = h - mu[y]  # (B, d) class-centred features
        p = r @ m.T  # (B, K)
        ptp = (p.T @ p).cpu().numpy()  # (K, K)
        self.within_ss += float((r * r).sum())
        self.ptp = ptp if self.ptp is None else self.ptp + ptp

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    def to_arrays(self, prefix: str = "") -> dict[str, np.ndarray]:
        return {f"{prefix}counts": self.counts, f"{prefix}sums": self.sums,
                f"{prefix}within_ss": np.asarray(self.within_ss), f"{prefix}ptp": self.ptp}

    @classmethod
    def from_arrays(cls, arrays, prefix: str = "") -> "ClassStats":
        counts = np.asarray(arrays[f"{prefix}counts"])
        s = cls(num_classes=counts.size, counts=counts, sums=np.asarray(arrays[f"{prefix}sums"]),
                within_ss=float(arrays[f"{prefix}within_ss"]), ptp=np.asarray(arrays[f"{prefix}ptp"]))
        s._pass = 3
        return s


def stream(batches, num_classes: int) -> list[ClassStats]:
    """Statistics of every layer from ``batches()``, a callable returning an iterable of
    ``(features, labels)`` with ``features`` a list of (B, ...) tensors, one per layer.
    It is called twice (one pass for the means, one for the within-class scatter)."""
    stats: list[ClassStats] | None = None
    for feats, y in batches():
        if stats is None:
            stats = [ClassStats(num_classes) for _ in feats]
        for s, h in zip(stats, feats):
            s.update_means(h, y)
    if stats is None:
        raise ValueError("no batches")
    for s in stats:
        s.finish_means()
    for feats, y in batches():
        for s, h in zip(stats, feats):
            s.update_within(h, y)
    return stats


def layer_metrics(stats: ClassStats) -> dict[str, float]:
    """All metrics of one layer that its statistics determine."""
    from lowdim.metrics.collapse import compression_from_stats, discrimination_from_means, nc1_from_stats

    return {
        "nc1": nc1_from_stats(stats),
        "compression": compression_from_stats(stats),
        "discrimination": discrimination_from_means(stats.means),
    }
