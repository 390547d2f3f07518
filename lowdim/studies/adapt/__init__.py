"""Deep LoRA vs LoRA (Yaras et al., ICML 2024): limited-data fine-tuning of a pretrained
BERT-family encoder on GLUE STS-B, rank robustness, and the low-rank structure of the updates.

One Snakemake job per (method, rank, n): it fine-tunes every seed (a seed fixes the n-sample
subset and the adapter init), records train/dev Pearson and Spearman over steps and the
singular values of each adapted layer's Delta W, early vs late subspace angles.
"""

from __future__ import annotations

STUDY = "adapt"
METHODS = ("lora", "deep_lora", "deep_lora_compressed")

#: The authors' final-step dev Pearson (cjyaras/deep-lora-transformers, BERT-base-cased, all dev pairs), drawn
#: beside ours in the figures: vs n at rank 8 (means of their logs experiments/stsb_fewshot/{n}, 500 steps,
#: 20 seeds; their assets/fewshot_stsb.png) and vs rank at n = 16 (read off assets/fewshot_stsb_varying_rank.png;
#: scripts/stsb_varying_rank.py: 400 steps, 5 seeds, lr 1e-4).
AUTHORS_VS_N = {"lora": {16: 0.529, 64: 0.735, 256: 0.814}, "deep_lora": {16: 0.598, 64: 0.751, 256: 0.828}}
AUTHORS_VS_RANK = {"lora": {8: 0.54, 16: 0.52, 32: 0.46, 64: 0.17}, "deep_lora": {8: 0.635, 16: 0.65, 32: 0.66, 64: 0.665}}


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
