"""Real overhead imagery for the RHM study: Austin -> Vienna (Inria) and Rio de Janeiro (SpaceNet-1).

Files (SHA-256 checked, from the data mirror): two Inria Aerial Image Labeling training tiles,
``austin29`` and ``vienna8``, RGB downscaled from 5000 x 5000 (0.3 m) to 1024 x 1024 (5000 * 0.3 / 1024
= 1.4648 m per pixel), with their 5000 x 5000 building masks (resized to the image by nearest
neighbour); and 15 SpaceNet-1 Rio tiles (WorldView-2, 0.5 m, about 438 x 406) with their masks.

Everything is brought to one ground sampling distance, Inria's 1.4648 m: the Rio images are
resampled by area averaging (box filter), their masks by nearest neighbour (masks stay binary),
and only the valid part of the satellite strip is kept (a pixel with no data, all bands 0 at 0.5 m,
invalidates the resampled pixel it falls in; a patch touching one is left out).

Splits are spatially disjoint: each scene is cut into square *blocks* of ``block`` x ``block`` patches;
each block goes to exactly one split (seeded), and patches are cut on a grid inside the blocks, so that
no pixel is in two splits. Austin gives the source's labelled ``train`` and ``test``; Vienna and Rio are
target domains, each with a labelled ``test``, a labelled oracle ``train`` and an ``unlabelled`` split
(RHM's references). Blocks are shared out in proportion to the requested patch counts; a split with more
patches than requested keeps a seeded subset (Rio has fewer than requested: it keeps all it has).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lowdim.data.fetch import MIRROR_ENV, RemoteFile, fetch
from lowdim.data.registry import Context, register
from lowdim.errors import DataError

INRIA_GSD = 5000 * 0.3 / 1024  #: metres per pixel of the 1024 x 1024 Inria tiles (the common GSD)
RIO_GSD = 0.5  #: SpaceNet-1 3-band (pan-sharpened WorldView-2), metres per pixel
INRIA_REPO = "https://github.com/gzr2017/UNet-AerialImageSegmentation"
SPACENET_REPO = "https://github.com/avanetten/spacenet_buildings_exploration"

INRIA_SHA = {
    "austin29_gt_5000.png": "18a6e18077947ae6dfa57b07d097df2be496dd4cd2448466d9d50e69854158fe",
    "austin29_rgb_1024.png": "76c5064e66ba65fecdb43986ab1d22ae36766b783dff348cc989789eae06517a",
    "vienna8_gt_5000.png": "b27ca61977b6a04c689df14a47b059193b3a6cfbe7e7eedf65690c76f398a060",
    "vienna8_rgb_1024.png": "f11ac6188098441cec1d9d52812adf666e5e12ac12729f63fed4565a3580cf18",
}
RIO_SHA = {  # image, mask
    50: ("4aab40db56eb51bdd7cfabb67a1dad9c097461d00ff467fc49fdece654476157", "0282fdeee25f9d133ce8b58dc79a5d10e1f68ea47c3ff411a1d620ba01b7fa58"),
    51: ("f796cdbdb073e88b6d3620659c6439cef333ff035da45afc686ffe11e0b146ac", "d4138d671ac1281db7a682bc85783b4c2a52b729c9347000b7d8b61d7c1c3e78"),
    52: ("af35516bd28bdf119fa4c82bddbb43ee590b4fe896e36b35ae3b3305f7ad5bd6", "647cb6476355f4c6dfdd962faae2adb81d4f0f973354b3b323a68ba52f1e4b65"),
    53: ("10a986a3f4349c2069114a14a8dbf9d1179ccade09dcdaa06e8fde69d29b8d1f", "1a85bcadc3d4e92722b3a8a89f2d23b3cd55e096b067e0c4be7313f11acad242"),
    54: ("7930eeafa04bafd8f8f22d2a41505a421d2ad81ea26c6295d6e94bc750b58169", "0ebbc4a092cd8681a63326f8505401f458aef1a80d0c0343ca9657a0013cd579"),
    55: ("a274707ea5dea1fe170eaaa9541da5627114221f84a7a3fd6ed10a5387cad688", "9110e6d4d68456c05dab1f9b9ea228a5dc73c92bc5b51498ac70675ed49d6a59"),
    56: ("fb11c6f869f92c9818e52450f015ac384ed6798707911ab53cf0c5c57e7cafe6", "b319ffb1749828635b45f0d41a7d99c9908d8cf68aef72dde0c081b513974781"),
    57: ("3a55612efd0223cba606b0f9e31e592e76195e668c2529c4d0d79a1f77b0a2fa", "24c4d5ac4b14d5e9b6ba69256afa30bdc00eaafe4167b232ae786308416badad"),
    58: ("923cb15c5156ef60d49c7fb4a9d5b10e56b8384b49786aaff34d6b5a357668f1", "292fcaa9d965eca3993e3b369b83847a8d874a685c7c9118e4a2691923914e17"),
    59: ("6945bb6e41f770f96ef2ca3163953d3ccfaa70e7b096f35da5810c5aa98192ec", "e8b4878a0dbe38927202fc503d7d3515468dbc4997169a0fad1c5673054dbbb3"),
    60: ("cea146c96764c33a1a620e69059a69be1865acbd42b1efc87f8450423d08457c", "c23f16e0b2e310f14c6d7fcc69d04b6b16e22d048a25fba86bc8299ae883f6d7"),
    61: ("b6ba9a26e683ccb2711000aefc37f0e6b547f3e38a02beec3fc3c07b3daa2b1f", "7d419a9be8ba78b639ed48d702ec5d7150a4aa948c72fd46c90ab70114a39346"),
    62: ("863273498f99a8ce66437bedee06cf3b6c03bde4ce3562dec51fcbdd06f22117", "66973eb4a077f4c536ac9236a73842b2ab3c6589d1d12a1c38cf4e5751d2a0ad"),
    63: ("93d789694f0b40596a821e718625b7ccd13d85a03d74b24a8c6041501696a599", "52128b93e76d9d295b900deff772e5c63a556d6c84e4f357c30916ed13a48f6a"),
    64: ("e9a86fe3a37f8695b4a0818c03ae4dcaab2da3e66f981dc933eaef5f10e41cd3", "f938f7e46dfd5fe322649f98664d1578be168c056c357be4b87421834f3d9594"),
}


def inria_file(name: str) -> RemoteFile:
    return RemoteFile(f"inria-1024/{name}", INRIA_SHA[name], INRIA_REPO)


def rio_files(index: int) -> tuple[RemoteFile, RemoteFile]:
    name = f"3band_013022223130_Public_img{index}.tif"
    image, mask = RIO_SHA[index]
    return (RemoteFile(f"spacenet1-rio/images/{name}", image, SPACENET_REPO),
            RemoteFile(f"spacenet1-rio/masks/{name}", mask, SPACENET_REPO))


def remote_files() -> list[RemoteFile]:
    return [inria_file(n) for n in INRIA_SHA] + [f for i in RIO_SHA for f in rio_files(i)]


@dataclass
class Scene:
    """One scene at the common GSD: image (H, W, 3) uint8, mask (H, W) uint8 in {0, 1}, valid (H, W) bool."""

    image: np.ndarray
    mask: np.ndarray
    valid: np.ndarray


def resample(image: np.ndarray, mask: np.ndarray, valid: np.ndarray, scale: float) -> Scene:
    """Image by area averaging, mask by nearest neighbour, to ``scale`` times the size (PIL, both on one grid:
    a pixel's centre maps to the same ground point in both). A resampled pixel is valid only where every
    source pixel under it was."""
    from PIL import Image

    h, w = mask.shape
    size = (max(1, round(w * scale)), max(1, round(h * scale)))  # PIL: (width, height)
    img = np.asarray(Image.fromarray(image).resize(size, Image.BOX))
    msk = np.asarray(Image.fromarray(mask.astype(np.uint8) * 255).resize(size, Image.NEAREST)) > 127
    ok = np.asarray(Image.fromarray(valid.astype(np.float32)).resize(size, Image.BOX)) > 0.999
    return Scene(img, msk.astype(np.uint8), ok)


def read_inria(path_rgb: Path, path_gt: Path) -> Scene:
    """An Inria tile: the RGB(A) image as is, the 5000 x 5000 mask resized to it by nearest neighbour."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = max(Image.MAX_IMAGE_PIXELS or 0, 5000 * 5000)
    image = np.asarray(Image.open(path_rgb).convert("RGB"))
    gt = Image.open(path_gt).convert("L")
    mask = np.asarray(gt.resize((image.shape[1], image.shape[0]), Image.NEAREST)) > 127
    return Scene(image, mask.astype(np.uint8), np.ones(mask.shape, bool))


def read_rio(path_image: Path, path_mask: Path) -> Scene:
    """A SpaceNet-1 Rio tile resampled from 0.5 m to the Inria GSD; no-data (all bands 0) marked invalid."""
    from PIL import Image

    image = np.asarray(Image.open(path_image).convert("RGB"))
    mask = np.asarray(Image.open(path_mask).convert("L")) > 127
    return resample(image, mask, image.max(axis=-1) > 0, RIO_GSD / INRIA_GSD)


def blocks(shape: tuple[int, int], side: int) -> list[tuple[int, int]]:
    """Top-left corners of the ``side`` x ``side`` blocks that fit in ``shape``, the grid centred."""
    h, w = shape
    r0, c0 = (h % side) // 2, (w % side) // 2
    return [(r0 + i * side, c0 + j * side) for i in range(h // side) for j in range(w // side)]


def patches_of(scene: Scene, corner: tuple[int, int], block: int, size: int) -> list[tuple[int, int]]:
    """Top-left corners of the ``size`` patches on the grid of one block, all of whose pixels are valid."""
    r, c = corner
    out = []
    for i in range(block):
        for j in range(block):
            rr, cc = r + i * size, c + j * size
            if scene.valid[rr:rr + size, cc:cc + size].all():
                out.append((rr, cc))
    return out


def split_blocks(scenes: list[Scene], counts: dict[str, int], size: int, block: int,
                 rng: np.random.Generator) -> dict[str, list[tuple[int, int, int]]]:
    """Share the scenes' blocks out to the splits in proportion to ``counts`` (patches wanted per split), then
    cut each split's patches from its own blocks: split -> [(scene index, row, col)], at most counts[split]."""
    all_blocks = [(s, corner) for s, sc in enumerate(scenes) for corner in blocks(sc.mask.shape, block * size)]
    order = rng.permutation(len(all_blocks))
    total = sum(counts.values())
    bounds = np.round(np.cumsum([0] + [counts[k] / total for k in counts]) * len(all_blocks)).astype(int)
    out = {}
    for k, (lo, hi) in zip(counts, zip(bounds[:-1], bounds[1:])):
        cut = [(all_blocks[i][0], *p) for i in sorted(order[lo:hi])
               for p in patches_of(scenes[all_blocks[i][0]], all_blocks[i][1], block, size)]
        if len(cut) > counts[k]:
            cut = [cut[i] for i in sorted(rng.choice(len(cut), counts[k], replace=False))]
        out[k] = cut
    return out


def cut(scenes: list[Scene], where: list[tuple[int, int, int]], size: int) -> tuple[np.ndarray, np.ndarray]:
    """The patches at ``where``: images (N, 3, size, size) uint8 and masks (N, size, size) uint8."""
    x = np.stack([scenes[s].image[r:r + size, c:c + size].transpose(2, 0, 1) for s, r, c in where]).astype(np.uint8)
    m = np.stack([scenes[s].mask[r:r + size, c:c + size] for s, r, c in where]).astype(np.uint8)
    return x, m


def read_scenes(ctx: Context) -> dict[str, list[Scene]]:
    """Every file fetched (mirror or URL, SHA-256 checked) and read: domain -> scenes (austin, vienna, rio)."""
    files = remote_files()  # no download URL for these copies: the mirror (or raw_root) must hold them
    missing = [f.relpath for f in files if not (Path(ctx.raw_root) / f.relpath).exists()
               and not (ctx.mirror and (Path(ctx.mirror) / f.relpath).exists())]
    if missing:
        where = f"the mirror {ctx.mirror}" if ctx.mirror else f"no mirror (${MIRROR_ENV} unset)"
        raise DataError(f"{missing[0]} (and {len(missing) - 1} more of the {len(remote_files())} Inria / SpaceNet-1 Rio "
                        f"files) not found in {where} nor in {ctx.raw_root}; stage them: copy inria-1024/ and "
                        f"spacenet1-rio/ (files and SHA256SUMS of the shared data mirror, from {INRIA_REPO} and "
                        f"{SPACENET_REPO}) to <mirror>/, then set {MIRROR_ENV}=<mirror>")
    local = {f.relpath: fetch(f, ctx.raw_root, ctx.mirror, False) for f in files}  # SHA-256 checked
    inria = {c: read_inria(local[f"inria-1024/{c}_rgb_1024.png"], local[f"inria-1024/{c}_gt_5000.png"])
             for c in ("austin29", "vienna8")}
    rio = [read_rio(*(local[f.relpath] for f in rio_files(i))) for i in sorted(RIO_SHA)]
    return {"austin": [inria["austin29"]], "vienna": [inria["vienna8"]], "rio": rio}


#: the target domains, in order (target1, target2)
TARGETS = ("vienna", "rio")


@register("inria_spacenet", "segmentation", "Real overhead imagery at 1.46 m: Inria Austin (source) -> Vienna, and "
          "SpaceNet-1 Rio (targets); spatially disjoint patch splits (data.inria_spacenet)",
          params_keys=("inria_spacenet",))
def _inria_spacenet(ctx: Context) -> dict[str, np.ndarray]:
    p = ctx.params["inria_spacenet"]
    scenes = read_scenes(ctx)
    return build(scenes, p["size"], p["block"], p["train"], p["test"], p["unlabelled"], p["seed"])


def build(scenes: dict[str, list[Scene]], size: int, block: int, train: int, test: int, unlabelled: int,
          seed: int) -> dict[str, np.ndarray]:
    """The study's arrays in the layout of ``lowdim.data.overhead.generate`` (source ``train``/``test``,
    ``target{k}_train``/``target{k}_test``, ``unlabelled{k}``), plus ``domain_names`` (source first) and, per
    split, ``where_<split>`` (scene, row, col) of every patch (the tests check that no two overlap)."""
    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {}

    def put(name: str, sc: list[Scene], where, with_mask: bool = True) -> None:
        x, m = cut(sc, where, size)
        out[f"x_{name}"] = x
        if with_mask:
            out[f"mask_{name}"] = m
        out[f"where_{name}"] = np.asarray(where, dtype=np.int32).reshape(-1, 3)

    src = split_blocks(scenes["austin"], {"train": train, "test": test}, size, block, rng)
    put("train", scenes["austin"], src["train"])
    put("test", scenes["austin"], src["test"])
    for k, city in enumerate(TARGETS, start=1):
        tgt = split_blocks(scenes[city], {"test": test, "train": train, "unlabelled": unlabelled}, size, block, rng)
        put(f"target{k}_train", scenes[city], tgt["train"])
        put(f"target{k}_test", scenes[city], tgt["test"])
        put(f"unlabelled{k}", scenes[city], tgt["unlabelled"], with_mask=False)
    out["targets"] = np.asarray(len(TARGETS))
    out["domain_names"] = np.asarray(("austin",) + TARGETS)
    return out
