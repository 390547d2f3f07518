"""Deep low-rank matrix completion (Yaras et al., ICML 2024, "Compressible dynamics in deep
overparameterized low-rank learning & adaptation").

Three experiments, each a Snakemake job (or one job per setting):

* ``depth_width``: synthetic completion, test error vs width for depth 2 and depth 3 (all
  seeds of a (depth, width) setting trained as one batched tensor program);
* ``speed``: at one synthetic setting, full width vs the compressed width-2r network (with the
  discrepant learning rate gamma on its outer factors) vs a narrow random network of the same
  width vs a shallow (depth-2) factorization vs alternating minimization, in iterations and
  seconds;
* ``movielens``: the same methods on MovieLens-100K (seeded 80/20 split), test RMSE.
"""

from __future__ import annotations

STUDY = "completion"


def row(experiment: str, model: str, dataset: str, seed: int, step: int, metric: str, value: float) -> dict:
    return {"study": STUDY, "experiment": experiment, "model": model, "dataset": dataset, "seed": int(seed),
            "step": int(step), "step_unit": "iteration", "layer": None, "metric": metric, "value": float(value)}


def depth_width_jobs(cfg: dict) -> list[str]:
    return [f"L{d}-w{w}" for d in cfg["depth_width"]["depths"] for w in cfg["depth_width"]["widths"]]


def job_spec(params: dict, experiment: str) -> dict:
    """What a job of ``experiment`` depends on: the device, the seeds and its own block."""
    return {"device": params["device"], "seeds": params[STUDY]["seeds"], experiment: params[STUDY][experiment]}
