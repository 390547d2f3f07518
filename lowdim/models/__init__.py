"""Networks by name. Every model is a backbone returning its layer outputs plus a head."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Mapping

from lowdim.models.conv import VGG, ResNet18
from lowdim.models.heads import HEADS, Classifier, make_head
from lowdim.models.mlp import MLP, Hybrid, orthogonal_init

ARCHS = ("mlp", "hybrid", "vgg", "resnet18")
#: architectures that need image inputs (N, C, H, W)
CONV_ARCHS = ("vgg", "resnet18")


@dataclass(frozen=True)
class Network:
    """What builds a classifier: the architecture fields of a model spec (params ``collapse.models.<name>``)."""

    arch: str = "mlp"
    depth: int = 4
    width: int = 256
    linear_depth: int = 0
    batch_norm: bool = True
    init_scale: float | None = None
    head_bias: bool = True


def network(spec: Any) -> Network:
    """The :class:`Network` of a model spec: a mapping (missing keys take the defaults) or any object with those
    attributes (a study's model spec)."""
    if isinstance(spec, Network):
        return spec
    names = [f.name for f in fields(Network)]
    if isinstance(spec, Mapping):
        return Network(**{k: spec[k] for k in names if k in spec})
    return Network(**{k: getattr(spec, k) for k in names})


def backbone(spec: Any, in_shape: tuple[int, ...]):
    spec = network(spec)
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


def build(spec: Any, in_shape: tuple[int, ...], num_classes: int, head: str = "standard",
          temperature: float = 1.0) -> Classifier:
    """The classifier described by a model spec (see params ``collapse.models``).

    ``spec.init_scale``: None keeps PyTorch's default initialisation; a number makes every linear
    weight, the head's included, orthogonal times that number (Wang et al. 2023).
    """
    spec = network(spec)  # a dict: missing fields take their defaults
    body = backbone(spec, in_shape)
    model = Classifier(body, make_head(head, body.out_dim, num_classes, temperature, spec.head_bias))
    if spec.init_scale is not None:
        orthogonal_init(model, spec.init_scale)
    return model


__all__ = ["ARCHS", "Network", "network", "CONV_ARCHS", "HEADS", "MLP", "VGG", "Classifier", "Hybrid", "ResNet18", "backbone", "build"]
