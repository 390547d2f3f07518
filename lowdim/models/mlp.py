"""A plain multi-layer perceptron whose every layer's output can be read out."""

from __future__ import annotations

import math

import torch
from torch import nn


class MLP(nn.Module):
    """``depth`` hidden layers (Linear [-> BatchNorm] -> ReLU) of ``width``, then a linear head.

    ``forward(x, features=True)`` also returns the list of layer outputs: index 0 is the
    (flattened) input, index l the output of hidden layer l, so the last entry is the
    penultimate-layer feature that neural collapse is about.
    """

    def __init__(self, in_shape: tuple[int, ...], num_classes: int, depth: int, width: int, batch_norm: bool = False):
        super().__init__()
        in_dim = math.prod(in_shape)
        blocks = []
        for i in range(depth):
            layers: list[nn.Module] = [nn.Linear(in_dim if i == 0 else width, width, bias=not batch_norm)]
            if batch_norm:
                layers.append(nn.BatchNorm1d(width))
            layers.append(nn.ReLU())
            blocks.append(nn.Sequential(*layers))
        self.blocks = nn.ModuleList(blocks)
        self.head = nn.Linear(width if depth else in_dim, num_classes)

    @property
    def num_layers(self) -> int:
        """Number of feature layers returned by ``forward(features=True)`` (input included)."""
        return len(self.blocks) + 1

    def forward(self, x: torch.Tensor, features: bool = False):
        h = x.flatten(1)  # (B, D)
        feats = [h]
        for block in self.blocks:
            h = block(h)  # (B, width)
            feats.append(h)
        logits = self.head(h)  # (B, K)
        return (logits, feats) if features else logits
