"""Overhead scenes with building masks, rendered through per-domain imaging models.

The embedded stand-in for the Inria Aerial Image Labeling dataset in the randomized histogram
matching study (Yaras et al., "Randomized histogram matching: a simple augmentation for
unsupervised domain adaptation in overhead imagery"). A *scene* is a reflectance map (H, W, 3) in
[0, 1] and a building mask: soil and vegetation textures (smooth random fields), roads (straight
bands), buildings (rectangles of varied size and roof albedo) casting shadows to one side.
A *domain* is an imaging model applied pixel-wise, as the paper models domain shift: per channel
a random monotone non-linear response curve, a white balance, a gamma, then sensor noise and 8-bit
quantization. Source and target domains share the scene distribution and differ only in the
imaging model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: roof, road, soil and vegetation reflectances (RGB), before the imaging model
ROOFS = np.array([[0.75, 0.72, 0.70], [0.55, 0.30, 0.25], [0.35, 0.35, 0.38], [0.85, 0.85, 0.80], [0.45, 0.40, 0.30]])
ROAD = np.array([0.42, 0.42, 0.44])
SOIL = np.array([0.50, 0.42, 0.32])
VEGETATION = np.array([0.18, 0.35, 0.15])


def _smooth_field(rng: np.random.Generator, size: int, scale: int) -> np.ndarray:
    """A smooth random field in [0, 1]: bilinear upsampling of a coarse uniform grid."""
    coarse = rng.random((scale + 2, scale + 2))
    pos = np.linspace(0, scale, size)
    i = np.clip(pos.astype(int), 0, scale)
    f = pos - i
    rows = coarse[i] * (1 - f)[:, None] + coarse[i + 1] * f[:, None]  # (size, scale + 2)
    return rows[:, i] * (1 - f)[None, :] + rows[:, i + 1] * f[None, :]


def scene(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """One scene: reflectance (size, size, 3) float in [0, 1] and building mask (size, size) uint8."""
    veg = _smooth_field(rng, size, 3) > 0.55
    texture = 0.85 + 0.3 * _smooth_field(rng, size, max(2, size // 4))
    refl = np.where(veg[..., None], VEGETATION, SOIL) * texture[..., None]
    for _ in range(rng.integers(0, 3)):  # roads: horizontal or vertical bands
        w = int(rng.integers(2, max(3, size // 8)))
        at = int(rng.integers(0, size - w))
        if rng.random() < 0.5:
            refl[at:at + w] = ROAD
        else:
            refl[:, at:at + w] = ROAD
    mask = np.zeros((size, size), np.uint8)
    shadow = np.zeros((size, size), bool)
    for _ in range(rng.integers(1, 5)):  # buildings
        h, w = (int(v) for v in rng.integers(max(3, size // 8), max(4, size // 3), size=2))
        r, c = int(rng.integers(0, size - h)), int(rng.integers(0, size - w))
        d = max(1, h // 3)  # shadow cast down-right
        shadow[r + d:r + h + d, c + d:c + w + d] = True
        mask[r:r + h, c:c + w] = 1
        refl[r:r + h, c:c + w] = ROOFS[rng.integers(len(ROOFS))] * rng.uniform(0.85, 1.15)
    refl[shadow & (mask == 0)] *= 0.45
    return np.clip(refl, 0.0, 1.0), mask


@dataclass(frozen=True)
class Imaging:
    """A domain's imaging model: for each channel, a monotone response curve through ``knots``
    (increasing values at inputs 0, 1/k, ..., 1), a gain (white balance) and a gamma."""

    knots: np.ndarray  # (3, k + 1), increasing in each row, from 0 to 1
    gains: np.ndarray  # (3,)
    gamma: float
    noise: float

    def __call__(self, refl: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Render reflectances (..., H, W, 3) to 8-bit images."""
        grid = np.linspace(0.0, 1.0, self.knots.shape[1])
        out = np.empty_like(refl)
        for ch in range(3):
            out[..., ch] = np.interp(np.clip(refl[..., ch] * self.gains[ch], 0, 1), grid, self.knots[ch])
        out = out ** self.gamma + rng.normal(0.0, self.noise, size=out.shape)
        return np.clip(np.round(out * 255), 0, 255).astype(np.uint8)


def imaging(rng: np.random.Generator | None, strength: float, noise: float = 0.01, knots: int = 6) -> Imaging:
    """A random imaging model; ``strength`` 0 is the identity (the source domain's camera), 1 a
    strongly non-linear one: knots moved off the diagonal, gains in [1 - 0.4 s, 1 + 0.4 s], gamma in
    [1 / (1 + s), 1 + s]."""
    grid = np.linspace(0.0, 1.0, knots + 1)
    if rng is None or strength == 0:
        return Imaging(np.tile(grid, (3, 1)), np.ones(3), 1.0, noise)
    curves = []
    for _ in range(3):
        steps = rng.dirichlet(np.full(knots, 1.0 / max(strength, 1e-3)))  # increments of a monotone curve
        curves.append((1 - strength) * grid + strength * np.concatenate([[0.0], np.cumsum(steps)]))
    gains = 1 + rng.uniform(-0.4, 0.4, size=3) * strength
    gamma = float(np.exp(rng.uniform(-1, 1) * np.log1p(strength)))
    return Imaging(np.array(curves), gains, gamma, noise)


def domains(count: int, strength: float, seed: int) -> list[Imaging]:
    """The source camera (identity, index 0) and ``count`` target cameras, seeded."""
    rng = np.random.default_rng(seed)
    return [imaging(None, 0.0)] + [imaging(rng, strength) for _ in range(count)]


def cameras(targets: int, strength: float, seed: int) -> list[Imaging]:
    """The cameras of the dataset :func:`generate` draws with ``seed`` (source first)."""
    return domains(targets, strength, seed + 1)


def generate(tiles: dict[str, int], size: int, targets: int, strength: float, seed: int) -> dict[str, np.ndarray]:
    """The study's arrays: ``x_<split>`` (N, 3, H, W) uint8 and ``mask_<split>`` (N, H, W) uint8 for
    the source splits ``train``/``test``, each target domain's labelled ``target{k}_train`` (the
    oracle's) and ``target{k}_test``, and ``unlabelled{k}`` (target images without masks, RHM's
    references). Every split draws its own scenes; the targets re-render the same scene distribution."""
    rng = np.random.default_rng(seed)
    cams = cameras(targets, strength, seed)
    out: dict[str, np.ndarray] = {}

    def render(name: str, n: int, cam: Imaging, with_mask: bool = True) -> None:
        scenes = [scene(rng, size) for _ in range(n)]
        refl = np.stack([s[0] for s in scenes])
        out[f"x_{name}"] = cam(refl, rng).transpose(0, 3, 1, 2).copy()
        if with_mask:
            out[f"mask_{name}"] = np.stack([s[1] for s in scenes])

    render("train", tiles["train"], cams[0])
    render("test", tiles["test"], cams[0])
    for k, cam in enumerate(cams[1:], start=1):
        render(f"target{k}_train", tiles["train"], cam)
        render(f"target{k}_test", tiles["test"], cam)
        render(f"unlabelled{k}", tiles["unlabelled"], cam, with_mask=False)
    out["targets"] = np.asarray(targets)
    return out
