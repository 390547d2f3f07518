"""Deep linear networks: principal angles, batched networks, the compressed construction and the
law of parsimony, each against an independent reference."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch

from lowdim.studies.dln.params import DlnProgressiveJob
from lowdim.metrics import principal_angles
from lowdim.models.linear import DeepLinear
from lowdim.models.factors import Chain as Factors, compress
from lowdim.studies.dln.experiments import losses, subspace_metrics


@pytest.mark.parametrize("n,p,q,noise", [(10, 3, 4, 1.0), (30, 6, 6, 1e-7), (50, 5, 2, 1e-3), (8, 8, 8, 1.0)])
def test_principal_angles_equal_scipy(n, p, q, noise):
    rng = np.random.default_rng(n + p + q)
    a = rng.standard_normal((n, p))
    b = a[:, : min(p, q)] @ rng.standard_normal((min(p, q), q)) + noise * rng.standard_normal((n, q))
    ours = principal_angles(a, b)
    ref = np.sort(scipy.linalg.subspace_angles(a, b))
    assert np.all(np.diff(ours) >= 0)
    np.testing.assert_allclose(ours, ref, atol=1e-10, rtol=0)


def test_batched_networks_equal_separate_ones():
    """Seeds stacked into one tensor program train exactly like the same networks one by one."""
    x = torch.randn(1, 6, 9, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    y = torch.arange(9) % 3

    def train(seeds):
        net = DeepLinear([6, 5, 5, 3], seeds, 0.7)
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        for _ in range(20):
            opt.zero_grad()
            losses(net(x), y, "mse").sum().backward()
            opt.step()
        return [w.detach() for w in net.weights]

    both = train([3, 4])
    for i, seed in enumerate((3, 4)):
        for w_both, w_one in zip(both, train([seed])):
            torch.testing.assert_close(w_both[i], w_one[0], rtol=1e-12, atol=1e-14)


def test_product_and_orthogonal_init():
    net = DeepLinear([4, 4, 4], [0], 0.5)
    w1, w2 = (w.detach()[0] for w in net.weights)
    torch.testing.assert_close(net.product()[0].detach(), w2 @ w1)
    torch.testing.assert_close(w1 @ w1.T, 0.25 * torch.eye(4, dtype=torch.float64))


def _problem(d=24, r=2, eps=0.05, seed=0):
    from lowdim.data.synthetic import lowrank_target

    phi = torch.as_tensor(lowrank_target(d, r, seed))
    net = DeepLinear([d] * 4, [seed], eps)
    full = Factors([w.detach()[0] for w in net.weights])
    loss = 0.5 * (full.product() - phi).pow(2).sum()
    grad = torch.autograd.grad(loss, full.factors[0])[0]
    return phi, full, grad


def test_compressed_construction_matches_its_definition():
    d, r, eps = 24, 2, 0.05
    phi, full, grad = _problem(d, r, eps)
    factors = compress([f.detach() for f in full.factors], grad, r, eps)
    assert [tuple(f.shape) for f in factors] == [(2 * r, d)] + [(2 * r, 2 * r)] * 3 + [(d, 2 * r)]
    v1 = factors[0].T
    torch.testing.assert_close(v1.T @ v1, torch.eye(2 * r, dtype=torch.float64))
    # V_1 spans V_g[:, :r] and W_1^T U_g[:, :r]
    u, _, vt = torch.linalg.svd(grad)
    span = torch.cat([vt[:r].T, full.factors[0].detach().T @ u[:, :r]], 1)
    assert principal_angles(v1.numpy(), span.numpy()).max() < 1e-10
    w0 = full.product().detach()
    torch.testing.assert_close(Factors(factors).product().detach(), w0 @ v1 @ v1.T)


def test_compressed_network_follows_the_full_trajectory():
    d, r, eps, lr = 24, 2, 0.05, 0.5
    phi, full, grad = _problem(d, r, eps)
    comp = Factors(compress([f.detach() for f in full.factors], grad, r, eps))
    opt_full = torch.optim.SGD(full.parameters(), lr=lr)
    opt_comp = torch.optim.SGD(list(comp.factors[1:-1]), lr=lr)  # gamma = 0: outer factors fixed
    with torch.no_grad():
        offset = float((full.product() - comp.product()).norm())  # the eps^L part outside V_1, ~1e-4 here
    for _ in range(300):
        for net, opt in ((full, opt_full), (comp, opt_comp)):
            opt.zero_grad()
            (0.5 * (net.product() - phi).pow(2).sum()).backward()
            opt.step()
    with torch.no_grad():
        dev = float((full.product() - comp.product()).norm())
        err = float((full.product() - phi).norm() / phi.norm())
    assert err < 1e-3  # the full network has actually learned the target
    assert dev < 2 * offset + 1e-9  # and the compressed one never left its trajectory


def test_law_of_parsimony_holds_for_gd_and_not_for_adam():
    from lowdim.data.synthetic import lowrank_target

    d, r = 14, 2
    phi = torch.as_tensor(lowrank_target(d, r, 1))

    def run(make_opt):
        net = DeepLinear([d] * 4, [1], 1.0)
        opt = make_opt(net.parameters())
        snaps = []
        for _ in range(25):
            opt.zero_grad()
            (0.5 * (net.product()[0] - phi).pow(2).sum()).backward()
            opt.step()
            snaps.append([w.detach()[0].numpy().copy() for w in net.weights])
        return [[subspace_metrics(w_t, w_T) for w_t, w_T in zip(s, snaps[-1])] for s in snaps]

    gd = run(lambda p: torch.optim.SGD(p, lr=0.2))
    assert max(m["moving_singular_values"] for step in gd for m in step) <= 2 * r
    assert max(m["angle_fixed_right_final"] for step in gd for m in step) < 1e-8
    adam = run(lambda p: torch.optim.Adam(p, lr=0.005))
    assert max(m["moving_singular_values"] for step in adam for m in step) > 2 * r


def test_progressive_reproduces_the_authors_notebook(tmp_path):
    """PNC_DLN assumption/theory.ipynb (L = 5, eps = 0.3, 100 x outputs, lr 0.1): C_l falls by ~0.28 per
    layer (12.0 -> 0.0217) and the loss reaches 1e-11 within their few dozen epochs."""
    from lowdim import specs, tables
    from lowdim.studies.dln.analyze import progressive_fits
    from lowdim.studies.dln.experiments import progressive

    spec = {"device": "cpu", "seeds": [0, 1], "progressive": {
        "data": {"classes": 3, "dim": 50, "samples": 30, "perturbation": 1.0}, "width": 50, "init_scale": 0.3,
        "output_scale": 100.0, "lr": 0.1, "lr_min": 0.01, "epochs": 5000, "tol": 1e-11, "loss": "mse",
        "record_every": 10, "checkpoint_every": 1000}}
    out = tmp_path / "t.parquet"
    progressive(specs.build(DlnProgressiveJob, spec), "linear-L5", str(out), str(tmp_path / "ck.pt"))
    df = tables.read(out)
    fit = progressive_fits(df).iloc[0]
    assert fit["converged"] == 2 and 0.25 < fit["rate_median"] < 0.32 and fit["compression_r2_min"] > 0.99
    assert fit["discrimination_end"] == pytest.approx(1.0, abs=1e-6) and fit["discrimination_r2"] > 0.9
    last = df[df["metric"] == "loss"].sort_values("step").groupby("seed")["value"].last()
    assert (last < 1e-11).all() and df["step"].max() < 200
