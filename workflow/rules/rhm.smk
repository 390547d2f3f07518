# Randomized histogram matching: segmentation under pixel-wise domain shift (one training job per data source
# and method; rhm.datasets: real imagery and/or procedural scenes, the same code and settings for each).
from lowdim.studies import rhm as rhm_study

RHM = config["rhm"]
RHM_FIGURES = ("domains", "invariance")
#: the figures beside the table's: one examples figure per data source, the procedural scenes when they run
#: the real tiles' splits: where each split's patches lie in their scenes (the sources that cut patches from blocks)
RHM_SPLIT_SOURCES = [d for d in RHM["datasets"] if d == "inria_spacenet"]
RHM_EXTRA = ([f"examples_{d}" for d in RHM["datasets"]] + [f"splits_{d}" for d in RHM_SPLIT_SOURCES]
             + (["scenes"] if "overhead" in RHM["datasets"] else []))


rule rhm_train:
    """Every seed of one method on one data source: IoU per domain, IoU under random transformations, example
    predictions."""
    input:
        data=paths.prepared("{dataset}"),
        code=code("rhm train"),
    output:
        table=paths.run_metrics("rhm", "{dataset}/{method}"),
        examples=paths.run_arrays("rhm", "{dataset}/{method}", "examples"),
    params:
        spec=lambda wc: spec(rhm_study.job_spec(config, wc.dataset)),
        checkpoints=lambda wc: paths.checkpoint_dir("rhm", f"{wc.dataset}/{wc.method}"),
    wildcard_constraints:
        method="|".join(rhm_study.METHODS),
        dataset="|".join(RHM["datasets"]),
    priority: LONG_JOB  # the longest jobs start first: short ones fill the cores at the end
    threads: TRAIN_RES["cpus"]
    resources:
        gpu=TRAIN_RES["gpu"],
        mem_mb=TRAIN_RES["mem_mb"],
        runtime=TRAIN_RES["runtime"],
    benchmark:
        paths.benchmark("rhm", "train", "{dataset}_{method}")
    log:
        paths.log("rhm", "train", "{dataset}_{method}"),
    conda:
        CONDA_ENV
    shell:
        "OMP_NUM_THREADS={threads} python -m lowdim rhm train --spec {params.spec:q} --method {wildcards.method}"
        " --data-path {input.data} --out {output.table} --examples-out {output.examples}"
        " --checkpoint-dir {params.checkpoints} 2>&1 | tee {log}"


rule rhm_table:
    """The study's table, its summary JSON (DVC metrics) and its invariance CSV (DVC plots)."""
    input:
        runs=[paths.run_metrics("rhm", f"{d}/{m}") for d in RHM["datasets"] for m in RHM["methods"]],
        code=code("rhm aggregate"),
    output:
        table=paths.table("rhm"),
        summary=paths.summary("rhm"),
        curves=paths.curves("rhm"),
    benchmark:
        paths.benchmark("rhm", "table")
    log:
        paths.log("rhm", "table"),
    conda:
        CONDA_ENV
    shell:
        "python -m lowdim rhm aggregate --inputs {input.runs} --table-out {output.table} --summary-out {output.summary}"
        " --curves-out {output.curves} 2>&1 | tee {log}"


rule rhm_figure:
    """domains (IoU per method and domain) and invariance (IoU vs transformation strength)."""
    input:
        table=paths.table("rhm"),
        code=lambda wc: code(f"rhm figure-{wc.figure}"),
    output:
        pdf=paths.figure("rhm", "{figure}", "pdf"),
        png=report(paths.figure("rhm", "{figure}", "png"), caption="../../lowdim/studies/rhm/report.rst", category="rhm"),
    wildcard_constraints:
        figure="|".join(RHM_FIGURES),
    benchmark:
        paths.benchmark("rhm", "figure", "{figure}")
    log:
        paths.log("rhm", "figure", "{figure}"),
    conda:
        CONDA_ENV
    shell:
        "python -m lowdim rhm figure-{wildcards.figure} --table {input.table} --out-pdf {output.pdf} --out-png {output.png}"
        " 2>&1 | tee {log}"


rule rhm_examples:
    """Test tiles of every domain of one data source with the true buildings and every method's prediction."""
    input:
        data=paths.prepared("{dataset}"),
        predictions=lambda wc: [paths.run_arrays("rhm", f"{wc.dataset}/{m}", "examples") for m in RHM["methods"]],
        code=code("rhm figure-examples"),
    output:
        pdf=paths.figure("rhm", "examples_{dataset}", "pdf"),
        png=report(paths.figure("rhm", "examples_{dataset}", "png"), caption="../../lowdim/studies/rhm/report.rst", category="rhm"),
    wildcard_constraints:
        dataset="|".join(RHM["datasets"]),
    benchmark:
        paths.benchmark("rhm", "figure", "examples_{dataset}")
    log:
        paths.log("rhm", "figure", "examples_{dataset}"),
    conda:
        CONDA_ENV
    shell:
        "python -m lowdim rhm figure-examples --data-path {input.data} --predictions {input.predictions}"
        " --out-pdf {output.pdf} --out-png {output.png} 2>&1 | tee {log}"


rule rhm_splits:
    """The real tiles by split: every patch at its place in its scene, tinted by its split (disjoint blocks)."""
    input:
        data=paths.prepared("{dataset}"),
        code=code("rhm figure-splits"),
    output:
        pdf=paths.figure("rhm", "splits_{dataset}", "pdf"),
        png=report(paths.figure("rhm", "splits_{dataset}", "png"), caption="../../lowdim/studies/rhm/report_splits.rst", category="rhm"),
    wildcard_constraints:
        dataset="|".join(RHM_SPLIT_SOURCES) or "inria_spacenet",
    benchmark:
        paths.benchmark("rhm", "figure", "splits_{dataset}")
    log:
        paths.log("rhm", "figure", "splits_{dataset}"),
    conda:
        CONDA_ENV
    shell:
        "python -m lowdim rhm figure-splits --data-path {input.data} --out-pdf {output.pdf} --out-png {output.png}"
        " 2>&1 | tee {log}"


rule rhm_scenes:
    """The domain shift itself: the same scenes through the source and every target imaging model."""
    input:
        code=code("rhm figure-scenes"),
    output:
        pdf=paths.figure("rhm", "scenes", "pdf"),
        png=report(paths.figure("rhm", "scenes", "png"), caption="../../lowdim/studies/rhm/report.rst", category="rhm"),
    params:
        spec=spec(config["data"]["overhead"]),
    benchmark:
        paths.benchmark("rhm", "figure", "scenes")
    log:
        paths.log("rhm", "figure", "scenes"),
    conda:
        CONDA_ENV
    shell:
        "python -m lowdim rhm figure-scenes --spec {params.spec:q} --out-pdf {output.pdf} --out-png {output.png} 2>&1 | tee {log}"


rule rhm:
    """Everything the rhm study produces."""
    input:
        rules.rhm_table.output,
        [paths.figure("rhm", f, ext) for f in list(RHM_FIGURES) + RHM_EXTRA for ext in ("pdf", "png")],
