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


def test_channels_last_prediction_matches_the_training_layout_and_strength_zero_is_the_identity():
    from lowdim.models.unet import UNet
    from lowdim.studies.rhm.experiments import predict, transformed

    torch.manual_seed(0)
    model = UNet(3, 2, 8)
    images = np.random.default_rng(0).integers(0, 256, (5, 3, 16, 16), dtype=np.uint8)
    with torch.no_grad():
        reference = model.eval()(torch.as_tensor(images).float() / 255.0)  # contiguous, as trained
    got = predict(model, images, "none", torch.device("cpu"), batch=2)
    assert got.shape == (5, 16, 16)
    np.testing.assert_allclose(got.numpy(), reference.numpy(), rtol=1e-4, atol=1e-5)
    # the invariance sweep reuses the source logits where a transformation leaves the tiles as they are
    rng = np.random.default_rng(1)
    assert np.array_equal(transformed(images, 0.0, rng), images)
    assert not np.array_equal(transformed(images, 0.5, rng), images)


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


def _coded_scene(h: int, w: int, rng):
    """A scene whose image encodes where each pixel is and what it is: red = 255 * mask, green = row % 251,
    blue = column % 251 (so a patch's pixels say where they came from)."""
    from lowdim.data import aerial

    mask = (rng.random((h // 4 + 1, w // 4 + 1)) > 0.7).repeat(4, 0).repeat(4, 1)[:h, :w].astype(np.uint8)
    rows, cols = np.mgrid[:h, :w]
    image = np.stack([255 * mask, rows % 251, cols % 251], axis=-1).astype(np.uint8)
    return aerial.Scene(image, mask, np.ones((h, w), bool))


def test_real_patch_splits_are_disjoint_and_aligned():
    """Every split of a domain cut from its own blocks: no pixel in two splits (nor twice in one), and each
    mask pixel on its image pixel, at the position the patch says."""
    from lowdim.data import aerial

    rng = np.random.default_rng(0)
    scenes = {"austin": [_coded_scene(200, 190, rng)], "vienna": [_coded_scene(160, 170, rng)],
              "rio": [_coded_scene(70, 75, rng) for _ in range(3)]}
    scenes["rio"][1].valid[:30, :] = False  # no data: patches touching it are left out
    out = aerial.build(scenes, size=16, block=2, train=40, test=20, unlabelled=20, seed=3)
    domains = {"austin": ["train", "test"]}
    domains.update({c: [f"target{k}_train", f"target{k}_test", f"unlabelled{k}"]
                    for k, c in enumerate(aerial.TARGETS, start=1)})
    for city, splits in domains.items():
        used = [np.zeros(s.mask.shape, int) for s in scenes[city]]
        for split in splits:
            where, x = out[f"where_{split}"], out[f"x_{split}"]
            assert len(where) == len(x) > 0, split
            for (s, r, c), patch in zip(where, x):
                used[s][r:r + 16, c:c + 16] += 1
                rows, cols = np.mgrid[r:r + 16, c:c + 16]
                assert np.array_equal(patch[1], rows % 251) and np.array_equal(patch[2], cols % 251)
                assert scenes[city][s].valid[r:r + 16, c:c + 16].all()
            if f"mask_{split}" in out:
                assert np.array_equal(out[f"x_{split}"][:, 0], 255 * out[f"mask_{split}"])  # aligned
        assert max(u.max() for u in used) == 1, city  # disjoint
    assert len(out["x_train"]) == 40 and len(out["x_test"]) == 20  # subsets of the source's blocks
    assert out["mask_target2_test"].dtype == np.uint8 and list(out["domain_names"]) == ["austin", "vienna", "rio"]
    again = aerial.build(scenes, size=16, block=2, train=40, test=20, unlabelled=20, seed=3)
    assert all(np.array_equal(out[k], again[k]) for k in out)


def test_resampling_to_the_inria_gsd_keeps_masks_binary_and_on_their_pixels():
    from lowdim.data import aerial

    rng = np.random.default_rng(1)
    mask = (rng.random((41, 44)) > 0.6).repeat(10, 0).repeat(10, 1)  # 410 x 440 at 0.5 m, 5 m blocks
    image = np.repeat(mask[..., None] * 200 + 20, 3, axis=-1).astype(np.uint8)
    valid = np.ones(mask.shape, bool)
    valid[:, :60] = False  # a strip without data
    sc = aerial.resample(image, mask, valid, aerial.RIO_GSD / aerial.INRIA_GSD)
    assert sc.mask.shape == sc.image.shape[:2] == (140, 150)
    assert set(np.unique(sc.mask)) <= {0, 1} and sc.mask.dtype == np.uint8
    assert abs(sc.mask.mean() - mask.mean()) < 0.02
    assert np.mean((sc.image[..., 0] > 110) == sc.mask.astype(bool)) > 0.9  # the mask lies on its buildings
    assert not sc.valid[:, :20].any() and sc.valid[:, 22:].all()


def _mirror():
    from conftest import MIRROR

    if not (MIRROR / "inria-1024" / "austin29_rgb_1024.png").exists():
        pytest.skip(f"the data mirror ({MIRROR}) lacks inria-1024/: set LOWDIM_DATA_MIRROR")
    return MIRROR


def test_real_dataset_statistics_match_the_files(tmp_path):
    """Building share per city read straight from the mask files (Austin 14%, Vienna 46%, as the mirror's
    README says) equals the dataset's scenes', and its patches' pooled share is close to it."""
    from PIL import Image

    from lowdim.data import Context, aerial, get

    mirror = _mirror()
    Image.MAX_IMAGE_PIXELS = None
    ctx = Context(tmp_path / "raw", str(mirror), False, {"inria_spacenet": {
        "size": 32, "block": 2, "train": 256, "test": 128, "unlabelled": 128, "seed": 0}})
    scenes = aerial.read_scenes(ctx)
    for city, tile, share in (("austin", "austin29", 0.14), ("vienna", "vienna8", 0.46)):
        direct = np.asarray(Image.open(mirror / f"inria-1024/{tile}_gt_5000.png").convert("L")).mean() / 255
        assert abs(direct - share) < 0.01 and abs(scenes[city][0].mask.mean() - direct) < 0.002, city
        assert scenes[city][0].image.shape == (1024, 1024, 3)
    rio = [np.asarray(Image.open(f)).mean() / 255 for f in sorted((mirror / "spacenet1-rio" / "masks").glob("*.tif"))]
    assert len(rio) == len(scenes["rio"]) == 15 and sum(s == 0 for s in rio) == 5 and max(rio) < 0.31
    for sc, direct in zip(scenes["rio"], rio):
        assert sc.mask.shape[0] in (138, 139) and sc.mask.shape[1] in (149, 150)  # 0.5 m -> 1.46 m
        assert abs(sc.mask.mean() - direct) < 0.02
    out = get("inria_spacenet").build(ctx)
    austin = np.concatenate([out["mask_train"], out["mask_test"]]).mean()
    vienna = np.concatenate([out["mask_target1_train"], out["mask_target1_test"]]).mean()
    assert abs(austin - 0.145) < 0.03 and abs(vienna - 0.464) < 0.03
    assert out["x_target1_test"].shape == (128, 3, 32, 32) and 0 < len(out["x_target2_test"]) <= 128


def test_real_dataset_offline_without_the_files_is_one_line_and_a_bad_copy_is_caught(tmp_path):
    import shutil

    from lowdim.data import Context, get
    from lowdim.errors import DataError

    params = {"inria_spacenet": {"size": 32, "block": 2, "train": 8, "test": 8, "unlabelled": 8, "seed": 0}}
    with pytest.raises(DataError) as err:
        get("inria_spacenet").build(Context(tmp_path / "raw", str(tmp_path / "empty"), True, params))
    msg = str(err.value)
    assert "\n" not in msg and "inria-1024/austin29_gt_5000.png" in msg and "33 more" in msg and "LOWDIM_DATA_MIRROR" in msg
    mirror = _mirror()
    bad = tmp_path / "bad"
    shutil.copytree(mirror / "inria-1024", bad / "inria-1024")
    shutil.copytree(mirror / "spacenet1-rio", bad / "spacenet1-rio")
    (bad / "inria-1024" / "vienna8_gt_5000.png").chmod(0o644)
    with open(bad / "inria-1024" / "vienna8_gt_5000.png", "ab") as f:
        f.write(b"x")
    with pytest.raises(DataError, match="SHA-256 mismatch"):
        get("inria_spacenet").build(Context(tmp_path / "raw2", str(bad), False, params))
