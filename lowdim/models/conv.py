"""Convolutional backbones for small images: a VGG-style net and ResNet18 (torchvision)."""

from __future__ import annotations

import torch
from torch import nn


class VGG(nn.Module):
    """``depth`` stages of two 3x3 conv-BN-ReLU layers and a 2x2 max-pool, channels
    ``width * 2**stage`` (capped at 8 * width); a global average pool gives the classifier input.
    Layer outputs: the input, every stage, the pooled feature."""

    def __init__(self, in_shape: tuple[int, ...], depth: int, width: int, batch_norm: bool = True):
        super().__init__()
        channels, stages = in_shape[0], []
        for s in range(depth):
            out = width * 2 ** min(s, 3)
            layers = []
            for i in range(2):
                layers += [nn.Conv2d(channels if i == 0 else out, out, 3, padding=1, bias=not batch_norm),
                           *([nn.BatchNorm2d(out)] if batch_norm else []), nn.ReLU(inplace=True)]
            stages.append(nn.Sequential(*layers, nn.MaxPool2d(2)))
            channels = out
        self.stages = nn.ModuleList(stages)
        self.out_dim = channels

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats, h = [x], x
        for stage in self.stages:
            h = stage(h)  # (B, C, H, W)
            feats.append(h)
        feats.append(h.mean((2, 3)))  # (B, C)
        return feats


class ResNet18(nn.Module):
    """torchvision's ResNet18 adapted to small images (3x3 stem, stride 1, no max-pool).
    Layer outputs: the input, the stem, the four residual stages, the pooled feature."""

    def __init__(self, in_shape: tuple[int, ...]):
        super().__init__()
        from torchvision.models import resnet18

        net = resnet18(num_classes=10)
        net.conv1 = nn.Conv2d(in_shape[0], 64, 3, stride=1, padding=1, bias=False)
        self.stem = nn.Sequential(net.conv1, net.bn1, net.relu)
        self.stages = nn.ModuleList([net.layer1, net.layer2, net.layer3, net.layer4])
        self.out_dim = 512

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        h = self.stem(x)
        feats = [x, h]
        for stage in self.stages:
            h = stage(h)
            feats.append(h)
        feats.append(h.mean((2, 3)))  # (B, 512)
        return feats
