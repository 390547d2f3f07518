"""The rhm study's parts: the scene generator and its imaging models, the batched photometric
transforms against skimage / numpy, the U-Net's shapes, IoU against sklearn."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lowdim.data import overhead
from lowdim.data.photometric import equalize, gray_world, match_histograms


def test_generator_is_seeded_and_shaped():
    a = overhead.generate({"train": 6, "test": 4, "unlabelled": 3}, 16, 2, 1.0, seed=5)
    b = overhead.generate({"train": 6, "test": 4, "unlabelled": 3}, 16, 2, 1.0, seed=5)
    c = overhead.generate({"train": 6, "test": 4, "unlabelled": 3}, 16, 2, 1.0, seed=6)
    assert set(a) == set(b) and all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["x_train"], c["x_train"])
    assert a["x_train"].shape == (6, 3, 16, 16) and a["x_train"].dtype == np.uint8
    assert a["mask_target2_test"].shape == (4, 16, 16) and set(np.unique(a["mask_train"])) <= {0, 1}
    assert "mask_unlabelled1" not in a and a["x_unlabelled2"].shape == (3, 3, 16, 16)


def test_masks_match_the_drawn_roofs_and_targets_are_pixelwise_monotone_transforms():
    """Same scene, two cameras: identical masks, and each target channel a non-decreasing function of
    the source channel (the paper's model of domain shift: a pixel-wise non-linear transformation)."""
    rng = np.random.default_rng(0)
    refl, mask = overhead.scene(rng, 48)
    assert mask.any() and not mask.all()
    roofs = refl[mask == 1] / overhead.ROOFS[:, None, :]  # every building pixel is a scaled roof colour
    assert np.all(np.any(np.ptp(roofs, axis=-1) < 1e-9, axis=0))
    cams = overhead.domains(2, 1.0, seed=1)
    src = overhead.Imaging(cams[0].knots, cams[0].gains, cams[0].gamma, 0.0)(refl, rng).astype(int)
    for cam in cams[1:]:
        tgt = overhead.Imaging(cam.knots, cam.gains, cam.gamma, 0.0)(refl, rng).astype(int)
        assert not np.array_equal(src, tgt)
        for ch in range(3):
            order = np.argsort(refl[..., ch].ravel(), kind="stable")
            assert np.all(np.diff(tgt[..., ch].ravel()[order]) >= 0)


@pytest.mark.parametrize("sparse", [False, True])
def test_batched_histogram_matching_equals_skimage_per_channel(sparse):
    from skimage.exposure import match_histograms as reference

    rng = np.random.default_rng(3)
    src = rng.integers(0, 256, size=(4, 3, 9, 13)).astype(np.uint8)
    ref = rng.integers(0, 256, size=(4, 3, 7, 11)).astype(np.uint8)
    if sparse:  # few distinct reference values with gaps between them, and a constant channel
        ref = (ref // 37 * 37).astype(np.uint8)
        ref[1, 2] = 200
    ours = match_histograms(torch.as_tensor(src), torch.as_tensor(ref)).numpy()
    for b in range(4):
        for c in range(3):
            np.testing.assert_allclose(ours[b, c], reference(src[b, c], ref[b, c]), atol=1e-6)


def test_equalize_and_gray_world_against_numpy():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, size=(2, 3, 8, 8)).astype(np.uint8)
    eq = equalize(torch.as_tensor(x)).numpy()
    gw = gray_world(torch.as_tensor(x)).numpy()
    for b in range(2):
        for c in range(3):
            v = x[b, c].ravel()
            cdf = np.cumsum(np.bincount(v, minlength=256)) / v.size
            np.testing.assert_allclose(eq[b, c].ravel(), 255 * cdf[v])
        means = x[b].reshape(3, -1).mean(1)
        np.testing.assert_allclose(gw[b], np.clip(x[b] * (means.mean() / means)[:, None, None], 0, 255))


def test_unet_maps_tiles_to_per_pixel_logits():
    from lowdim.models.unet import UNet

    out = UNet(3, depth=2, width=4)(torch.zeros(2, 3, 16, 16))
    assert out.shape == (2, 16, 16)


def test_iou_and_pixel_accuracy_against_sklearn():
    from sklearn.metrics import accuracy_score, jaccard_score

    from lowdim.studies.rhm.experiments import iou_and_accuracy

    rng = np.random.default_rng(2)
    logits, masks = rng.normal(size=(3, 8, 8)), rng.integers(0, 2, size=(3, 8, 8))
    got = iou_and_accuracy(torch.as_tensor(logits), torch.as_tensor(masks))
    pred = (logits > 0).astype(int).ravel()
    assert got["iou"] == pytest.approx(jaccard_score(masks.ravel(), pred))
    assert got["pixel_acc"] == pytest.approx(accuracy_score(masks.ravel(), pred))


def test_inria_tiles_from_a_staged_mirror_and_one_line_without_it(tmp_path):
    import tifffile

    from lowdim.data import Context, get
    from lowdim.data.downloaded import inria_files
    from lowdim.errors import DataError

    params = {"inria": {"source": ["austin"], "targets": ["kitsap", "vienna"], "images": 2, "tiles_per_image": 4,
                        "size": 16, "seed": 0}}
    with pytest.raises(DataError) as err:
        get("inria").build(Context(tmp_path / "raw", str(tmp_path), False, params))
    assert "\n" not in str(err.value) and "austin1.tif" in str(err.value) and "LOWDIM_DATA_MIRROR" in str(err.value)
    rng = np.random.default_rng(0)
    for city in ("austin", "kitsap", "vienna"):
        for i in (1, 2):
            image, gt = inria_files(city, i)
            (tmp_path / image).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / gt).parent.mkdir(parents=True, exist_ok=True)
            tifffile.imwrite(tmp_path / image, rng.integers(0, 256, (40, 40, 3)).astype(np.uint8))
            tifffile.imwrite(tmp_path / gt, (rng.random((40, 40)) > 0.8).astype(np.uint8) * 255)
    out = get("inria").build(Context(tmp_path / "raw", str(tmp_path), False, params))
    assert out["x_train"].shape == (6, 3, 16, 16) and out["x_test"].shape == (2, 3, 16, 16)
    assert int(out["targets"]) == 2 and out["x_unlabelled2"].shape[1:] == (3, 16, 16)
    assert set(np.unique(out["mask_target1_test"])) <= {0, 1}
