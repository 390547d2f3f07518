"""Fully connected backbones: the MLP and the "hybrid" net of Wang et al. (2023)."""

from __future__ import annotations

import math

import torch
from torch import nn


class MLP(nn.Module):
    """``depth`` hidden layers (Linear [-> BatchNorm] -> ReLU) of ``width``.

    Returns the list of layer outputs: the flattened input, then each hidden layer's.
    """

    def __init__(self, in_shape: tuple[int, ...], depth: int, width: int, batch_norm: bool = False):
        super().__init__()
        in_dim = math.prod(in_shape)
        self.blocks = nn.ModuleList(
            nn.Sequential(
                nn.Linear(in_dim if i == 0 else width, width, bias=not batch_norm),
                *([nn.BatchNorm1d(width)] if batch_norm else []),
                nn.ReLU(),
            )
            for i in range(depth)
        )
        self.out_dim = width if depth else in_dim

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        h = x.flatten(1)  # (B, D)
        feats = [h]
        for block in self.blocks:
            h = block(h)  # (B, width)
            feats.append(h)
        return feats


def orthogonal_init(module: nn.Module, scale: float) -> None:
    """Every linear weight of ``module`` orthogonal (orthonormal rows or columns) times ``scale``,
    biases zero: the initialisation of Wang et al. 2023 (PNC_DLN ``TunnelNetwork``, eps = 0.1)."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.orthogonal_(m.weight)
            with torch.no_grad():
                m.weight.mul_(scale)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


class Hybrid(MLP):
    """Wang et al. 2023, Sec. 5 (PNC_DLN ``TunnelNetwork``): ``depth`` Linear-BN-ReLU layers, then
    ``linear_depth`` linear layers (no activation). With ``linear_depth = 0`` it is their MLP.
    Their initialisation (orthogonal times a small eps) is applied by :func:`lowdim.models.build`
    to the whole classifier, head included."""

    def __init__(self, in_shape: tuple[int, ...], depth: int, width: int, linear_depth: int, batch_norm: bool = True):
        super().__init__(in_shape, depth, width, batch_norm)
        first = width if depth else math.prod(in_shape)
        self.linear = nn.ModuleList(nn.Linear(first if i == 0 else width, width, bias=False) for i in range(linear_depth))
        self.out_dim = width if (depth or linear_depth) else first

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = super().forward(x)
        h = feats[-1]
        for layer in self.linear:
            h = layer(h)
            feats.append(h)
        return feats
