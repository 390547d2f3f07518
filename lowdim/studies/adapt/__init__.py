"""Deep LoRA vs LoRA (Yaras et al., ICML 2024): limited-data fine-tuning of a pretrained
BERT-family encoder on GLUE STS-B, rank robustness, and the low-rank structure of the updates.

One Snakemake job per (method, rank, n): it fine-tunes every seed (a seed fixes the n-sample
subset and the adapter init), records train/dev Pearson and Spearman over steps and the
singular values of each adapted layer's Delta W, early vs late subspace angles.
"""

from __future__ import annotations

from lowdim.studies.adapt.params import Adapt as PARAMS, check as check_params  # noqa: F401 - the adapt block of params.yaml and its rules

STUDY = "adapt"

#: ``python -m lowdim adapt <step>``: step -> "module:function" within this package (its Snakemake rules call them)
STEPS = {
    "finetune": "experiments:finetune",
    "aggregate": "analyze:aggregate",
    "figure-samples": "figures:samples",
    "figure-ranks": "figures:ranks",
    "figure-curves": "figures:curves",
    "figure-spectra": "figures:spectra",
}

#: its DVC stage (dvc.yaml, written by ``python -m lowdim dvc yaml``): params keys besides ``adapt`` (``params``), the
#: keys choosing its datasets (``dataset_keys``, for the prepare stage) and its curves' axes (``plot``)
DVC = {"plot": ("n", "dev_pearson")}

METHODS = ("lora", "deep_lora", "deep_lora_compressed")


def row(model: str, dataset: str, seed: int, step: int, layer: int | None, metric: str, value: float) -> dict:
    return {"study": STUDY, "experiment": "fewshot", "model": model, "dataset": dataset, "seed": int(seed),
            "step": int(step), "step_unit": "iteration", "layer": layer, "metric": metric, "value": float(value)}


def jobs(cfg: dict) -> list[str]:
    """{method}-r{rank}-n{n}: every method at ``rank`` for each n in ``samples``, and at every
    rank of ``ranks`` for n = ``rank_samples`` (the union, in a stable order)."""
    out = []
    for m in cfg["methods"]:
        for n in cfg["samples"]:
            out.append(f"{m}-r{cfg['rank']}-n{n}")
        for r in cfg["ranks"]:
            out.append(f"{m}-r{r}-n{cfg['rank_samples']}")
    return list(dict.fromkeys(out))


def parse_job(job: str) -> tuple[str, int, int]:
    method, r, n = job.rsplit("-", 2)
    return method, int(r[1:]), int(n[1:])


def job_spec(params: dict) -> dict:
    return {"device": params["device"], STUDY: params[STUDY]}


def datasets(params: dict) -> list[str]:
    """The datasets this study prepares (rule prepare_data): GLUE STS-B."""
    return ["stsb"]
