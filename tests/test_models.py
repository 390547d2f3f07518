"""Models: layer outputs, heads, and one training step of each architecture on CPU."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lowdim.models import build
from lowdim.studies.collapse.experiments import head_decay, loss_of, scheduler

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
        assert torch.allclose(model.head.classifier().norm(dim=1), torch.ones(3), atol=1e-6)
        assert torch.allclose(logits, feats[-1] @ model.head.classifier().T / 0.1 + model.head.bias, atol=1e-5)
    else:
        assert torch.allclose(logits, feats[-1] @ model.head.weight.T + model.head.bias, atol=1e-5)
    loss = loss_of("mse" if arch == "hybrid" else "ce", logits, y)
    loss.backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)


def test_init_scale_makes_every_linear_weight_a_scaled_orthogonal_matrix():
    """Wang et al.'s init: every linear weight, head included, is eps times orthonormal rows/columns."""
    spec, shape, _ = SPECS["hybrid"]
    model = build({**spec, "init_scale": 0.1, "head_bias": False}, shape, 3)
    assert model.head.bias is None
    weights = [m.weight.detach() for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert len(weights) == 2 + 3 + 1
    for w in weights:
        small = min(w.shape)
        gram = w @ w.T if w.shape[0] == small else w.T @ w
        assert torch.allclose(gram, 0.01 * torch.eye(small), atol=1e-6)
    default = build({**spec, "init_scale": None}, shape, 3)  # PyTorch's init is not orthogonal
    w = default.backbone.linear[0].weight.detach()
    assert not torch.allclose(w @ w.T, torch.eye(16), atol=1e-2)


def test_normalized_head_rows_are_projected_back_after_a_step():
    """As in the authors' code: a plain SGD step leaves the sphere, renormalize() projects back."""
    spec, shape, _ = SPECS["mlp"]
    model = build(spec, shape, 3, head="normalized")
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    opt.register_step_post_hook(lambda *_: model.head.renormalize())
    loss_of("ce", model(torch.randn(6, *shape)), torch.tensor([0, 1, 2, 0, 1, 2])).backward()
    opt.step()
    assert torch.allclose(model.head.weight.norm(dim=1), torch.ones(3), atol=1e-6)


def test_conv_nets_reject_flat_inputs():
    with pytest.raises(ValueError, match="vgg needs image inputs"):
        build(SPECS["vgg"][0], (40,), 3)


def test_mse_loss_matches_the_authors_definition():
    """PNC_DLN: sum_n |alpha z_n - e_y|^2 / N."""
    z, y = torch.tensor([[0.5, 0.2], [0.1, 0.9]]), torch.tensor([0, 1])
    expected = ((0.5 - 1) ** 2 + 0.2**2 + 0.1**2 + (0.9 - 1) ** 2) / 2
    assert loss_of("mse", z, y).item() == pytest.approx(expected)
    scaled = ((50 - 1) ** 2 + 20**2 + 10**2 + (90 - 1) ** 2) / 2
    assert loss_of("mse", z, y, output_scale=100.0).item() == pytest.approx(scaled)
    assert loss_of("ce", z, y, 2.0).item() == pytest.approx(torch.nn.functional.cross_entropy(2 * z, y).item())


def test_head_decay_is_the_regularized_standard_head():
    """Yaras et al. 2022: decay/2 |W|_F^2 + decay/2 sum over the batch of |h|^2."""
    spec, shape, _ = SPECS["hybrid"]
    model = build(spec, shape, 3)
    h = torch.randn(5, 16)
    expected = 0.5 * 1e-2 * (float((model.head.weight.detach().numpy() ** 2).sum()) + float((h.numpy() ** 2).sum()))
    assert head_decay(model, h, 1e-2).item() == pytest.approx(expected, rel=1e-5)


def test_step_schedule_decays_at_the_fractions_and_cosine_reaches_its_floor():
    w = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([w], lr=1.0)
    sched = scheduler(opt, "step", 9, [1 / 3, 2 / 3], 0.01)
    lrs = []
    for _ in range(9):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step(), sched.step()
    assert lrs == pytest.approx([1, 1, 1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01])
    opt = torch.optim.SGD([w], lr=1.0)
    sched = scheduler(opt, "cosine", 10, [], 0.01)
    for _ in range(10):
        opt.step(), sched.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.01)


def test_standard_head_rows_can_stay_on_the_sphere_as_in_the_authors_code():
    """cjyaras/normalized-neural-collapse calls normalize_fc() after every step of both runs: unit_rows."""
    spec, shape, _ = SPECS["mlp"]
    x, y = torch.randn(6, *shape), torch.tensor([0, 1, 2, 0, 1, 2])
    for hook in (False, True):
        torch.manual_seed(0)
        model = build(spec, shape, 3, head="standard")
        opt = torch.optim.SGD(model.parameters(), lr=0.5)
        if hook:
            opt.register_step_post_hook(lambda *_: model.head.renormalize())
        loss_of("ce", model(x), y).backward()
        opt.step()
        norms = model.head.weight.norm(dim=1)
        assert torch.allclose(norms, torch.ones(3), atol=1e-6) == hook, norms
    assert model.head.bias is not None and model.head.bias.abs().sum() > 0  # the bias trains freely


def test_per_class_keeps_the_first_n_training_samples_of_each_class(tmp_path):
    from lowdim.data.tensors import Classification

    rng = np.random.default_rng(0)
    y_train, y_test = rng.integers(0, 4, 50), rng.integers(0, 4, 20)
    x_train = rng.integers(0, 256, (50, 1, 2, 2), dtype=np.uint8)
    np.savez(tmp_path / "d.npz", x_train=x_train, y_train=y_train, x_test=x_train[:20], y_test=y_test,
             kind="classification", name="toy")
    ds = Classification(tmp_path / "d.npz", torch.device("cpu"), per_class=3)
    expected = sorted(i for k in range(4) for i in np.flatnonzero(y_train == k)[:3])  # numpy: first 3 of each class
    assert ds.y["train"].tolist() == y_train[expected].tolist()
    assert torch.equal(ds.x["train"], torch.as_tensor(x_train[expected]))
    assert ds.size("test") == 20  # the test split is kept whole
    sub = Classification(tmp_path / "d.npz", torch.device("cpu"), classes=[2, 0], per_class=2)
    kept = sorted(i for k in (2, 0) for i in np.flatnonzero(y_train == k)[:2])
    assert sub.y["train"].tolist() == [{2: 0, 0: 1}[v] for v in y_train[kept]]
