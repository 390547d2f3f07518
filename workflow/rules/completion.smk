# Deep low-rank matrix completion: depth vs width, compressed training, ALS, MovieLens-100K.
from lowdim.studies import completion as mc_study

MC = config["completion"]


rule completion_depth_width:
    """Every (depth, width) setting of the sweep, all seeds of each as one batched program, in one job."""
    input:
        code=code("completion depth-width"),
    output:
        [paths.run_metrics("completion", f"depth_width/{j}") for j in mc_study.depth_width_jobs(MC)],
    params:
        spec=spec(mc_study.job_spec(config, "depth_width")),
        jobs=mc_study.depth_width_jobs(MC),
        checkpoints=[paths.checkpoint("completion", f"depth_width/{j}") for j in mc_study.depth_width_jobs(MC)],
    priority: LONG_JOB
    threads: 1
    benchmark:
        paths.benchmark("completion", "depth_width")
    log:
        paths.log("completion", "depth_width"),
    conda:
        CONDA_ENV
    shell:
        "OMP_NUM_THREADS={threads} python -m lowdim completion depth-width --spec {params.spec:q} --jobs {params.jobs}"
        " --outs {output} --checkpoints {params.checkpoints} 2>&1 | tee {log}"


rule completion_speed:
    """Full vs compressed vs narrow vs shallow vs ALS at one setting, timed in one job."""
    input:
        code=code("completion speed"),
    output:
        table=paths.run_metrics("completion", "speed/run"),
        timing=paths.run_metrics("completion", "speed/run", "timing"),
        summary=paths.run_summary("completion", "speed/run"),
    params:
        spec=spec(mc_study.job_spec(config, "speed")),
        checkpoints=lambda wc: paths.checkpoint_dir("completion", "speed/run"),
    priority: LONG_JOB  # the longest jobs start first: short ones fill the cores at the end
    threads: TRAIN_RES["cpus"]
    resources:
        gpu=TRAIN_RES["gpu"],
        mem_mb=TRAIN_RES["mem_mb"],
        runtime=TRAIN_RES["runtime"],
    benchmark:
        paths.benchmark("completion", "speed")
    log:
        paths.log("completion", "speed"),
    conda:
        CONDA_ENV
    shell:
        "OMP_NUM_THREADS={threads} python -m lowdim completion speed --spec {params.spec:q} --out {output.table}"
        " --timing-out {output.timing} --summary-out {output.summary} --checkpoint-dir {params.checkpoints}"
        " 2>&1 | tee {log}"


rule completion_movielens:
    """MovieLens-100K: deep full width vs deep compressed vs ALS, test RMSE over iterations and seconds."""
    input:
        data=paths.prepared("movielens100k"),
        code=code("completion movielens"),
    output:
        table=paths.run_metrics("completion", "movielens/run"),
        timing=paths.run_metrics("completion", "movielens/run", "timing"),
        summary=paths.run_summary("completion", "movielens/run"),
    params:
        spec=spec(mc_study.job_spec(config, "movielens")),
        checkpoints=lambda wc: paths.checkpoint_dir("completion", "movielens/run"),
    priority: LONG_JOB  # the longest jobs start first: short ones fill the cores at the end
    threads: TRAIN_RES["cpus"]
    resources:
        gpu=TRAIN_RES["gpu"],
        mem_mb=TRAIN_RES["mem_mb"],
        runtime=TRAIN_RES["runtime"],
    benchmark:
        paths.benchmark("completion", "movielens")
    log:
        paths.log("completion", "movielens"),
    conda:
        CONDA_ENV
    shell:
        "OMP_NUM_THREADS={threads} python -m lowdim completion movielens --spec {params.spec:q} --data-path {input.data}"
        " --out {output.table} --timing-out {output.timing} --summary-out {output.summary}"
        " --checkpoint-dir {params.checkpoints} 2>&1 | tee {log}"


rule completion_table:
    """The study's table, summary JSON (DVC metrics) and test-error-vs-width CSV (DVC plots)."""
    input:
        runs=[paths.run_metrics("completion", f"depth_width/{j}") for j in mc_study.depth_width_jobs(MC)]
        + [rules.completion_speed.output.table, rules.completion_movielens.output.table],
        speed=rules.completion_speed.output.summary,
        movielens=rules.completion_movielens.output.summary,
        code=code("completion aggregate"),
    output:
        table=paths.table("completion"),
        summary=paths.summary("completion"),
        curves=paths.curves("completion"),
    log:
        paths.log("completion", "table"),
    conda:
        CONDA_ENV
    shell:
        "python -m lowdim completion aggregate --inputs {input.runs} --speed-summary {input.speed}"
        " --movielens-summary {input.movielens} --table-out {output.table} --summary-out {output.summary}"
        " --curves-out {output.curves} 2>&1 | tee {log}"


rule completion_figure:
    """width (test error / iterations vs width per depth), speed (curves + speed-ups), movielens (RMSE curves)."""
    input:
        table=paths.table("completion"),
        summary=paths.summary("completion"),
        timing=lambda wildcards: (rules.completion_movielens.output.timing if wildcards.figure == "movielens"
                                  else rules.completion_speed.output.timing),
        code=lambda wc: code(f"completion figure-{wc.figure}"),
    output:
        pdf=paths.figure("completion", "{figure}", "pdf"),
        png=report(paths.figure("completion", "{figure}", "png"), caption="../../lowdim/studies/completion/report.rst", category="completion"),
    wildcard_constraints:
        figure="width|speed|movielens",
    log:
        paths.log("completion", "figure", "{figure}"),
    conda:
        CONDA_ENV
    shell:
        "python -m lowdim completion figure-{wildcards.figure} --table {input.table} --timing {input.timing}"
        " --summary {input.summary} --out-pdf {output.pdf} --out-png {output.png} 2>&1 | tee {log}"


rule completion:
    """Everything the completion study produces."""
    input:
        rules.completion_table.output,
        [paths.figure("completion", f, ext) for f in ("width", "speed", "movielens") for ext in ("pdf", "png")],
