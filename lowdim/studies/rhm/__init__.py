"""Randomized histogram matching (Yaras, Kassaw, Huang, Bradbury, Malof; IEEE JSTARS 2024, arXiv
2104.14032): robustness of building segmentation to pixel-wise domain shift in overhead imagery.

The study runs on each of its data sources (params ``rhm.datasets``) with the same code and settings:
real imagery (``inria_spacenet``: Inria Austin -> Vienna, SpaceNet-1 Rio), procedural scenes whose
domains differ only by a pixel-wise imaging model (``overhead``: the controlled check of the paper's
model of domain shift), or the full Inria layout (``inria``, paper config). Methods, one training job
per source and method, the same budget and seeds: no augmentation, photometric jitter, histogram
equalization and gray-world normalization (both at train and test time), RHM (each training image's
histograms matched, per channel, to a random unlabelled target image, every step) and a
target-supervised oracle (the ceiling). The table holds building IoU and pixel accuracy per domain,
and IoU under random monotone transformations of the source test set (invariance); its ``dataset``
column is ``<source>/<domain>`` (:func:`key`).
"""

from __future__ import annotations

from lowdim.studies.rhm.params import Rhm as PARAMS  # noqa: F401 - the rhm block of params.yaml

STUDY = "rhm"

#: ``python -m lowdim rhm <step>``: step -> "module:function" within this package (its Snakemake rules call them)
STEPS = {
    "train": "experiments:train",
    "aggregate": "analyze:aggregate",
    "figure-domains": "figures:domains",
    "figure-invariance": "figures:invariance",
    "figure-examples": "figures:examples",
    "figure-scenes": "figures:scenes",
    "figure-splits": "figures:splits",
}

#: its DVC stage (dvc.yaml, written by ``python -m lowdim dvc yaml``): params keys besides ``rhm`` (``params``), the
#: keys choosing its datasets (``dataset_keys``, for the prepare stage) and its curves' axes (``plot``)
DVC = {"params": ("data.overhead", "data.inria", "data.inria_spacenet"), "dataset_keys": ("rhm.datasets",), "plot": ("strength", "iou")}

METHODS = ("none", "jitter", "histeq", "grayworld", "rhm", "oracle")
#: each data source, as the scorecard, the figures and the README name it
SOURCES = {
    "inria_spacenet": "real imagery: Inria Austin -> Vienna, SpaceNet-1 Rio",
    "overhead": "procedural scenes: the shift is a pixel-wise imaging model",
    "inria": "real imagery: Inria source cities -> held-out cities",
}


def key(source: str, domain: str) -> str:
    """The table's ``dataset`` value: the data source and the domain, e.g. "inria_spacenet/vienna"."""
    return f"{source}/{domain}"


def parse(dataset: str) -> tuple[str, str]:
    """(source, domain) of a table's ``dataset`` value (:func:`key`)."""
    source, _, domain = dataset.partition("/")
    return source, domain


def describe(source: str) -> str:
    return SOURCES.get(source, source)


def row(experiment: str, method: str, source: str, domain: str, seed: int, step: int, metric: str,
        value: float) -> dict:
    """One row of the long table. ``domain``: "source" (the source test set), a target's name ("target<k>" or
    the city), or "transformed-s<strength>" (the source test set under random monotone transformations of that
    strength)."""
    return {"study": STUDY, "experiment": experiment, "model": method, "dataset": key(source, domain),
            "seed": int(seed), "step": int(step), "step_unit": "epoch", "layer": None, "metric": metric,
            "value": float(value)}


def strength_of(dataset: str) -> float:
    return float(parse(dataset)[1].split("-s", 1)[1])


def job_spec(params: dict, dataset: str) -> dict:
    """One source's training spec: everything in ``rhm`` but the list of sources (adding a source re-runs
    nothing of the others)."""
    return {"device": params["device"], "dataset": dataset,
            STUDY: {k: v for k, v in params[STUDY].items() if k != "datasets"}}


def datasets(params: dict) -> list[str]:
    """The datasets this study prepares (rule prepare_data): each data source of ``rhm.datasets``."""
    return list(params[STUDY]["datasets"])
