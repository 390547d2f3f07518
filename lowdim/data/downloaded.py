"""Real datasets, downloaded from their canonical URLs or staged in a local mirror on offline machines
(the mechanism, SHA-256 checks included, is ``lowdim.data.fetch``)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np

from lowdim.data.fetch import MIRROR_ENV, RemoteFile, fetch
from lowdim.data.registry import Context, register
from lowdim.errors import DataError

ML100K_URL = "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
STSB_URL = "https://dl.fbaipublicfiles.com/glue/data/STS-B.zip"

ML100K_RATINGS = RemoteFile(
    "ml-100k/u.data", "06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490", ML100K_URL, "ml-100k/u.data"
)
STSB = {
    split: RemoteFile(f"STS-B/{split}.tsv", sha, STSB_URL, f"STS-B/{split}.tsv")
    for split, sha in {
        "train": "41c4d978b6162abdcada7e49a982211954cca5459c228db478af333124b257a2",
        "dev": "fe7dc0632a5033562f3cadff991f6e8d9b9b6311861660e78c3c82eb7db67f59",
    }.items()
}


@register("movielens100k", "ratings", "MovieLens 100K: 100,000 ratings (1-5), 943 users x 1,682 movies")
def _movielens(ctx: Context) -> dict[str, np.ndarray]:
    path = fetch(ML100K_RATINGS, ctx.raw_root, ctx.mirror, ctx.download)
    raw = np.loadtxt(path, dtype=np.int64, delimiter="\t")  # (100000, 4): user, item, rating, time
    return {
        "user": (raw[:, 0] - 1).astype(np.int32),  # 0-based ids
        "item": (raw[:, 1] - 1).astype(np.int32),
        "rating": raw[:, 2].astype(np.float32),
        "timestamp": raw[:, 3],
    }


def read_stsb(path: Path) -> dict[str, np.ndarray]:
    """Read a GLUE STS-B split; quoting is disabled because sentences contain quote marks."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return {
        "sentence1": np.array([r["sentence1"] for r in rows]),
        "sentence2": np.array([r["sentence2"] for r in rows]),
        "score": np.array([float(r["score"]) for r in rows], dtype=np.float32),
    }


@register("stsb", "sentence_pairs", "GLUE STS-B: 5,749 train / 1,500 dev sentence pairs scored 0-5")
def _stsb(ctx: Context) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for split, remote in STSB.items():
        for key, arr in read_stsb(fetch(remote, ctx.raw_root, ctx.mirror, ctx.download)).items():
            out[f"{split}_{key}"] = arr
    return out


def _torchvision(cls_name: str, folder: str, ctx: Context) -> dict[str, np.ndarray]:
    """Load via torchvision's own dataset class (it verifies its files with MD5)."""
    import torchvision.datasets as tvd

    cls = getattr(tvd, cls_name)
    root = ctx.raw_root / "torchvision"
    if ctx.mirror and (Path(ctx.mirror) / folder).is_dir():
        shutil.copytree(Path(ctx.mirror) / folder, root / folder, dirs_exist_ok=True)
    try:
        splits = {s: cls(str(root), train=(s == "train"), download=ctx.download) for s in ("train", "test")}
    except (RuntimeError, OSError) as e:
        how = "downloads are off (data.download: false)" if not ctx.download else f"the download failed ({e})"
        raise DataError(
            f"{folder}: not in {root} nor in the mirror ({ctx.mirror or f'${MIRROR_ENV} unset'}) and {how}; "
            f"stage it: on a machine with internet run torchvision.datasets.{cls_name}('<mirror>', download=True) "
            f"for train and test, copy <mirror>/{folder} here and set {MIRROR_ENV}=<mirror>"
        ) from None
    out = {}
    for s, ds in splits.items():
        x = np.asarray(ds.data)
        x = x[:, None] if x.ndim == 3 else x.transpose(0, 3, 1, 2)  # (N, C, H, W)
        out[f"x_{s}"] = x.astype(np.uint8)
        out[f"y_{s}"] = np.asarray(ds.targets, dtype=np.int64)
    return out


@register("mnist", "classification", "MNIST 60,000/10,000 (torchvision)")
def _mnist(ctx: Context) -> dict[str, np.ndarray]:
    return _torchvision("MNIST", "MNIST", ctx)


@register("fashion_mnist", "classification", "Fashion-MNIST 60,000/10,000 (torchvision)")
def _fmnist(ctx: Context) -> dict[str, np.ndarray]:
    return _torchvision("FashionMNIST", "FashionMNIST", ctx)


