# Deep linear networks: progressive collapse, the law of parsimony, compressed training.
from lowdim.studies import dln as dln_study

DLN = config["dln"]


rule dln_progressive:
    """Every (activation, depth) DLN of the sweep, all seeds of each as one batched network trained by
    full-batch GD, in one job; per-layer metrics."""
    input:
        code=code("dln progressive"),
    output:
        [paths.run_metrics("dln", f"progressive/{j}") for j in dln_study.progressive_jobs(DLN)],
    params:
        spec=spec(dln_study.job_spec(config, "progressive")),
        jobs=dln_study.progressive_jobs(DLN),
        checkpoints=[paths.checkpoint("dln", f"progressive/{j}") for j in dln_study.progressive_jobs(DLN)],
    priority: LONG_JOB  # the longest jobs start first: short ones fill the cores at the end
    threads: 1
    benchmark:
        paths.benchmark("dln", "progressive")
    log:
        paths.log("dln", "progressive"),
    conda:
        CONDA_ENV
    shell:
        "OMP_NUM_THREADS={threads} python -m lowdim dln progressive --spec {params.spec:q} --jobs {params.jobs}"
        " --outs {output} --checkpoints {params.checkpoints} 2>&1 | tee {log}"


rule dln_invariant:
    """Every optimizer on every input kind, in one job: singular values and subspace angles over iterations."""
    input:
        code=code("dln invariant"),
    output:
        [paths.run_metrics("dln", f"invariant/{j}") for j in dln_study.invariant_jobs(DLN)],
    params:
        spec=spec(dln_study.job_spec(config, "invariant")),
        jobs=dln_study.invariant_jobs(DLN),
        checkpoints=[paths.checkpoint("dln", f"invariant/{j}") for j in dln_study.invariant_jobs(DLN)],
    priority: LONG_JOB
    threads: 1
    benchmark:
        paths.benchmark("dln", "invariant")
    log:
        paths.log("dln", "invariant"),
    conda:
        CONDA_ENV
    shell:
        "OMP_NUM_THREADS={threads} python -m lowdim dln invariant --spec {params.spec:q} --jobs {params.jobs}"
        " --outs {output} --checkpoints {params.checkpoints} 2>&1 | tee {log}"


rule dln_compressed:
    """Full width vs compressed vs narrow random on the same target: errors, deviation, wall-clock."""
    input:
        code=code("dln compressed"),
    output:
        table=paths.run_metrics("dln", "compressed/run"),
        timing=paths.run_metrics("dln", "compressed/run", "timing"),
        summary=paths.run_summary("dln", "compressed/run"),
    params:
        spec=spec(dln_study.job_spec(config, "compressed")),
        checkpoints=lambda wc: paths.checkpoint_dir("dln", "compressed/run"),
    threads: TRAIN_RES["cpus"]
    resources:
        gpu=TRAIN_RES["gpu"],
        mem_mb=TRAIN_RES["mem_mb"],
        runtime=TRAIN_RES["runtime"],
    benchmark:
        paths.benchmark("dln", "compressed")
    log:
        paths.log("dln", "compressed"),
    conda:
        CONDA_ENV
    shell:
        "OMP_NUM_THREADS={threads} python -m lowdim dln compressed --spec {params.spec:q} --out {output.table}"
        " --timing-out {output.timing} --summary-out {output.summary} --checkpoint-dir {params.checkpoints}"
        " 2>&1 | tee {log}"


rule dln_table:
    """The study's table, summary JSON (DVC metrics) and layerwise CSV (DVC plots)."""
    input:
        runs=[paths.run_metrics("dln", f"progressive/{j}") for j in dln_study.progressive_jobs(DLN)]
        + [paths.run_metrics("dln", f"invariant/{j}") for j in dln_study.invariant_jobs(DLN)]
        + [rules.dln_compressed.output.table],
        compressed=rules.dln_compressed.output.summary,
        code=code("dln aggregate"),
    output:
        table=paths.table("dln"),
        summary=paths.summary("dln"),
        curves=paths.curves("dln"),
    log:
        paths.log("dln", "table"),
    conda:
        CONDA_ENV
    shell:
        "python -m lowdim dln aggregate --inputs {input.runs} --compressed-summary {input.compressed}"
        " --table-out {output.table} --summary-out {output.summary} --curves-out {output.curves} 2>&1 | tee {log}"


rule dln_figure:
    """progressive (compression/discrimination vs layer), spectra (law of parsimony), trajectories."""
    input:
        table=paths.table("dln"),
        timing=rules.dln_compressed.output.timing,
        code=lambda wc: code(f"dln figure-{wc.figure}"),
    output:
        pdf=paths.figure("dln", "{figure}", "pdf"),
        png=report(paths.figure("dln", "{figure}", "png"), caption="../../lowdim/studies/dln/report.rst", category="dln"),
    wildcard_constraints:
        figure="progressive|spectra|trajectories",
    log:
        paths.log("dln", "figure", "{figure}"),
    conda:
        CONDA_ENV
    shell:
        "python -m lowdim dln figure-{wildcards.figure} --table {input.table} --timing {input.timing}"
        " --out-pdf {output.pdf} --out-png {output.png} 2>&1 | tee {log}"


rule dln:
    """Everything the DLN study produces."""
    input:
        rules.dln_table.output,
        [paths.figure("dln", f, ext) for f in ("progressive", "spectra", "trajectories") for ext in ("pdf", "png")],
