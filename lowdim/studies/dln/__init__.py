"""Deep linear networks (Wang et al. 2023; Yaras et al. 2023, "The law of parsimony").

Three experiments, one Snakemake job each (a sweep's settings run one after another in its job):

* ``progressive``: per-layer compression / discrimination of DLNs (and ReLU variants) trained by
  full-batch GD on nearly-orthogonal Gaussian-mixture data, per (activation, depth) with
  all seeds trained as one batched tensor program;
* ``invariant``: GD (and momentum, Adam, RMSProp) on a DLN fitting a rank-r target, recording
  every layer's singular values and singular-subspace angles over iterations;
* ``compressed``: full-width DLN vs the compressed width-2r network built from the first
  gradient vs a narrow random network of the same width: trajectories, errors, wall-clock.
"""

from __future__ import annotations

from lowdim.studies.dln.params import Dln as PARAMS, check as check_params  # noqa: F401 - the dln block of params.yaml and its rules

STUDY = "dln"

#: ``python -m lowdim dln <step>``: step -> "module:function" within this package (its Snakemake rules call them)
STEPS = {
    "progressive": "experiments:progressive_sweep",
    "invariant": "experiments:invariant_sweep",
    "compressed": "experiments:compressed",
    "aggregate": "analyze:aggregate",
    "figure-progressive": "figures:progressive",
    "figure-spectra": "figures:spectra",
    "figure-trajectories": "figures:trajectories",
}

#: its DVC stage (dvc.yaml, written by ``python -m lowdim dvc yaml``): params keys besides ``dln`` (``params``), the
#: keys choosing its datasets (``dataset_keys``, for the prepare stage) and its curves' axes (``plot``)
DVC = {"plot": ("layer", "compression")}


def row(experiment: str, model: str, dataset: str, seed: int, step: int, layer: int | None, metric: str,
        value: float, unit: str = "iteration") -> dict:
    return {"study": STUDY, "experiment": experiment, "model": model, "dataset": dataset, "seed": int(seed),
            "step": int(step), "step_unit": unit, "layer": layer, "metric": metric, "value": float(value)}


def lowrank(dim: int, rank: int) -> str:
    """The table's ``dataset`` of the invariant and compressed experiments: a dim x dim rank-r target."""
    return f"lowrank{dim}r{rank}"


def lowrank_of(dataset: str) -> tuple[int, int]:
    """(dim, rank) of a :func:`lowrank` name."""
    dim, rank = dataset.removeprefix("lowrank").split("r")
    return int(dim), int(rank)


def depth_of(model: str) -> tuple[str, int]:
    """(activation, depth) of a progressive job's name (:func:`progressive_jobs`: "linear-L4")."""
    activation, depth = model.rsplit("-L", 1)
    return activation, int(depth)


def progressive_jobs(cfg: dict) -> list[str]:
    return [f"{a}-L{d}" for a in cfg["progressive"]["activations"] for d in cfg["progressive"]["depths"]]


def invariant_jobs(cfg: dict) -> list[str]:
    return [f"{o}-{x}" for o in cfg["invariant"]["optimizers"] for x in cfg["invariant"]["inputs"]]


def job_spec(params: dict, experiment: str) -> dict:
    """What a job of ``experiment`` depends on: the device, the seeds and its own block."""
    return {"device": params["device"], "seeds": params[STUDY]["seeds"], experiment: params[STUDY][experiment]}
