"""Deep linear networks, stacked: S independent networks as one batched tensor program.

Tiny networks are launch-bound, so seeds (or any batch of same-shaped networks) share one set
of tensors ``weights[l]`` of shape (S, d_l, d_{l-1}) and one ``torch.bmm`` per layer.
"""

from __future__ import annotations

from typing import Sequence

import torch

from lowdim.models import factors


def orthogonal(shape: tuple[int, int], scale: float, generator: torch.Generator, dtype=torch.float64) -> torch.Tensor:
    """``scale`` times a Haar-random matrix with orthonormal rows or columns."""
    rows, cols = shape
    q, r = torch.linalg.qr(torch.randn(max(rows, cols), min(rows, cols), generator=generator, dtype=dtype))
    q = q * torch.sign(torch.diagonal(r))  # Haar measure
    return scale * (q if rows >= cols else q.T)


class DeepLinear(torch.nn.Module):
    """``len(widths) - 1`` layers mapping widths[0] -> widths[-1], for each of ``seeds``.

    ``weights[l]`` is (S, widths[l+1], widths[l]); the network acts on column vectors,
    f(x) = W_L ... W_1 x (with ``activation="relu"`` between layers, the nonlinear variant).
    """

    def __init__(self, widths: Sequence[int], seeds: Sequence[int], init_scale: float,
                 activation: str = "linear", dtype=torch.float64):
        super().__init__()
        self.activation = activation
        stacks = []
        for i in range(len(widths) - 1):
            stacks.append(torch.stack([
                orthogonal((widths[i + 1], widths[i]), init_scale, torch.Generator().manual_seed(1000 * s + i), dtype)
                for s in seeds
            ]))
        self.weights = torch.nn.ParameterList(torch.nn.Parameter(w) for w in stacks)

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Every layer's output for inputs ``x`` (S or 1, d_0, N): [x, h_1, ..., h_L]."""
        feats = [x]
        for i, w in enumerate(self.weights):
            x = torch.matmul(w, x)  # (S, d_l, N)
            if self.activation == "relu" and i < len(self.weights) - 1:
                x = torch.relu(x)
            feats.append(x)
        return feats

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)[-1]

    def product(self) -> torch.Tensor:
        """End-to-end matrix W_L ... W_1 (S, d_L, d_0) (linear networks only)."""
        return factors.product(list(self.weights))
