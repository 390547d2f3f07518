# The neural-collapse study: train -> features -> metrics per run, then table and figures.
# A run is one (dataset, seed); model/train/features values arrive through params.

COLLAPSE = config["collapse"]
COLLAPSE_RUNS = [(d, s) for d in COLLAPSE["datasets"] for s in COLLAPSE["seeds"]]
TRAIN_RES = config["resources"]["train"]


rule collapse_train:
    """Train one classifier (checkpointed; a re-run resumes from the last checkpoint)."""
    input:
        data=paths.prepared("{dataset}"),
        code=sources("models", "train", "studies/collapse.py"),
    output:
        model=paths.model("collapse", "{dataset}", "{seed}"),
        history=paths.history("collapse", "{dataset}", "{seed}"),
    params:
        spec=study_spec(config, "collapse", "model", "train"),
        checkpoint=lambda wc: paths.checkpoint("collapse", wc.dataset, wc.seed),
    threads: TRAIN_RES["cpus"]
    resources:
        gpu=TRAIN_RES["gpu"],
        mem_mb=TRAIN_RES["mem_mb"],
        runtime=TRAIN_RES["runtime"],
    benchmark:
        paths.benchmark("collapse", "train", "{dataset}_s{seed}")
    log:
        paths.log("collapse", "train", "{dataset}_s{seed}"),
    conda:
        CONDA_ENV
    shell:
        "OMP_NUM_THREADS={threads} python -m lowdim collapse train --spec {params.spec:q}"
        " --dataset {wildcards.dataset} --seed {wildcards.seed} --data-path {input.data}"
        " --model-out {output.model} --history-out {output.history} --checkpoint {params.checkpoint} 2>&1 | tee {log}"


rule collapse_features:
    """Stream every layer's training features into per-class sufficient statistics."""
    input:
        data=paths.prepared("{dataset}"),
        model=paths.model("collapse", "{dataset}", "{seed}"),
        code=sources("models", "metrics", "studies/collapse.py"),
    output:
        paths.feature_stats("collapse", "{dataset}", "{seed}"),
    params:
        spec=study_spec(config, "collapse", "model", "features"),
    threads: TRAIN_RES["cpus"]
    resources:
        gpu=TRAIN_RES["gpu"],
        mem_mb=TRAIN_RES["mem_mb"],
    benchmark:
        paths.benchmark("collapse", "features", "{dataset}_s{seed}")
    log:
        paths.log("collapse", "features", "{dataset}_s{seed}"),
    conda:
        CONDA_ENV
    shell:
        "OMP_NUM_THREADS={threads} python -m lowdim collapse features --spec {params.spec:q}"
        " --seed {wildcards.seed} --data-path {input.data} --model-path {input.model} --out {output} 2>&1 | tee {log}"


rule collapse_metrics:
    """NC1, compression and discrimination per layer, plus the training history."""
    input:
        stats=paths.feature_stats("collapse", "{dataset}", "{seed}"),
        history=paths.history("collapse", "{dataset}", "{seed}"),
        code=sources("metrics", "studies/collapse.py"),
    output:
        paths.run_metrics("collapse", "{dataset}", "{seed}"),
    params:
        spec=study_spec(config, "collapse", "model"),
    benchmark:
        paths.benchmark("collapse", "metrics", "{dataset}_s{seed}")
    log:
        paths.log("collapse", "metrics", "{dataset}_s{seed}"),
    conda:
        CONDA_ENV
    shell:
        "python -m lowdim collapse metrics --spec {params.spec:q} --dataset {wildcards.dataset}"
        " --seed {wildcards.seed} --stats-path {input.stats} --history-path {input.history} --out {output} 2>&1 | tee {log}"


rule collapse_table:
    """The study's long table, its DVC metrics JSON and its DVC plots CSV."""
    input:
        runs=[paths.run_metrics("collapse", d, s) for d, s in COLLAPSE_RUNS],
        code=sources("studies/collapse.py"),
    output:
        table=paths.table("collapse"),
        summary=paths.summary("collapse"),
        curves=paths.curves("collapse"),
    benchmark:
        paths.benchmark("collapse", "table")
    log:
        paths.log("collapse", "table"),
    conda:
        CONDA_ENV
    shell:
        "python -m lowdim collapse aggregate --inputs {input.runs} --table-out {output.table}"
        " --summary-out {output.summary} --curves-out {output.curves} 2>&1 | tee {log}"


rule collapse_figures:
    """Layerwise NC1 / compression / discrimination figure (PDF and PNG)."""
    input:
        table=paths.table("collapse"),
        code=sources("figures", "studies/collapse.py"),
    output:
        pdf=paths.figure("collapse", "layerwise", "pdf"),
        png=paths.figure("collapse", "layerwise", "png"),
    benchmark:
        paths.benchmark("collapse", "figures")
    log:
        paths.log("collapse", "figures"),
    conda:
        CONDA_ENV
    shell:
        "python -m lowdim collapse figures --table {input.table} --out-pdf {output.pdf} --out-png {output.png} 2>&1 | tee {log}"


rule collapse:
    """Everything the collapse study produces."""
    input:
        rules.collapse_table.output,
        rules.collapse_figures.output,


DVC_STAGES["collapse"] = list(rules.collapse.input)
