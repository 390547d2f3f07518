"""Models: layer outputs, heads, and one training step of each architecture on CPU."""

from __future__ import annotations

import pytest
import torch

from lowdim.models import build
from lowdim.studies.collapse.train import loss_of

SPECS = {
    "mlp": ({"arch": "mlp", "depth": 3, "width": 16, "linear_depth": 0, "batch_norm": True}, (1, 8, 8), 4),
    "hybrid": ({"arch": "hybrid", "depth": 2, "width": 16, "linear_depth": 3, "batch_norm": True}, (40,), 6),
    "vgg": ({"arch": "vgg", "depth": 3, "width": 4, "linear_depth": 0, "batch_norm": True}, (1, 16, 16), 5),
    "resnet18": ({"arch": "resnet18", "depth": 0, "width": 64, "linear_depth": 0, "batch_norm": True}, (3, 8, 8), 7),
}


@pytest.mark.parametrize("arch", SPECS)
@pytest.mark.parametrize("head", ["standard", "normalized"])
def test_forward_features_and_a_training_step(arch, head):
    spec, shape, layers = SPECS[arch]
    torch.manual_seed(0)
    model = build(spec, shape, num_classes=3, head=head, temperature=0.1)
    x, y = torch.randn(6, *shape), torch.tensor([0, 1, 2, 0, 1, 2])
    logits, feats = model(x, features=True)
    assert logits.shape == (6, 3) and len(feats) == layers
    assert all(f.ndim == 2 and f.shape[0] == 6 for f in feats)
    if head == "normalized":
        assert torch.allclose(feats[-1].norm(dim=1), torch.ones(6), atol=1e-5)
        assert torch.allclose(logits, feats[-1] @ model.head.classifier().T / 0.1, atol=1e-5)
    else:
        assert torch.allclose(logits, feats[-1] @ model.head.weight.T + model.head.bias, atol=1e-5)
    loss = loss_of("mse" if arch == "hybrid" else "ce", logits, y)
    loss.backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)


def test_hybrid_linear_layers_are_orthogonal_at_init():
    spec, shape, _ = SPECS["hybrid"]
    model = build(spec, shape, 3)
    for layer in model.backbone.linear:
        w = layer.weight.detach()
        assert torch.allclose(w @ w.T, torch.eye(w.shape[0]), atol=1e-5)


def test_conv_nets_reject_flat_inputs():
    with pytest.raises(ValueError, match="vgg needs image inputs"):
        build(SPECS["vgg"][0], (40,), 3)


def test_mse_loss_matches_its_definition():
    z, y = torch.tensor([[0.5, 0.2], [0.1, 0.9]]), torch.tensor([0, 1])
    expected = 0.5 * ((0.5 - 1) ** 2 + 0.2**2 + 0.1**2 + (0.9 - 1) ** 2) / 2
    assert loss_of("mse", z, y).item() == pytest.approx(expected)