@register("cifar10", "classification", "CIFAR-10 50,000/10,000, 32x32 RGB (torchvision)")
def _cifar10(ctx: Context) -> dict[str, np.ndarray]:
    return _torchvision("CIFAR10", "cifar-10-batches-py", ctx)


#: Inria Aerial Image Labeling (Maggiori et al. 2017): 5000 x 5000 RGB orthophotos at 0.3 m with
#: building masks, 36 images per city; the labelled cities of its training set.
INRIA_URL = "https://project.inria.fr/aerialimagelabeling/"
INRIA_CITIES = ("austin", "chicago", "kitsap", "tyrol-w", "vienna")


def inria_files(city: str, index: int) -> tuple[str, str]:
    """Mirror paths of one image and its building mask (the dataset's own layout)."""
    name = f"{city}{index}.tif"
    return f"inria/AerialImageDataset/train/images/{name}", f"inria/AerialImageDataset/train/gt/{name}"


def _read_tiles(path: Path, size: int, count: int, rng: np.random.Generator, corners=None):
    import tifffile

    img = tifffile.imread(path)
    if corners is None:
        h, w = img.shape[:2]
        corners = [(int(rng.integers(0, h - size + 1)), int(rng.integers(0, w - size + 1))) for _ in range(count)]
    return [img[r:r + size, c:c + size] for r, c in corners], corners


@register("inria", "segmentation", "Inria Aerial Image Labeling: building masks, source cities vs target cities "
          "(data.inria); staged in a mirror", params_keys=("inria",))
def _inria(ctx: Context) -> dict[str, np.ndarray]:
    """Random ``size`` tiles of each city's first ``images`` images: the source cities give the labelled
    training and test tiles, each target city a domain (labelled test and oracle tiles, unlabelled
    tiles for RHM). The dataset publishes no checksums: the files are read from the mirror as staged
    (``<mirror>/inria/AerialImageDataset/train/{images,gt}/<city><i>.tif``, the archive's own layout)."""
    p = ctx.params["inria"]
    root = Path(ctx.mirror) if ctx.mirror else None
    needed = [f for city in list(p["source"]) + list(p["targets"]) for i in range(1, p["images"] + 1)
              for f in inria_files(city, i)]
    missing = [f for f in needed if root is None or not (root / f).exists()]
    if missing:
        where = f"the mirror {root}" if root else "no mirror ($LOWDIM_DATA_MIRROR unset)"
        raise DataError(f"{missing[0]} (and {len(missing) - 1} more Inria files) not found in {where}; stage it: "
                        f"download the dataset from {INRIA_URL} and unpack AerialImageDataset/ to <mirror>/inria/, "
                        f"then set $LOWDIM_DATA_MIRROR=<mirror>")
    rng = np.random.default_rng(p["seed"])
    size, per = p["size"], p["tiles_per_image"]

    def tiles(cities) -> tuple[np.ndarray, np.ndarray]:
        xs, ms = [], []
        for city in cities:
            for i in range(1, p["images"] + 1):
                image, mask = inria_files(city, i)
                x, corners = _read_tiles(root / image, size, per, rng)
                m, _ = _read_tiles(root / mask, size, per, rng, corners)
                xs += [t[..., :3].transpose(2, 0, 1) for t in x]
                ms += [(t > 127).astype(np.uint8) for t in m]
        return np.stack(xs).astype(np.uint8), np.stack(ms)

    def split(x, m, frac=0.75):
        order = rng.permutation(len(x))
        cut = int(frac * len(x))
        return (x[order[:cut]], m[order[:cut]]), (x[order[cut:]], m[order[cut:]])

    out: dict[str, np.ndarray] = {}
    (out["x_train"], out["mask_train"]), (out["x_test"], out["mask_test"]) = split(*tiles(p["source"]))
    for k, city in enumerate(p["targets"], start=1):
        (xt, mt), (xe, me) = split(*tiles([city]))
        half = len(xt) // 2  # the oracle's labelled tiles and RHM's unlabelled ones are disjoint
        out[f"x_target{k}_train"], out[f"mask_target{k}_train"] = xt[:half], mt[:half]
        out[f"x_unlabelled{k}"] = xt[half:]
        out[f"x_target{k}_test"], out[f"mask_target{k}_test"] = xe, me
    out["targets"] = np.asarray(len(p["targets"]))
    out["domain_names"] = np.asarray(["+".join(p["source"])] + list(p["targets"]))
    return out
