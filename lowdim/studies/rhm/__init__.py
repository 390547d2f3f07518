"""Randomized histogram matching (Yaras, Kassaw, Huang, Bradbury, Malof; IEEE JSTARS 2024, arXiv
2104.14032): robustness of building segmentation to pixel-wise domain shift in overhead imagery.

Domain shift is modelled as a non-linear pixel-wise transformation (the imaging model of
``lowdim.data.overhead``). Methods, one training run each with the same budget and seeds: no
augmentation, photometric jitter, histogram equalization and gray-world normalization (both at
train and test time), RHM (each training image's histograms matched, per channel, to a random
unlabelled target image, every step) and a target-supervised oracle (the ceiling). One job per
method trains every seed; the table holds building IoU and pixel accuracy per domain, and IoU
under random monotone transformations of the source test set (invariance).
"""

from __future__ import annotations

STUDY = "rhm"
METHODS = ("none", "jitter", "histeq", "grayworld", "rhm", "oracle")


def row(experiment: str, method: str, domain: str, seed: int, step: int, metric: str, value: float) -> dict:
    """One row of the long table. ``domain``: "source", "target<k>", or "transformed-s<strength>" (the
    source test set under random monotone transformations of that strength)."""
    return {"study": STUDY, "experiment": experiment, "model": method, "dataset": domain, "seed": int(seed),
            "step": int(step), "step_unit": "epoch", "layer": None, "metric": metric, "value": float(value)}


def strength_of(domain: str) -> float:
    return float(domain.split("-s", 1)[1])


def job_spec(params: dict) -> dict:
    return {"device": params["device"], STUDY: params[STUDY]}
