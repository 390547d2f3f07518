"""Pixel-wise photometric transforms of 8-bit image batches, in torch on the images' device.

* :func:`match_histograms` — per image and channel, the source's values mapped through the source
  CDF and the inverse reference CDF, batched: what ``skimage.exposure.match_histograms`` computes
  for one pair (tested equal to it), for a whole batch at once (randomized histogram matching);
* :func:`equalize` — histogram equalization per image and channel (the map to the CDF);
* :func:`gray_world` — gray-world white balance (each channel scaled to the image's mean gray).

Images are (B, C, H, W) uint8 (or integer-valued) tensors; results are float64 in [0, 255].
"""

from __future__ import annotations

import torch

LEVELS = 256


def _cdf(images: torch.Tensor) -> torch.Tensor:
    """(B, C, 256) cumulative histogram / pixels, float64."""
    b, c = images.shape[:2]
    flat = images.reshape(b * c, -1).long()
    counts = torch.zeros(b * c, LEVELS, dtype=torch.float64, device=images.device)
    counts.scatter_add_(1, flat, torch.ones_like(flat, dtype=torch.float64))
    return (counts.cumsum(1) / flat.shape[1]).view(b, c, LEVELS)


def match_histograms(source: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """``source`` (B, C, H, W) with each image-channel's histogram matched to the same image-channel of
    ``reference`` (B, C, H', W'): skimage's ``_match_cumulative_cdf`` for integer images, i.e.
    ``np.interp(src_cdf[v], ref_cdf[present], present_values)`` for each source value v, batched."""
    src_cdf, ref_cdf = _cdf(source), _cdf(reference)  # (B, C, 256)
    levels = torch.arange(LEVELS, device=source.device)
    present = torch.diff(ref_cdf, dim=-1, prepend=torch.zeros_like(ref_cdf[..., :1])) > 0  # reference values that occur
    # the largest present reference value at or below each level (-1: none yet)
    last_present = torch.where(present, levels, torch.full_like(levels, -1)).cummax(dim=-1).values
    first_present = torch.where(present, levels, torch.full_like(levels, LEVELS)).min(dim=-1, keepdim=True).values
    q = src_cdf  # quantile of every level in its own image-channel (only the levels that occur are used)
    # np.interp(q, xp, fp) over the present values: the first present level j with cdf(j) >= q ...
    j = torch.searchsorted(ref_cdf.contiguous(), q.contiguous(), right=False).clamp(max=LEVELS - 1)
    c1 = ref_cdf.gather(-1, j)
    prev = last_present.gather(-1, (j - 1).clamp(min=0))  # ... and the present level before it
    has_prev = (j > first_present) & (prev >= 0)
    c0 = ref_cdf.gather(-1, prev.clamp(min=0))
    v0, v1 = prev.to(torch.float64), j.to(torch.float64)
    t = ((q - c0) / (c1 - c0).clamp(min=torch.finfo(torch.float64).tiny)).clamp(0, 1)
    mapped = torch.where(has_prev, v0 + t * (v1 - v0), first_present.to(torch.float64).expand_as(v1))  # (B, C, 256)
    b, c = source.shape[:2]
    return mapped.view(b * c, LEVELS).gather(1, source.reshape(b * c, -1).long()).view(source.shape)


def equalize(images: torch.Tensor) -> torch.Tensor:
    """Histogram equalization per image and channel: each value mapped to 255 x its CDF."""
    b, c = images.shape[:2]
    cdf = _cdf(images).view(b * c, LEVELS)
    return (255.0 * cdf).gather(1, images.reshape(b * c, -1).long()).view(images.shape)


def gray_world(images: torch.Tensor) -> torch.Tensor:
    """Gray-world white balance: channel k scaled by (mean over channels) / (mean of channel k)."""
    x = images.to(torch.float64)
    means = x.mean(dim=(2, 3), keepdim=True)
    return (x * means.mean(dim=1, keepdim=True) / means.clamp(min=1e-6)).clamp(0, 255)
