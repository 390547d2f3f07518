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
    gram: np.ndarray | None = None  # (d, d) = F^T F of the raw features F, when d <= max_gram_dim
    max_gram_dim: int = 0
    ncc_mismatch: float = float("nan")  # samples where argmax(logits) != nearest class centre
    _pass: int = 1

    # -- pass 1 -------------------------------------------------------------------------
    def update_means(self, h: torch.Tensor, y: torch.Tensor) -> None:
        h = h.detach().flatten(1).double()  # (B, d)
        sums = torch.zeros(self.num_classes, h.shape[1], dtype=h.dtype, device=h.device)
        sums = sums.index_add_(0, y, h).cpu().numpy()  # (K, d), one pass over h
        counts = torch.bincount(y, minlength=self.num_classes).double().cpu().numpy()  # (K,)
        self.sums = sums if self.sums is None else self.sums + sums
        self.counts = counts if self.counts is None else self.counts + counts
        if h.shape[1] <= self.max_gram_dim:
            gram = (h.T @ h).cpu().numpy()  # (d, d)
            self.gram = gram if self.gram is None else self.gram + gram

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
    def update_within(self, h: torch.Tensor, y: torch.Tensor, logits: torch.Tensor | None = None) -> None:
        """Pass 2; with ``logits``, also count disagreements with the nearest-class-centre rule."""
        assert self._pass == 2, "call finish_means() after the first pass"
        h = h.detach().flatten(1).double()  # (B, d)
        if h.device not in self._means_t:
            self._means_t[h.device] = (
                torch.as_tensor(self.means, device=h.device),
                torch.as_tensor(self.centred_means, device=h.device),
            )
        mu, m = self._means_t[h.device]
        if self.num_classes <= 32:  # h - mu[y] as one fused pass (a rank-K update) ...
            onehot = torch.nn.functional.one_hot(y, self.num_classes).double()  # (B, K)
            r = torch.addmm(h, onehot, mu, alpha=-1)  # (B, d)
        else:  # ... or by gathering, cheaper than K flops per entry when K is large
            r = h - mu.index_select(0, y)  # (B, d)
        p = r @ m.T  # (B, K)
        ptp = (p.T @ p).cpu().numpy()  # (K, K)
        flat = r.reshape(-1)
        self.within_ss += float(torch.dot(flat, flat))
        self.ptp = ptp if self.ptp is None else self.ptp + ptp
        if logits is not None:
            ncc = (2 * h @ mu.T - (mu * mu).sum(1)).argmax(1)  # argmin_k |h - mu_k|^2
            miss = float((ncc != logits.argmax(1)).sum())
            self.ncc_mismatch = miss if np.isnan(self.ncc_mismatch) else self.ncc_mismatch + miss

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    def to_arrays(self, prefix: str = "") -> dict[str, np.ndarray]:
        out = {f"{prefix}counts": self.counts, f"{prefix}sums": self.sums, f"{prefix}ptp": self.ptp,
               f"{prefix}within_ss": np.asarray(self.within_ss), f"{prefix}ncc_mismatch": np.asarray(self.ncc_mismatch)}
        if self.gram is not None:
            out[f"{prefix}gram"] = self.gram
        return out

    @classmethod
    def from_arrays(cls, arrays, prefix: str = "") -> "ClassStats":
        counts = np.asarray(arrays[f"{prefix}counts"])
        gram = np.asarray(arrays[f"{prefix}gram"]) if f"{prefix}gram" in arrays else None
        s = cls(num_classes=counts.size, counts=counts, sums=np.asarray(arrays[f"{prefix}sums"]),
                within_ss=float(arrays[f"{prefix}within_ss"]), ptp=np.asarray(arrays[f"{prefix}ptp"]),
                gram=gram, ncc_mismatch=float(arrays[f"{prefix}ncc_mismatch"]))
        s._pass = 3
        return s


def stream(batches, num_classes: int, max_gram_dim: int = 0) -> list[ClassStats]:
    """Statistics of every layer from ``batches()``, a callable returning an iterable of
    ``(features, labels, logits)`` with ``features`` a list of (B, ...) tensors, one per
    layer (``logits`` may be None; when given, NC4 is counted at the last layer).
    It is called twice (one pass for the means, one for the within-class scatter)."""
    stats: list[ClassStats] | None = None
    for feats, y, _ in batches():
        if stats is None:
            stats = [ClassStats(num_classes, max_gram_dim=max_gram_dim) for _ in feats]
        for s, h in zip(stats, feats):
            s.update_means(h, y)
    if stats is None:
        raise ValueError("no batches")
    for s in stats:
        s.finish_means()
    for feats, y, logits in batches():
        for i, (s, h) in enumerate(zip(stats, feats)):
            s.update_within(h, y, logits if i == len(stats) - 1 else None)
    return stats
