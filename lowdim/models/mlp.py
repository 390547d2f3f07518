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


class Hybrid(MLP):
    """Wang et al. 2023, Sec. 5: ``depth`` ReLU(+BN) layers, then ``linear_depth`` linear layers
    (no activation), every weight orthogonally initialised; trained with MSE to one-hot targets."""

    def __init__(self, in_shape: tuple[int, ...], depth: int, width: int, linear_depth: int, batch_norm: bool = True):
        super().__init__(in_shape, depth, width, batch_norm)
        first = width if depth else math.prod(in_shape)
        self.linear = nn.ModuleList(nn.Linear(first if i == 0 else width, width, bias=False) for i in range(linear_depth))
        self.out_dim = width if (depth or linear_depth) else first
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.orthogonal_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = super().forward(x)
        h = feats[-1]
        for layer in self.linear:
            h = layer(h)
            feats.append(h)
        return feats
