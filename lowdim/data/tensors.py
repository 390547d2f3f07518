"""Prepared classification data resident on the compute device."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import torch

from lowdim.data.registry import load


class Classification:
    """A prepared classification set on ``device``, standardized by its training statistics.

    Images stay uint8 on the device and are converted per batch. With ``classes``, only those
    classes are kept and relabelled 0..len(classes)-1 in the given order. With ``per_class``, the
    training split keeps the first ``per_class`` samples of each class, in their order (the test split
    is kept whole).
    """

    def __init__(self, path: str | Path, device: torch.device, classes: Sequence[int] | None = None,
                 per_class: int | None = None):
        d = load(path)
        self.device = device
        self.x, self.y = {}, {}
        for s in ("train", "test"):
            x, y = torch.as_tensor(d[f"x_{s}"]), torch.as_tensor(d[f"y_{s}"]).long()
            if classes is not None:
                keep = torch.isin(y, torch.as_tensor(list(classes)))
                remap = torch.full((int(y.max()) + 1,), -1, dtype=torch.long)
                remap[torch.as_tensor(list(classes))] = torch.arange(len(classes))
                x, y = x[keep], remap[y[keep]]
            if per_class is not None and s == "train":
                rank = torch.zeros_like(y)  # each sample's place among its class's samples
                for k in y.unique():
                    rank[y == k] = torch.arange(int((y == k).sum()))
                x, y = x[rank < per_class], y[rank < per_class]
            self.x[s], self.y[s] = x.to(device), y.to(device)
        train = self.x["train"].double()
        self.mean, self.std = float(train.mean()), float(train.std())
        self.num_classes = len(classes) if classes is not None else int(max(self.y["train"].max(), self.y["test"].max())) + 1
        self.in_shape = tuple(d["x_train"].shape[1:])

    def size(self, split: str) -> int:
        return self.y[split].numel()

    def inputs(self, split: str, idx: torch.Tensor) -> torch.Tensor:
        return (self.x[split][idx].float() - self.mean) / self.std

    def batches(self, split: str, batch_size: int, limit: int | None = None):
        """In-order ``(inputs, labels)`` batches of a split (the first ``limit`` samples)."""
        n = min(self.size(split), limit or self.size(split))
        for start in range(0, n, batch_size):
            idx = torch.arange(start, min(n, start + batch_size), device=self.device)
            yield self.inputs(split, idx), self.y[split][idx]
