"""The shared factor-chain layer (lowdim.models.factors) against numpy."""

import numpy as np
import pytest
import torch

from lowdim.models import factors


def _chain(widths, stacked=None, seed=0):
    rng = np.random.default_rng(seed)
    lead = () if stacked is None else (stacked,)
    return [rng.standard_normal(lead + (widths[i + 1], widths[i])) for i in range(len(widths) - 1)]


@pytest.mark.parametrize("stacked", [None, 3])
def test_product_split_and_apply_match_numpy(stacked):
    fs = _chain([7, 5, 2, 4, 6], stacked)
    ref = fs[0]
    for f in fs[1:]:
        ref = np.matmul(f, ref)
    t = [torch.as_tensor(f) for f in fs]
    assert factors.widths(t) == [7, 5, 2, 4, 6]
    np.testing.assert_allclose(factors.product(t).numpy(), ref, rtol=1e-12)
    left, right = factors.split_product(t)
    assert right.shape[-2] == 2 and left.shape[-1] == 2  # split at the narrowest inner width
    np.testing.assert_allclose((left @ right).numpy(), ref, rtol=1e-12)
    if stacked is None:
        x = np.random.default_rng(1).standard_normal((3, 7))
        np.testing.assert_allclose(factors.apply(t, torch.as_tensor(x)).numpy(), x @ ref.T, rtol=1e-12)


def test_compress_stacked_is_compress_per_chain():
    fs = [torch.as_tensor(f) for f in _chain([6, 6, 6, 6], 2)]
    grad = torch.as_tensor(np.random.default_rng(3).standard_normal((2, 6, 6)))
    stacked = factors.compress_stacked(fs, grad, 1, 0.1)
    for s in range(2):
        one = factors.compress([f[s] for f in fs], grad[s], 1, 0.1)
        for a, b in zip(stacked, one):
            torch.testing.assert_close(a[s], b)
    # the product is W(0) V_1 V_1^T (numpy)
    v1 = one[0].T.numpy()
    w0 = fs[2][1].numpy() @ fs[1][1].numpy() @ fs[0][1].numpy()
    np.testing.assert_allclose(factors.product(one).numpy(), w0 @ v1 @ v1.T, atol=1e-12)


def test_outer_factors_get_their_own_learning_rate():
    chain = factors.Chain([torch.ones(2, 3), torch.ones(2, 2), torch.ones(4, 2)], outer=True)
    inner, outer = chain.param_groups(1.0, 0.01)
    assert inner["lr"] == 1.0 and [p.shape for p in inner["params"]] == [torch.Size([2, 2])]
    assert outer["lr"] == 0.01 and [p.shape for p in outer["params"]] == [torch.Size([2, 3]), torch.Size([4, 2])]
    (only,) = factors.Chain([torch.ones(2, 3), torch.ones(4, 2)]).param_groups(1.0, 0.01)
    assert only["lr"] == 1.0 and len(only["params"]) == 2


@pytest.mark.parametrize("widths", [[60, 4, 40], [50, 3, 6, 30], [9, 8, 7]])
def test_svd_through_the_narrowest_width_is_numpys_svd_of_the_product(widths):
    """Exact against numpy's dense SVD: the singular values, and the subspaces (projectors, as the singular
    vectors are unique only up to sign); the last case has no narrow width and takes the dense path."""
    fs = _chain(widths, seed=2)
    ref = fs[0]
    for f in fs[1:]:
        ref = f @ ref
    u_ref, s_ref, vh_ref = np.linalg.svd(ref, full_matrices=False)
    u, s, vh = (t.numpy() for t in factors.svd([torch.as_tensor(f) for f in fs]))
    k = s.size
    assert k == min(widths)
    np.testing.assert_allclose(s, s_ref[:k], rtol=1e-10)
    np.testing.assert_allclose(s_ref[k:], 0, atol=1e-10 * s_ref[0])
    np.testing.assert_allclose(u @ u.T, u_ref[:, :k] @ u_ref[:, :k].T, atol=1e-10)
    np.testing.assert_allclose(vh.T @ vh, vh_ref[:k].T @ vh_ref[:k], atol=1e-10)
    np.testing.assert_allclose((u * s) @ vh, ref, atol=1e-10 * np.abs(ref).max())
