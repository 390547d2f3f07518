"""Chains of factor matrices: the low-rank machinery the DLN, completion and adapter code share.

A chain is a list of factors F_1, ..., F_k, the first applied first, so its end-to-end matrix is
F_k ... F_1. Factors may be stacked: ``F_i`` of shape (S, d_i, d_{i-1}) holds S independent chains
(seeds) that run as one batched program; an unstacked factor is (d_i, d_{i-1}). Everything here
works on both.

* :func:`product` — the end-to-end matrix (and :func:`split_product`, the same split at the
  narrowest width, for gathers that never form it);
* :func:`compress` — the compressed network of Yaras et al. (2023, Sec. 4; 2024, Sec. 3) from the
  first factor's gradient at a full-width orthogonal initialization;
* :class:`Chain` — trainable factors, with :meth:`Chain.param_groups` giving the outer factors of a
  compressed chain their own learning rate gamma * lr (the discrepant learning rate).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch


def widths(factors: Sequence[torch.Tensor]) -> list[int]:
    """[d_0, d_1, ..., d_k]: input width, then each factor's output width."""
    return [factors[0].shape[-1]] + [f.shape[-2] for f in factors]


def product(factors: Sequence[torch.Tensor]) -> torch.Tensor:
    """F_k ... F_1 ((S,) d_k, d_0)."""
    out = factors[0]
    for f in factors[1:]:
        out = torch.matmul(f, out)
    return out


def split_product(factors: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """(left ((S,) d_k, w), right ((S,) w, d_0)), left @ right = :func:`product`, split at the
    narrowest inner width w (the cheap way to read a few entries of a low-rank product)."""
    if len(factors) < 2:
        raise ValueError("a chain of one factor has no inner width to split at")
    cut = int(np.argmin(widths(factors)[1:-1])) + 1
    return product(factors[cut:]), product(factors[:cut])


def svd(factors: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The thin SVD (U, S, Vh) of :func:`product` (d_k x d_0) through its narrowest inner width w, exactly:
    product = L R, L = Q_L R_L, R^T = Q_R R_R, so product = Q_L (R_L R_R^T) Q_R^T and the SVD of the
    w x w core gives the rest: O((d_k + d_0) w^2) instead of O(d_k d_0 min(d_k, d_0)) (an adapter of
    rank 8 on a 768 x 3072 layer: ~100x less than the dense SVD). Where w is not narrower than the
    product, the dense SVD. Singular values beyond w are zero and not returned."""
    w = min(widths(factors)[1:-1], default=None) if len(factors) > 1 else None
    if w is None or w >= min(factors[-1].shape[-2], factors[0].shape[-1]):
        return torch.linalg.svd(product(factors), full_matrices=False)
    left, right = split_product(factors)
    q_l, r_l = torch.linalg.qr(left)
    q_r, r_r = torch.linalg.qr(right.transpose(-2, -1))
    u, s, vh = torch.linalg.svd(r_l @ r_r.transpose(-2, -1))
    return q_l @ u, s, vh @ q_r.transpose(-2, -1)


def apply(factors: Sequence[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """The chain applied to row vectors: x F_1^T ... F_k^T (..., d_0) -> (..., d_k), through the
    narrow widths (never forming the product)."""
    for f in factors:
        x = x @ f.T.to(x.dtype)
    return x


def compress(weights: Sequence[torch.Tensor], grad_first: torch.Tensor, rank: int, eps: float) -> list[torch.Tensor]:
    """The compressed chain of Yaras et al. (2023, Sec. 4), for one (unstacked) chain.

    From the first factor's gradient G = U_g S V_g^T at initialization, V_1 is an orthonormal basis of
    span{V_g[:, :r]} + span{W_1^T U_g[:, :r]} (2r columns) and U_L = W_{L:1}(0) V_1 / eps^L.
    Returns the L + 2 factors [V_1^T, eps I_2r (L times), U_L], first applied first, whose product
    U_L (eps I)^L V_1^T equals W_{L:1}(0) V_1 V_1^T.
    """
    u_g, _, vt_g = torch.linalg.svd(grad_first)
    w1 = weights[0]
    v1 = torch.linalg.qr(torch.cat([vt_g[:rank].T, w1.T @ u_g[:, :rank]], dim=1))[0]  # (d, 2r)
    depth = len(weights)
    u_l = product(weights) @ v1 / eps**depth  # (d, 2r)
    middle = [eps * torch.eye(2 * rank, dtype=w1.dtype, device=w1.device) for _ in range(depth)]
    return [v1.T.contiguous()] + middle + [u_l]


def compress_stacked(weights: Sequence[torch.Tensor], grad_first: torch.Tensor, rank: int, eps: float) -> list[torch.Tensor]:
    """:func:`compress` for each of S stacked chains (weights (S, d_i, d_{i-1}), grad (S, d_1, d_0))."""
    per_seed = [compress([w[s] for w in weights], grad_first[s], rank, eps) for s in range(grad_first.shape[0])]
    return [torch.stack([fs[i] for fs in per_seed]) for i in range(len(per_seed[0]))]


def outer_split(factors: Sequence[torch.nn.Parameter], outer: bool) -> tuple[list, list]:
    """(inner, outer) factors: a compressed chain's (``outer``) first and last factor are outer."""
    factors = list(factors)
    return (factors[1:-1], [factors[0], factors[-1]]) if outer else (factors, [])


def outer_groups(factors: Sequence[torch.nn.Parameter], outer: bool, lr: float, gamma: float) -> list[dict]:
    """Optimizer groups: every factor at ``lr``; with ``outer`` (a compressed chain) the first and
    last factor at ``gamma * lr`` and the inner ones at ``lr``."""
    inner, out = outer_split(factors, outer)
    return [{"params": inner, "lr": lr}] + ([{"params": out, "lr": gamma * lr}] if out else [])


class Chain(torch.nn.Module):
    """Trainable factors (stacked or not). ``outer`` marks a compressed chain, whose first and last
    factor train at gamma * lr (:meth:`param_groups`)."""

    def __init__(self, factors: Sequence[torch.Tensor], outer: bool = False):
        super().__init__()
        self.factors = torch.nn.ParameterList(torch.nn.Parameter(f.clone()) for f in factors)
        self.outer = outer

    @property
    def widths(self) -> list[int]:
        return widths(list(self.factors))

    def product(self) -> torch.Tensor:
        return product(list(self.factors))

    def split(self) -> tuple[torch.Tensor, torch.Tensor]:
        return split_product(list(self.factors))

    def param_groups(self, lr: float, gamma: float) -> list[dict]:
        return outer_groups(self.factors, self.outer, lr, gamma)
