"""Networks, by name. Every model returns its per-layer features on request."""

from lowdim.models.mlp import MLP

ARCHS = {"mlp": MLP}


def build(arch: str, in_shape: tuple[int, ...], num_classes: int, **kwargs):
    """Build architecture ``arch`` for inputs of shape ``in_shape`` (without batch)."""
    return ARCHS[arch](in_shape=in_shape, num_classes=num_classes, **kwargs)


__all__ = ["ARCHS", "MLP", "build"]
