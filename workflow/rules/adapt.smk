# Deep LoRA vs LoRA: few-shot fine-tuning of a pretrained encoder on GLUE STS-B.
from lowdim.studies import adapt as adapt_study

AD = config["adapt"]
AD_FIGURES = ("samples", "ranks", "curves", "spectra")


rule adapt_finetune:
    """Every seed of one (method, rank, n) setting: train/dev correlations over steps, Delta W spectra."""
    input:
        data=paths.prepared("stsb"),
        code=code("adapt finetune"),
    output:
        paths.run_metrics("adapt", "{job}"),
    params:
        spec=spec(adapt_study.job_spec(config)),
        checkpoints=lambda wc: paths.checkpoint_dir("adapt", wc.job),
    wildcard_constraints:
        job=r"[a-z_]+-r\d+-n\d+",
    priority: LONG_JOB  # the longest jobs start first: short ones fill the cores at the end
    threads: 1  # two 1-thread jobs beat one 2-thread job on small batches
    resources:
        gpu=TRAIN_RES["gpu"],
        mem_mb=TRAIN_RES["mem_mb"],
        runtime=TRAIN_RES["runtime"],
    benchmark:
        paths.benchmark("adapt", "finetune", "{job}")
    log:
        paths.log("adapt", "finetune", "{job}"),
    conda:
        CONDA_ENV
    shell:
        "OMP_NUM_THREADS={threads} python -m lowdim adapt finetune --spec {params.spec:q} --job {wildcards.job}"
        " --data-path {input.data} --out {output} --checkpoint-dir {params.checkpoints} 2>&1 | tee {log}"


rule adapt_table:
    """The study's table, summary JSON (DVC metrics) and Pearson-vs-n CSV (DVC plots)."""
    input:
        runs=[paths.run_metrics("adapt", j) for j in adapt_study.jobs(AD)],
        code=code("adapt aggregate"),
    output:
        table=paths.table("adapt"),
        summary=paths.summary("adapt"),
        curves=paths.curves("adapt"),
    params:
        rank=AD["rank"],
        rank_samples=AD["rank_samples"],
    log:
        paths.log("adapt", "table"),
    conda:
        CONDA_ENV
    shell:
        "python -m lowdim adapt aggregate --inputs {input.runs} --rank {params.rank} --rank-samples {params.rank_samples}"
        " --table-out {output.table} --summary-out {output.summary} --curves-out {output.curves} 2>&1 | tee {log}"


rule adapt_figure:
    """samples (Pearson vs n), ranks (Pearson vs rank), curves (train vs dev), spectra (Delta W)."""
    input:
        table=paths.table("adapt"),
        code=lambda wc: code(f"adapt figure-{wc.figure}"),
    output:
        pdf=paths.figure("adapt", "{figure}", "pdf"),
        png=report(paths.figure("adapt", "{figure}", "png"), caption="../../lowdim/studies/adapt/report.rst", category="adapt"),
    params:
        rank=AD["rank"],
        rank_samples=AD["rank_samples"],
    wildcard_constraints:
        figure="|".join(AD_FIGURES),
    log:
        paths.log("adapt", "figure", "{figure}"),
    conda:
        CONDA_ENV
    shell:
        "python -m lowdim adapt figure-{wildcards.figure} --table {input.table} --rank {params.rank}"
        " --rank-samples {params.rank_samples} --out-pdf {output.pdf} --out-png {output.png} 2>&1 | tee {log}"


rule adapt:
    """Everything the adaptation study produces."""
    input:
        rules.adapt_table.output,
        [paths.figure("adapt", f, ext) for f in AD_FIGURES for ext in ("pdf", "png")],
