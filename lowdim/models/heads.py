"""Classifier heads: the standard linear head and the normalized one of Yaras et al. (NeurIPS 2022).

The normalized head puts both the feature and every classifier row on the unit sphere and
divides their inner product by a temperature tau: logits_k = <w_k, h/|h|> / tau + b_k, with the
rows w_k kept on the sphere by projection after every optimizer step (:meth:`NormalizedLinear.renormalize`),
as in the authors' code (cjyaras/normalized-neural-collapse: ``features = tau * normalize(h)``,
``fc`` with a bias, ``normalize_fc()`` after each step; their tau multiplies, ours divides: tau = 1 is
the same head).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

HEADS = ("standard", "normalized")


@torch.no_grad()
def unit_rows(weight: torch.Tensor) -> None:
    """Project every classifier row back onto the unit sphere, in place (the authors' ``normalize_fc``)."""
    weight.copy_(F.normalize(weight, dim=1))


class NormalizedLinear(nn.Module):
    def __init__(self, in_dim: int, num_classes: int, temperature: float):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(num_classes, in_dim))
        self.bias = nn.Parameter(torch.zeros(num_classes))
        nn.init.kaiming_uniform_(self.weight, a=5**0.5)
        self.temperature = temperature
        self.renormalize()

    def renormalize(self) -> None:
        """Project every classifier row back onto the unit sphere (call after each optimizer step)."""
        unit_rows(self.weight)

    def prepare(self, h: torch.Tensor) -> torch.Tensor:
        return F.normalize(h, dim=1)

    def classifier(self) -> torch.Tensor:
        return self.weight  # (K, d), unit rows

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.prepare(h) @ self.weight.T / self.temperature + self.bias


class StandardLinear(nn.Linear):
    """The linear head; without ``bias`` it is the bias-free head of Wang et al. 2023 (PNC_DLN). Its rows are
    free unless a training loop calls :meth:`renormalize` after each step, as the authors' code does in its
    regularized runs too (cjyaras/normalized-neural-collapse: ``normalize_fc()`` after every step; the bias
    stays free)."""

    def renormalize(self) -> None:
        unit_rows(self.weight)

    def prepare(self, h: torch.Tensor) -> torch.Tensor:
        return h

    def classifier(self) -> torch.Tensor:
        return self.weight  # (K, d)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return super().forward(h)


def make_head(kind: str, in_dim: int, num_classes: int, temperature: float = 1.0, bias: bool = True) -> nn.Module:
    if kind == "normalized":
        return NormalizedLinear(in_dim, num_classes, temperature)
    if kind == "standard":
        return StandardLinear(in_dim, num_classes, bias=bias)
    raise ValueError(f"unknown head {kind!r} (allowed: {', '.join(HEADS)})")


class Classifier(nn.Module):
    """A backbone (returning its layer outputs) followed by a head.

    ``forward(x, features=True)`` returns ``(logits, feats)``: ``feats[0]`` is the flattened
    input and ``feats[-1]`` the classifier's input (normalized for the normalized head), so
    the last layer is where neural collapse is measured.
    """

    def __init__(self, backbone: nn.Module, head: nn.Module):
        super().__init__()
        self.backbone, self.head = backbone, head

    def forward(self, x: torch.Tensor, features: bool = False):
        feats = self.backbone(x)  # list of (B, ...) tensors, last one (B, d)
        h = self.head.prepare(feats[-1])
        logits = self.head(feats[-1])
        if not features:
            return logits
        return logits, [f.flatten(1) for f in feats[:-1]] + [h]
