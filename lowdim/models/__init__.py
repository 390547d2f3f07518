"""Networks by name. Every model is a backbone returning its layer outputs plus a head."""

from __future__ import annotations

from typing import Mapping

from lowdim.models.conv import VGG, ResNet18
from lowdim.models.heads import HEADS, Classifier, make_head
from lowdim.models.mlp import MLP, Hybrid, orthogonal_init
from lowdim.specs.base import build as build_spec
from lowdim.specs.params import CollapseModel

ARCHS = ("mlp", "hybrid", "vgg", "resnet18")
#: architectures that need image inputs (N, C, H, W)
CONV_ARCHS = ("vgg", "resnet18")


def backbone(spec: CollapseModel | Mapping, in_shape: tuple[int, ...]):
    spec = build_spec(CollapseModel, spec)
    arch = spec.arch
    if arch in CONV_ARCHS and len(in_shape) != 3:
        raise ValueError(f"{arch} needs image inputs (C, H, W); got inputs of shape {in_shape}")
    if arch == "mlp":
        return MLP(in_shape, spec.depth, spec.width, spec.batch_norm)
    if arch == "hybrid":
        return Hybrid(in_shape, spec.depth, spec.width, spec.linear_depth, spec.batch_norm)
    if arch == "vgg":
        return VGG(in_shape, spec.depth, spec.width, spec.batch_norm)
    if arch == "resnet18":
        return ResNet18(in_shape)
    raise ValueError(f"unknown architecture {arch!r} (allowed: {', '.join(ARCHS)})")


def build(spec: CollapseModel | Mapping, in_shape: tuple[int, ...], num_classes: int, head: str = "standard",
          temperature: float = 1.0) -> Classifier:
    """The classifier described by a model spec (see params ``collapse.models``).

    ``spec.init_scale``: None keeps PyTorch's default initialisation; a number makes every linear
    weight, the head's included, orthogonal times that number (Wang et al. 2023).
    """
    spec = build_spec(CollapseModel, spec)  # a dict: missing fields take their defaults
    body = backbone(spec, in_shape)
    model = Classifier(body, make_head(head, body.out_dim, num_classes, temperature, spec.head_bias))
    if spec.init_scale is not None:
        orthogonal_init(model, spec.init_scale)
    return model


__all__ = ["ARCHS", "CONV_ARCHS", "HEADS", "MLP", "VGG", "Classifier", "Hybrid", "ResNet18", "backbone", "build"]
