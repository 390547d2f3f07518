"""Collapse metrics against slow, obviously-correct numpy/scipy references on planted data."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch

from lowdim.metrics import ClassStats, compression, discrimination, nc1
from lowdim.metrics.collapse import layer_metrics
from lowdim.metrics.streaming import stream


def planted(k=5, d=30, n=40, spread=3.0, noise=1.0, seed=0, balanced=True):
    rng = np.random.default_rng(seed)
    mu = rng.standard_normal((k, d)) * spread
    counts = [n] * k if balanced else rng.integers(n // 2, 2 * n, size=k).tolist()
    y = np.repeat(np.arange(k), counts)
    h = mu[y] + noise * rng.standard_normal((y.size, d))
    return h, y


def reference(h, y):
    """Direct d x d definitions (Papyan et al. 2020; Wang et al. 2023)."""
    k = y.max() + 1
    means = np.stack([h[y == c].mean(0) for c in range(k)])
    centred = means - means.mean(0)
    r = h - means[y]
    sw = r.T @ r / len(y)
    sb = centred.T @ centred / k
    cos = (means / np.linalg.norm(means, axis=1, keepdims=True)) @ (means / np.linalg.norm(means, axis=1, keepdims=True)).T
    return {
        "nc1": np.trace(sw @ scipy.linalg.pinvh(sb)) / k,
        "compression": np.trace(sw) / np.trace(sb),
        "discrimination": 1 - cos[~np.eye(k, dtype=bool)].max(),
    }


@pytest.mark.parametrize("k,d,balanced,noise", [(5, 30, True, 1.0), (10, 64, False, 0.3), (3, 2, True, 2.0), (4, 200, True, 0.01)])
def test_against_reference(k, d, balanced, noise):
    h, y = planted(k=k, d=d, balanced=balanced, noise=noise)
    ref = reference(h, y)
    assert nc1(h, y) == pytest.approx(ref["nc1"], rel=1e-9)
    assert compression(h, y) == pytest.approx(ref["compression"], rel=1e-9)
    assert discrimination(h, y) == pytest.approx(ref["discrimination"], rel=1e-9, abs=1e-12)


def test_nc1_is_zero_for_collapsed_features_and_grows_with_noise():
    h, y = planted(noise=0.0)
    assert nc1(h, y) == pytest.approx(0.0, abs=1e-20)
    values = [nc1(*planted(noise=s)) for s in (0.1, 0.5, 2.0)]
    assert values[0] < values[1] < values[2]


def test_nc1_large_d_without_d_by_d_matrices():
    """d = 1024 >> N = 40: Sigma_B is rank K - 1 = 3, and the K x K form matches the d x d reference."""
    k, d = 4, 1024
    h, y = planted(k=k, d=d, n=10, noise=0.5, seed=1)
    ref = reference(h, y)  # pinvh of a rank-3 1024 x 1024 matrix
    assert nc1(h, y) == pytest.approx(ref["nc1"], rel=1e-6)


def test_streaming_equals_one_shot_and_is_batch_size_invariant():
    h, y = planted(k=6, d=20, n=50, balanced=False, seed=2)
    h2 = np.tanh(h @ np.random.default_rng(0).standard_normal((20, 12)))  # a second "layer"
    ht, h2t, yt = map(torch.as_tensor, (h, h2, y))

    def batches(bs):
        return lambda: (([ht[i:i + bs], h2t[i:i + bs]], yt[i:i + bs], None) for i in range(0, len(y), bs))

    one = stream(batches(len(y)), 6)
    small = stream(batches(7), 6)
    for layer, feats in enumerate((h, h2)):
        ref = reference(feats, y)
        for name, value in layer_metrics(small[layer]).items():
            assert value == pytest.approx(ref[name], rel=1e-9)
            assert value == pytest.approx(layer_metrics(one[layer])[name], rel=1e-12)


def test_stats_roundtrip_through_arrays():
    h, y = planted()
    s = stream(lambda: iter([([torch.as_tensor(h)], torch.as_tensor(y), None)]), 5)[0]
    back = ClassStats.from_arrays(s.to_arrays("l0_"), "l0_")
    assert layer_metrics(back) == layer_metrics(s)


def test_bad_inputs_are_rejected():
    with pytest.raises(ValueError, match=r"features must be \(N, d\)"):
        nc1(np.zeros((5, 3)), np.zeros(4))
    with pytest.raises(ValueError, match="classes without samples: \\[1\\]"):
        nc1(np.zeros((4, 3)), np.array([0, 0, 2, 2]))


def reference_nc234(h, y, w, logits):
    """Papyan et al. (2020) NC2-NC4 written out directly."""
    k = y.max() + 1
    means = np.stack([h[y == c].mean(0) for c in range(k)])
    m = means - means.mean(0)
    norms = np.linalg.norm(m, axis=1)
    cos = np.array([[m[i] @ m[j] / (norms[i] * norms[j]) for j in range(k)] for i in range(k)])
    off = cos[~np.eye(k, dtype=bool)]
    g = m @ m.T
    etf = np.eye(k) - np.ones((k, k)) / k
    dist = np.sqrt(((g / np.sqrt((g**2).sum()) - etf / np.sqrt((etf**2).sum())) ** 2).sum())
    nc3 = ((w / np.sqrt((w**2).sum()) - m / np.sqrt((m**2).sum())) ** 2).sum()
    nearest = np.array([np.argmin([np.sum((x - mu) ** 2) for mu in means]) for x in h])
    nc4 = np.mean(nearest != logits.argmax(1))
    return {"nc2": dist, "nc2_equinorm": norms.std() / norms.mean(), "nc2_equiangular": off.std(),
            "nc2_maxangle": np.abs(off + 1 / (k - 1)).mean(), "nc3": nc3, "nc4": nc4}


@pytest.mark.parametrize("seed,noise", [(0, 0.5), (1, 3.0)])
def test_nc2_nc3_nc4_against_reference(seed, noise):
    from lowdim.metrics import nc2, nc3, nc4

    h, y = planted(k=6, d=25, n=30, noise=noise, seed=seed)
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((6, 25))
    logits = h @ w.T
    ref = reference_nc234(h, y, w, logits)
    got = {**nc2(h, y), "nc3": nc3(h, y, w), "nc4": nc4(h, y, logits)}
    for name, value in ref.items():
        assert got[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name


def test_simplex_etf_means_have_zero_nc2_and_self_dual_classifier_zero_nc3():
    from lowdim.metrics import nc2, nc3, nc4

    k = 5
    etf = np.eye(k) - 1.0 / k  # rows: a simplex ETF in R^k
    y = np.repeat(np.arange(k), 3)
    h = etf[y] * 4.0
    out = nc2(h, y)
    assert out["nc2"] == pytest.approx(0, abs=1e-12) and out["nc2_equinorm"] == pytest.approx(0, abs=1e-12)
    assert out["nc2_maxangle"] == pytest.approx(0, abs=1e-12)
    assert nc3(h, y, 7.0 * etf) == pytest.approx(0, abs=1e-12)
    assert nc4(h, y, h @ etf.T) == 0.0


def test_numerical_rank_against_svd():
    from lowdim.metrics import numerical_rank

    rng = np.random.default_rng(0)
    f = rng.standard_normal((200, 3)) @ rng.standard_normal((3, 40)) * 10 + 0.01 * rng.standard_normal((200, 40))
    sv = np.linalg.svd(f, compute_uv=False)
    expected = int(np.argmax(np.cumsum(sv) / sv.sum() >= 0.95) + 1)
    assert numerical_rank(f) == expected and 1 <= expected <= 4


def test_fits_recover_planted_trends():
    from lowdim.metrics import geometric_fit, linear_fit

    layers = np.arange(1, 7)
    g = geometric_fit(layers, 3.0 * 0.4**layers)
    assert g["rate"] == pytest.approx(0.4) and g["r2"] == pytest.approx(1.0)
    lin = linear_fit(layers, 0.1 + 0.05 * layers)
    assert lin["slope"] == pytest.approx(0.05) and lin["r2"] == pytest.approx(1.0)
    assert linear_fit(layers, np.random.default_rng(0).standard_normal(6))["r2"] < 0.9


def test_common_profile_is_the_least_squares_shared_progress():
    """values[s, l] - values[s, 0] = g_s p_l, solved per layer by numpy's lstsq."""
    from lowdim.metrics.fits import common_profile

    rng = np.random.default_rng(0)
    p = np.array([0.0, 0.1, 0.45, 0.5, 0.8, 1.0])
    start, gap = rng.uniform(0.9, 1.1, 4), np.array([0.05, -0.02, 0.1, 0.001])
    values = start[:, None] + gap[:, None] * p + 1e-4 * rng.standard_normal((4, 6))
    ref = np.array([np.linalg.lstsq((values[:, -1] - values[:, 0])[:, None], values[:, l] - values[:, 0], rcond=None)[0][0]
                    for l in range(6)])
    np.testing.assert_allclose(common_profile(values), ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(common_profile(values), p, atol=0.01)


def test_interval_t_below_five_and_bootstrap_from_five():
    from scipy import stats

    from lowdim.metrics.stats import interval, verdict

    few = interval([0.1, -0.2, 0.3])
    ref = stats.t.interval(0.95, 2, loc=np.mean([0.1, -0.2, 0.3]), scale=stats.sem([0.1, -0.2, 0.3]))
    assert few["low"] == pytest.approx(ref[0]) and few["high"] == pytest.approx(ref[1]) and verdict(few) == "not resolved"
    assert verdict(interval([0.47, 0.48])) == "yes"  # two seeds, a large and consistent effect
    assert verdict(interval([0.0, 0.11])) == "not resolved"  # two seeds that merely agree in sign
    assert verdict(interval([0.3])) == "not resolved"  # one seed: no interval
    rng = np.random.default_rng(1)
    v = rng.normal(0.5, 0.1, size=40)
    iv = interval(v)
    se = v.std(ddof=1) / np.sqrt(v.size)  # the normal-theory interval, an independent reference
    assert iv["mean"] == pytest.approx(v.mean())
    assert iv["low"] == pytest.approx(v.mean() - 1.96 * se, abs=0.25 * se)
    assert iv["high"] == pytest.approx(v.mean() + 1.96 * se, abs=0.25 * se)
    assert verdict(iv) == "yes" and verdict(interval(-v)) == "no" and verdict(interval([])) == "no evidence"
