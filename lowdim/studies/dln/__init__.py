"""Deep linear networks (Wang et al. 2023; Yaras et al. 2023, "The law of parsimony").

Three experiments, one Snakemake rule per job:

* ``progressive``: per-layer compression / discrimination of DLNs (and ReLU variants) trained by
  full-batch GD on nearly-orthogonal Gaussian-mixture data, one job per (activation, depth) with
  all seeds trained as one batched tensor program;
* ``invariant``: GD (and momentum, Adam, RMSProp) on a DLN fitting a rank-r target, recording
  every layer's singular values and singular-subspace angles over iterations;
* ``compressed``: full-width DLN vs the compressed width-2r network built from the first
  gradient vs a narrow random network of the same width: trajectories, errors, wall-clock.
"""

from __future__ import annotations

STUDY = "dln"


def row(experiment: str, model: str, dataset: str, seed: int, step: int, layer: int | None, metric: str,
        value: float, unit: str = "iteration") -> dict:
    return {"study": STUDY, "experiment": experiment, "model": model, "dataset": dataset, "seed": int(seed),
            "step": int(step), "step_unit": unit, "layer": layer, "metric": metric, "value": float(value)}


def progressive_jobs(cfg: dict) -> list[str]:
    return [f"{a}-L{d}" for a in cfg["progressive"]["activations"] for d in cfg["progressive"]["depths"]]


def invariant_jobs(cfg: dict) -> list[str]:
    return [f"{o}-{x}" for o in cfg["invariant"]["optimizers"] for x in cfg["invariant"]["inputs"]]


def job_spec(params: dict, experiment: str) -> dict:
    """What a job of ``experiment`` depends on: the device, the seeds and its own block."""
    return {"device": params["device"], "seeds": params[STUDY]["seeds"], experiment: params[STUDY][experiment]}
