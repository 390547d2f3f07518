"""Deep matrix completion: the pieces against slow numpy references, and the study's claims at
toy scale (depth prevents overfitting; compressed training needs the discrepant learning rate)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lowdim.errors import DivergedError
from lowdim.studies.completion.core import (Chain, Observations, als, compressed_chain, full_chain, masked_loss,
                                            narrow_chain, relative_error, synthetic, train_chain)
from lowdim.studies.completion.experiments import split_ratings
from lowdim.models.factors import compress


def test_synthetic_problems_are_rank_r_and_split_every_entry_once():
    train, test = synthetic(dim=30, rank=3, observed=0.25, seeds=[0, 1])
    assert train.rows.shape == (2, round(0.25 * 900)) and test.rows.shape == (2, 900 - 225)
    for s in range(2):
        dense = np.full((30, 30), np.nan)
        for o in (train, test):
            assert np.isnan(dense[o.rows[s], o.cols[s]]).all()  # no entry twice
            dense[o.rows[s], o.cols[s]] = o.values[s].numpy()
        assert not np.isnan(dense).any()
        sv = np.linalg.svd(dense, compute_uv=False)
        assert sv[2] > 1 and sv[3] < 1e-10  # rank 3, distinct well-separated values
    again, _ = synthetic(dim=30, rank=3, observed=0.25, seeds=[0, 1])
    assert torch.equal(again.values, train.values) and not torch.equal(train.values[0], train.values[1])


@pytest.mark.parametrize("narrow", [False, True])
def test_predictions_and_loss_equal_the_dense_masked_formula(narrow):
    train, _ = synthetic(dim=24, rank=2, observed=0.3, seeds=[0, 1, 2])
    chain = (narrow_chain(train.shape, 4, 3, 0.7, [0, 1, 2]) if narrow
             else full_chain(train.shape, 24, 3, 0.7, [0, 1, 2]))
    pred = chain.predict(train)
    ws = [f.detach().numpy() for f in chain.factors]
    for s in range(3):
        x = ws[2][s] @ ws[1][s] @ ws[0][s]
        r, c, v = (t[s].numpy() for t in (train.rows, train.cols, train.values))
        np.testing.assert_allclose(pred[s].detach().numpy(), x[r, c], rtol=1e-12, atol=1e-14)
        mask = np.zeros((24, 24))
        mask[r, c] = 1
        dense_target = np.zeros((24, 24))
        dense_target[r, c] = v
        ref = 0.5 * np.mean((mask * (x - dense_target)) ** 2)  # 1/2 mean over all d^2 entries
        assert masked_loss(pred, train)[s].item() == pytest.approx(ref, rel=1e-12)


def test_compressed_chain_is_the_dln_construction_per_seed():
    train, _ = synthetic(dim=20, rank=2, observed=0.4, seeds=[3, 4])
    full = full_chain(train.shape, 20, 3, 1e-2, [3, 4])
    comp = compressed_chain(full, train, 2, 1e-2)
    assert [tuple(f.shape[1:]) for f in comp.factors] == [(4, 20)] + [(4, 4)] * 3 + [(20, 4)]
    for s in range(2):
        ws = [f[s].detach().clone().requires_grad_() for f in full.factors]
        x = ws[2] @ ws[1] @ ws[0]
        r, c, v = train.rows[s], train.cols[s], train.values[s]
        loss = 0.5 * (x[r, c] - v).pow(2).sum() / 400
        g = torch.autograd.grad(loss, ws[0])[0]
        ref = compress([w.detach() for w in ws], g, 2, 1e-2)
        for a, b in zip(comp.factors, ref):
            torch.testing.assert_close(a[s].detach(), b, rtol=1e-10, atol=1e-12)
    groups = comp.param_groups(1.0, 0.01)
    assert [g["lr"] for g in groups] == [1.0, 0.01] and len(groups[1]["params"]) == 2


def test_als_half_step_equals_per_row_ridge_solves():
    train, test = synthetic(dim=15, rank=2, observed=0.5, seeds=[0])
    hist = []

    def ev(a, b):
        hist.append((a.clone(), b.clone()))
        return {}

    als(train, ev, rank=2, ridge=0.3, iterations=2)
    (a1, b1), (a2, b2) = hist
    r, c, v = (t[0].numpy() for t in (train.rows, train.cols, train.values))
    b = b1[0].numpy()
    for i in range(15):  # row i of A after the second sweep solves its ridge problem given B
        js = c[r == i]
        lhs = b[js].T @ b[js] + 0.3 * np.eye(2)
        np.testing.assert_allclose(a2[0, i].numpy(), np.linalg.solve(lhs, b[js].T @ v[r == i]), rtol=1e-10)
    a = a2[0].numpy()
    for j in range(15):
        is_ = r[c == j]
        lhs = a[is_].T @ a[is_] + 0.3 * np.eye(2)
        np.testing.assert_allclose(b2[0, j].numpy(), np.linalg.solve(lhs, a[is_].T @ v[c == j]), rtol=1e-10)


def _train(chain, train, test, lr, steps, tmp_path, name, gamma=1.0):
    return train_chain(name, chain, train, lambda c: {"test_error": relative_error(c.predict(test), test)},
                       lr, gamma, steps, 100, 1e-14, tmp_path / f"{name}.pt", name)


def test_depth_three_generalizes_where_depth_two_overfits(tmp_path):
    train, test = synthetic(dim=40, rank=3, observed=0.3, seeds=[0, 1])
    errs = {}
    for depth, lr in ((2, 40.0), (3, 80.0)):
        hist = _train(full_chain(train.shape, 40, depth, 1e-2, [0, 1]), train, test, lr, 3500, tmp_path, f"L{depth}")
        errs[depth] = float(np.max(hist[-1]["test_error"]))
    assert errs[3] < 1e-3 and errs[2] > 30 * errs[3], errs


def test_compressed_training_needs_the_discrepant_learning_rate(tmp_path):
    train, test = synthetic(dim=40, rank=2, observed=0.35, seeds=[0])
    full = full_chain(train.shape, 40, 3, 1e-2, [0])
    final = {}
    for gamma in (0.0, 0.01):
        hist = _train(compressed_chain(full, train, 2, 1e-2), train, test, 80.0, 4000, tmp_path, f"g{gamma}", gamma)
        final[gamma] = float(hist[-1]["test_error"][0])
    assert final[0.01] < 1e-2 and final[0.0] > 0.1, final


def test_divergence_names_the_run_and_step(tmp_path):
    train, test = synthetic(dim=20, rank=2, observed=0.3, seeds=[0])
    with pytest.raises(DivergedError, match=r"run completion/speed/full diverged at step \d+"):
        _train(full_chain(train.shape, 20, 3, 1.0, [0]), train, test, 1e7, 400, tmp_path, "completion/speed/full")


def test_resumed_training_continues_the_same_trajectory(tmp_path):
    train, test = synthetic(dim=20, rank=2, observed=0.4, seeds=[0])
    whole = _train(full_chain(train.shape, 20, 3, 0.1, [0]), train, test, 20.0, 600, tmp_path / "a", "r")
    _train(full_chain(train.shape, 20, 3, 0.1, [0]), train, test, 20.0, 300, tmp_path / "b", "r")
    # the same identity with a longer budget resumes from the 300-step checkpoint
    resumed = train_chain("r", full_chain(train.shape, 20, 3, 0.1, [0]), train,
                          lambda c: {"test_error": relative_error(c.predict(test), test)}, 20.0, 1.0, 600, 100, 1e-14,
                          tmp_path / "b" / "r.pt", "r")
    assert [h["step"] for h in resumed] == [h["step"] for h in whole]
    np.testing.assert_allclose(resumed[-1]["test_error"], whole[-1]["test_error"], rtol=1e-12)


def test_movielens_split_is_seeded_complete_and_centred():
    rng = np.random.default_rng(0)
    data = {"user": rng.integers(0, 30, 500).astype(np.int32), "item": rng.integers(0, 40, 500).astype(np.int32),
            "rating": rng.integers(1, 6, 500).astype(np.float32)}
    train, test, mean = split_ratings(data, 0.2, seed=7)
    again, _, _ = split_ratings(data, 0.2, seed=7)
    assert torch.equal(train.values, again.values) and test.rows.shape[1] == 100 and train.rows.shape[1] == 400
    assert abs(float(train.values.mean())) < 1e-6  # centred by the training mean only
    for o in (train, test):
        assert set(np.unique((o.values + mean).numpy().round(4))) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    both = np.concatenate([(train.values[0] + mean).numpy(), (test.values[0] + mean).numpy()]).round()
    assert sorted(both.tolist()) == sorted(data["rating"].tolist())  # every rating in exactly one split
    assert train.shape == (int(data["user"].max()) + 1, int(data["item"].max()) + 1)
