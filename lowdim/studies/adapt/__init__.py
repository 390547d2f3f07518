"""Deep LoRA vs LoRA (Yaras et al., ICML 2024): limited-data fine-tuning of a pretrained
BERT-family encoder on GLUE STS-B, rank robustness, and the low-rank structure of the updates.

One Snakemake job per (method, rank, n): it fine-tunes every seed (a seed fixes the n-sample
subset and the adapter init), records train/dev Pearson and Spearman over steps and the
singular values of each adapted layer's Delta W, early vs late subspace angles.
"""

from __future__ import annotations

STUDY = "adapt"
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
