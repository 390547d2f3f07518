"""The data layer: registry, seeded generators, checksums, the mirror and the offline error."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from lowdim import data
from lowdim.data.fetch import RemoteFile, fetch
from lowdim.data.downloaded import ML100K_RATINGS, STSB
from lowdim.data.synthetic import gaussian_mixture, lowrank
from lowdim.errors import DataError

from conftest import MIRROR

needs_mirror = pytest.mark.skipif(not MIRROR.is_dir(), reason=f"no data mirror at {MIRROR}")


def test_registry_names_every_required_dataset():
    required = {"mnist5k", "digits", "mnist1d", "gaussian_mixture", "lowrank", "mnist", "fashion_mnist",
                "cifar10", "cifar10_jpeg", "movielens100k", "stsb"}
    assert required <= set(data.REGISTRY)
    with pytest.raises(DataError, match="unknown dataset 'mnsit'"):
        data.get("mnsit")


def test_gaussian_mixture_is_seeded_and_nearly_orthogonal():
    a = gaussian_mixture(classes=4, dim=2000, per_class=5, noise=0.1, seed=3)
    b = gaussian_mixture(classes=4, dim=2000, per_class=5, noise=0.1, seed=3)
    c = gaussian_mixture(classes=4, dim=2000, per_class=5, noise=0.1, seed=4)
    np.testing.assert_array_equal(a["x_train"], b["x_train"])
    assert not np.array_equal(a["x_train"], c["x_train"])
    m = a["means"] / np.linalg.norm(a["means"], axis=1, keepdims=True)
    off = np.abs(m @ m.T - np.eye(4)).max()
    assert off < 0.1  # |cos| = O(1/sqrt(d)) ~ 0.02
    assert a["x_train"].shape == (20, 2000) and np.bincount(a["y_train"]).tolist() == [5] * 4


def test_lowrank_has_rank_r_and_disjoint_index_lists():
    d = lowrank(dim=40, rank=3, observed=0.25, seed=0)
    assert np.linalg.matrix_rank(d["target"]) == 3
    train = set(zip(d["train_rows"].tolist(), d["train_cols"].tolist()))
    test = set(zip(d["test_rows"].tolist(), d["test_cols"].tolist()))
    assert len(train) == 400 and not train & test and len(train | test) == 1600


def test_prepare_writes_once_and_loads(tmp_path):
    ctx = data.Context(tmp_path / "raw", None, False, {})
    out = data.prepare("digits", ctx, tmp_path / "digits.npz")
    d = data.load(out)
    assert d["kind"] == "classification" and d["x_train"].dtype == np.uint8
    assert d["x_train"].shape[1:] == (1, 8, 8) and len(d["y_train"]) + len(d["y_test"]) == 1797
    assert not list(tmp_path.glob(".*tmp"))  # nothing half-written left


def _remote(tmp_path: Path, content: bytes) -> tuple[RemoteFile, Path]:
    mirror = tmp_path / "mirror"
    (mirror / "set").mkdir(parents=True)
    (mirror / "set" / "f.txt").write_bytes(content)
    return RemoteFile("set/f.txt", hashlib.sha256(b"good").hexdigest(), "https://example.invalid/f.zip", "f.txt"), mirror


def test_fetch_from_mirror_verifies_checksum(tmp_path):
    remote, mirror = _remote(tmp_path, b"good")
    path = fetch(remote, tmp_path / "raw", mirror, download=False)
    assert path.read_bytes() == b"good"


def test_fetch_rejects_corrupt_mirror_file(tmp_path):
    remote, mirror = _remote(tmp_path, b"evil")
    with pytest.raises(DataError, match=r"set/f.txt: SHA-256 mismatch .*re-stage it from https://example.invalid"):
        fetch(remote, tmp_path / "raw", mirror, download=False)
    assert not (tmp_path / "raw" / "set" / "f.txt").exists()


def test_offline_without_mirror_names_file_source_and_fix(tmp_path, monkeypatch):
    monkeypatch.delenv("LOWDIM_DATA_MIRROR", raising=False)
    with pytest.raises(DataError) as err:
        fetch(ML100K_RATINGS, tmp_path, mirror=None, download=False)
    msg = str(err.value)
    assert "\n" not in msg
    for part in ("ml-100k/u.data", "https://files.grouplens.org/datasets/movielens/ml-100k.zip",
                 "LOWDIM_DATA_MIRROR", "data.mirror"):
        assert part in msg


def test_failed_download_names_the_url(tmp_path):
    remote = RemoteFile("x/y.bin", "0" * 64, "http://127.0.0.1:9/y.zip", "y.bin")  # nothing listens on port 9
    with pytest.raises(DataError, match=r"x/y.bin: no mirror configured .*download from http://127.0.0.1:9/y.zip failed"):
        fetch(remote, tmp_path, mirror=None, download=True, timeout=5)


@needs_mirror
def test_movielens_and_stsb_from_the_mirror(tmp_path):
    ctx = data.Context(tmp_path / "raw", str(MIRROR), False, {})
    ml = data.load(data.prepare("movielens100k", ctx, tmp_path / "ml.npz"))
    assert ml["rating"].shape == (100_000,) and ml["user"].max() == 942 and ml["item"].max() == 1681
    assert set(np.unique(ml["rating"]).tolist()) == {1.0, 2.0, 3.0, 4.0, 5.0}
    st = data.load(data.prepare("stsb", ctx, tmp_path / "stsb.npz"))
    assert len(st["train_score"]) == 5749 and len(st["dev_score"]) == 1500
    assert 0 <= st["train_score"].min() and st["train_score"].max() <= 5
    assert all(data.sha256(tmp_path / "raw" / f.relpath) == f.sha256 for f in STSB.values())


def test_torchvision_dataset_offline_error_is_one_line(tmp_path):
    ctx = data.Context(tmp_path / "raw", None, False, {})
    with pytest.raises(DataError) as err:
        data.prepare("mnist", ctx, tmp_path / "mnist.npz")
    assert "\n" not in str(err.value) and "MNIST" in str(err.value) and "LOWDIM_DATA_MIRROR" in str(err.value)


def test_orthogonal_samples_have_the_authors_statistics():
    """Wang et al.'s DLN data (PNC_DLN orthogonal_dataset): orthonormal samples plus a perturbation of
    Frobenius norm 1; 30 samples in d = 50, 3 classes -> input compression C_0 near their 12.0."""
    from lowdim.data.synthetic import orthogonal_samples
    from lowdim.metrics import compression

    a = orthogonal_samples(classes=3, dim=50, samples=30, perturbation=1.0, seed=0)
    assert a["x"].shape == (30, 50) and list(a["y"]) == [0] * 10 + [1] * 10 + [2] * 10
    clean = orthogonal_samples(classes=3, dim=50, samples=30, perturbation=0.0, seed=0)["x"]
    np.testing.assert_allclose(clean @ clean.T, np.eye(30), atol=1e-12)  # orthonormal before the perturbation
    assert np.linalg.norm(a["x"] - clean) == pytest.approx(1.0)
    c0 = [compression(orthogonal_samples(3, 50, 30, 1.0, s)["x"], a["y"], 3) for s in range(10)]
    assert 9.0 < np.median(c0) < 16.0  # the noiseless value is (1 - 1/10) / (1/10 - 1/30) = 13.5
    gram = a["x"] @ a["x"].T  # nearly orthonormal: Assumption 1's constants of their notebook's size
    assert np.abs(np.diag(gram) - 1).max() / 30 < 0.01 and np.abs(gram - np.diag(np.diag(gram))).max() / 30 < 0.01
    np.testing.assert_array_equal(orthogonal_samples(3, 50, 30, 1.0, 4)["x"], orthogonal_samples(3, 50, 30, 1.0, 4)["x"])
    with pytest.raises(ValueError, match="multiple of classes"):
        orthogonal_samples(classes=4, dim=50, samples=30, perturbation=1.0, seed=0)


@needs_mirror
def test_cifar10_jpeg_from_the_mirror_a_per_class_subset_in_canonical_order(tmp_path):
    """The mirror's JPEG CIFAR-10: the first n images of each class, classes in the canonical label order."""
    import io
    import tarfile

    from PIL import Image

    from lowdim.data.cifar_images import ARCHIVE, CLASSES

    ctx = data.Context(tmp_path / "raw", str(MIRROR), False, {"cifar10_jpeg": {"per_class": 3, "test_per_class": 2}})
    d = data.load(data.prepare("cifar10_jpeg", ctx, tmp_path / "c.npz"))
    assert d["x_train"].shape == (30, 3, 32, 32) and d["x_test"].shape == (20, 3, 32, 32) and d["x_train"].dtype == np.uint8
    assert d["y_train"].tolist() == [c for c in range(10) for _ in range(3)] and d["y_test"].tolist()[::2] == list(range(10))
    assert data.sha256(tmp_path / "raw" / ARCHIVE.relpath) == ARCHIVE.sha256
    # an independent decode of two members (skimage reads the JPEG itself) is the same image
    from skimage import io as skio

    with tarfile.open(MIRROR / ARCHIVE.relpath, "r:gz") as tar:
        for name, got in (("train/ship/0002.jpg", d["x_train"][3 * 8 + 2]), ("test/frog/0001.jpg", d["x_test"][2 * 6 + 1])):
            ref = skio.imread(io.BytesIO(tar.extractfile(name).read()))
            assert np.array_equal(got.transpose(1, 2, 0), ref), name
    assert CLASSES[8] == "ship" and 40 < d["x_train"].mean() < 200  # real images, not blank


def test_cifar10_jpeg_offline_error_names_the_file_and_how_to_stage_it(tmp_path, monkeypatch):
    monkeypatch.delenv("LOWDIM_DATA_MIRROR", raising=False)
    ctx = data.Context(tmp_path / "raw", None, False, {"cifar10_jpeg": {"per_class": 1, "test_per_class": 1}})
    with pytest.raises(DataError) as err:
        data.prepare("cifar10_jpeg", ctx, tmp_path / "c.npz")
    msg = str(err.value)
    assert "\n" not in msg and "CIFAR-10-images/cifar-10-images.tar.gz" in msg and "LOWDIM_DATA_MIRROR" in msg
