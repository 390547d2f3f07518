# Randomized histogram matching: segmentation under pixel-wise domain shift (one training job per method).
from lowdim.studies import rhm as rhm_study

RHM = config["rhm"]
RHM_FIGURES = ("domains", "invariance")


rule rhm_train:
    """Every seed of one method: IoU per domain, IoU under random transformations, example predictions."""
    input:
        data=paths.prepared(RHM["dataset"]),
        code=code("rhm train"),
    output:
        table=paths.run_metrics("rhm", "{method}"),
        examples=paths.run_arrays("rhm", "{method}", "examples"),
    params:
        spec=spec(rhm_study.job_spec(config)),
        checkpoints=lambda wc: paths.checkpoint_dir("rhm", wc.method),
    wildcard_constraints:
        method="|".join(rhm_study.METHODS),
    priority: LONG_JOB  # the longest jobs start first: short ones fill the cores at the end
    threads: TRAIN_RES["cpus"]
    resources:
        gpu=TRAIN_RES["gpu"],
        mem_mb=TRAIN_RES["mem_mb"],
        runtime=TRAIN_RES["runtime"],
    benchmark:
        paths.benchmark("rhm", "train", "{method}")
    log:
        paths.log("rhm", "train", "{method}"),
    conda:
        CONDA_ENV
    shell:
        "OMP_NUM_THREADS={threads} python -m lowdim rhm train --spec {params.spec:q} --method {wildcards.method}"
        " --data-path {input.data} --out {output.table} --examples-out {output.examples}"
        " --checkpoint-dir {params.checkpoints} 2>&1 | tee {log}"


rule rhm_table:
    """The study's table, its summary JSON (DVC metrics) and its invariance CSV (DVC plots)."""
    input:
        runs=[paths.run_metrics("rhm", m) for m in RHM["methods"]],
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
        png=report(paths.figure("rhm", "{figure}", "png"), caption="../report/rhm.rst", category="rhm"),
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
    """One test tile per domain with every method's predicted buildings."""
    input:
        data=paths.prepared(RHM["dataset"]),
        predictions=[paths.run_arrays("rhm", m, "examples") for m in RHM["methods"]],
        code=code("rhm figure-examples"),
    output:
        pdf=paths.figure("rhm", "examples", "pdf"),
        png=report(paths.figure("rhm", "examples", "png"), caption="../report/rhm.rst", category="rhm"),
    benchmark:
        paths.benchmark("rhm", "figure", "examples")
    log:
        paths.log("rhm", "figure", "examples"),
    conda:
        CONDA_ENV
    shell:
        "python -m lowdim rhm figure-examples --data-path {input.data} --predictions {input.predictions}"
        " --out-pdf {output.pdf} --out-png {output.png} 2>&1 | tee {log}"


rule rhm_scenes:
    """The domain shift itself: the same scenes through the source and every target imaging model."""
    input:
        code=code("rhm figure-scenes"),
    output:
        pdf=paths.figure("rhm", "scenes", "pdf"),
        png=report(paths.figure("rhm", "scenes", "png"), caption="../report/rhm.rst", category="rhm"),
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
        [paths.figure("rhm", f, ext) for f in RHM_FIGURES + ("examples", "scenes") for ext in ("pdf", "png")],


DVC_STAGES["rhm"] = list(rules.rhm.input)
