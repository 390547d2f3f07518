"""Deep low-rank matrix completion (Yaras et al., ICML 2024, "Compressible dynamics in deep
overparameterized low-rank learning & adaptation").

Three experiments, each one Snakemake job (the depth-width sweep's settings one after another in its job):

* ``depth_width``: synthetic completion, test error vs width for depth 2 and depth 3 (all
  seeds of a (depth, width) setting trained as one batched tensor program);
* ``speed``: at one synthetic setting, full width vs the compressed width-2r network (with the
  discrepant learning rate gamma on its outer factors) vs a narrow random network of the same
  width vs a shallow (depth-2) factorization vs alternating minimization, in iterations and
  seconds;
* ``movielens``: the same methods on MovieLens-100K (seeded 80/20 split), test RMSE.
"""

from __future__ import annotations

from lowdim.studies.completion.params import Completion as PARAMS, check as check_params  # noqa: F401 - the completion block of params.yaml and its rules

STUDY = "completion"

#: ``python -m lowdim completion <step>``: step -> "module:function" within this package (its Snakemake rules call them)
STEPS = {
    "depth-width": "experiments:depth_width_sweep",
    "speed": "experiments:speed",
    "movielens": "experiments:movielens",
    "aggregate": "analyze:aggregate",
    "figure-width": "figures:width",
    "figure-speed": "figures:speed",
    "figure-movielens": "figures:movielens",
}

#: its DVC stage (dvc.yaml, written by ``python -m lowdim dvc yaml``): params keys besides ``completion`` (``params``), the
#: keys choosing its datasets (``dataset_keys``, for the prepare stage) and its curves' axes (``plot``)
DVC = {"plot": ("width", "test_error")}


def row(experiment: str, model: str, dataset: str, seed: int, step: int, metric: str, value: float) -> dict:
    return {"study": STUDY, "experiment": experiment, "model": model, "dataset": dataset, "seed": int(seed),
            "step": int(step), "step_unit": "iteration", "layer": None, "metric": metric, "value": float(value)}


def depth_width_job(depth: int, width: int) -> str:
    return f"L{depth}-w{width}"


def depth_width_of(model: str) -> tuple[int, int]:
    """(depth, width) of a :func:`depth_width_job` name ("L3-w20")."""
    depth, width = model.removeprefix("L").split("-w")
    return int(depth), int(width)


def depth_width_jobs(cfg: dict) -> list[str]:
    return [depth_width_job(d, w) for d in cfg["depth_width"]["depths"] for w in cfg["depth_width"]["widths"]]


def job_spec(params: dict, experiment: str) -> dict:
    """What a job of ``experiment`` depends on: the device, the seeds and its own block."""
    return {"device": params["device"], "seeds": params[STUDY]["seeds"], experiment: params[STUDY][experiment]}


def datasets(params: dict) -> list[str]:
    """The datasets this study prepares (rule prepare_data): MovieLens-100K (the synthetic settings are drawn in the jobs)."""
    return ["movielens100k"]
