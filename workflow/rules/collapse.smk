# The neural-collapse study. A run is {dataset}/{model}-{head}/s{seed}: train -> metrics (its features'
# statistics, then the metrics, in one job) per run (plus a probe for the transfer runs), then the table and four figures.
from lowdim.studies import collapse as collapse_study

COLLAPSE = config["collapse"]
COLLAPSE_RUN = collapse_study.RUN


wildcard_constraints:
    model="[a-z0-9_]+",
    head="standard|normalized|transfer",


rule collapse_train:
    """Train one classifier to the terminal phase (checkpointed; a re-run resumes)."""
    input:
        data=paths.prepared("{dataset}"),
        code=code("collapse train"),
    output:
        model=paths.model("collapse", COLLAPSE_RUN),
        history=paths.history("collapse", COLLAPSE_RUN),
    params:
        spec=lambda wc: spec(collapse_study.train_spec(config, wc.model, wc.head)),
        run=COLLAPSE_RUN,
        checkpoint=paths.checkpoint("collapse", COLLAPSE_RUN),
    threads: TRAIN_RES["cpus"]
    resources:
        gpu=TRAIN_RES["gpu"],
        mem_mb=TRAIN_RES["mem_mb"],
        runtime=TRAIN_RES["runtime"],
    benchmark:
        paths.benchmark("collapse", "train", "{dataset}_{model}-{head}_s{seed}")
    log:
        paths.log("collapse", "train", "{dataset}_{model}-{head}_s{seed}"),
    conda:
        CONDA_ENV
    shell:
        "OMP_NUM_THREADS={threads} python -m lowdim collapse train --spec {params.spec:q} --run {params.run}"
        " --data-path {input.data} --model-out {output.model} --history-out {output.history}"
        " --checkpoint {params.checkpoint} 2>&1 | tee {log}"


rule collapse_metrics:
    """Stream every layer's training features into per-class sufficient statistics, then layerwise NC1,
    compression, discrimination and rank with the training history (one job: the metrics are milliseconds)."""
    input:
        data=paths.prepared("{dataset}"),
        model=paths.model("collapse", COLLAPSE_RUN),
        history=paths.history("collapse", COLLAPSE_RUN),
        code=code("collapse measure"),
    output:
        stats=paths.feature_stats("collapse", COLLAPSE_RUN),
        metrics=paths.run_metrics("collapse", COLLAPSE_RUN),
    params:
        spec=lambda wc: spec(collapse_study.features_spec(config, wc.model, wc.head)),
        run=COLLAPSE_RUN,
    threads: TRAIN_RES["cpus"]
    resources:
        gpu=TRAIN_RES["gpu"],
        mem_mb=TRAIN_RES["mem_mb"],
    benchmark:
        paths.benchmark("collapse", "metrics", "{dataset}_{model}-{head}_s{seed}")
    log:
        paths.log("collapse", "metrics", "{dataset}_{model}-{head}_s{seed}"),
    conda:
        CONDA_ENV
    shell:
        "OMP_NUM_THREADS={threads} python -m lowdim collapse measure --spec {params.spec:q} --run {params.run}"
        " --data-path {input.data} --model-path {input.model} --history-path {input.history}"
        " --stats-out {output.stats} --out {output.metrics} 2>&1 | tee {log}"


rule collapse_transfer:
    """Linear probes of every layer of a source-class model on the held-out classes."""
    input:
        data=paths.prepared("{dataset}"),
        model=paths.model("collapse", COLLAPSE_RUN),
        code=code("collapse transfer"),
    output:
        paths.run_metrics("collapse", COLLAPSE_RUN, "transfer"),
    params:
        spec=lambda wc: spec(collapse_study.features_spec(config, wc.model, wc.head)),
        run=COLLAPSE_RUN,
    threads: TRAIN_RES["cpus"]
    benchmark:
        paths.benchmark("collapse", "transfer", "{dataset}_{model}-{head}_s{seed}")
    log:
        paths.log("collapse", "transfer", "{dataset}_{model}-{head}_s{seed}"),
    conda:
        CONDA_ENV
    shell:
        "OMP_NUM_THREADS={threads} python -m lowdim collapse transfer --spec {params.spec:q} --run {params.run}"
        " --data-path {input.data} --model-path {input.model} --out {output} 2>&1 | tee {log}"


rule collapse_table:
    """The study's long table, its DVC metrics JSON and its DVC plots CSV."""
    input:
        runs=[paths.run_metrics("collapse", r) for r in collapse_study.runs(COLLAPSE) + collapse_study.transfer_runs(COLLAPSE)],
        probes=[paths.run_metrics("collapse", r, "transfer") for r in collapse_study.transfer_runs(COLLAPSE)],
        code=code("collapse aggregate"),
    output:
        table=paths.table("collapse"),
        summary=paths.summary("collapse"),
        curves=paths.curves("collapse"),
    params:
        models=spec(COLLAPSE["models"]),
    benchmark:
        paths.benchmark("collapse", "table")
    log:
        paths.log("collapse", "table"),
    conda:
        CONDA_ENV
    shell:
        "python -m lowdim collapse aggregate --inputs {input.runs} {input.probes} --table-out {output.table}"
        " --summary-out {output.summary} --curves-out {output.curves} --models {params.models:q} 2>&1 | tee {log}"


rule collapse_figure:
    """One of the table-based figures: training, layerwise or transfer (PDF and PNG)."""
    input:
        table=paths.table("collapse"),
        code=lambda wc: code(f"collapse figure-{wc.figure}"),
    output:
        pdf=paths.figure("collapse", "{figure}", "pdf"),
        png=report(paths.figure("collapse", "{figure}", "png"), caption="../../lowdim/studies/collapse/report.rst", category="collapse"),
    params:
        models=spec(COLLAPSE["models"]),
    wildcard_constraints:
        figure="training|layerwise|transfer",
    benchmark:
        paths.benchmark("collapse", "figure", "{figure}")
    log:
        paths.log("collapse", "figure", "{figure}"),
    conda:
        CONDA_ENV
    shell:
        "python -m lowdim collapse figure-{wildcards.figure} --table {input.table} --models {params.models:q}"
        " --out-pdf {output.pdf} --out-png {output.png} 2>&1 | tee {log}"


rule collapse_umap:
    """UMAP of features at a few layers, coloured by class (PDF and PNG)."""
    input:
        data=[paths.prepared(collapse_study.parse_run(r)["dataset"]) for r in collapse_study.umap_runs(COLLAPSE)],
        models=[paths.model("collapse", r) for r in collapse_study.umap_runs(COLLAPSE)],
        code=code("collapse figure-umap"),
    output:
        pdf=paths.figure("collapse", "umap", "pdf"),
        png=report(paths.figure("collapse", "umap", "png"), caption="../../lowdim/studies/collapse/report.rst", category="collapse"),
    params:
        spec=spec({**collapse_study.features_spec(config, next(iter(COLLAPSE["models"])), "standard"), "umap": COLLAPSE["umap"]}),
        runs=collapse_study.umap_runs(COLLAPSE),
    threads: TRAIN_RES["cpus"]
    benchmark:
        paths.benchmark("collapse", "figure", "umap")
    log:
        paths.log("collapse", "figure", "umap"),
    conda:
        CONDA_ENV
    shell:
        "OMP_NUM_THREADS={threads} NUMBA_NUM_THREADS={threads} python -m lowdim collapse figure-umap --spec {params.spec:q}"
        " --runs {params.runs} --data-paths {input.data} --model-paths {input.models}"
        " --out-pdf {output.pdf} --out-png {output.png} 2>&1 | tee {log}"


rule collapse:
    """Everything the collapse study produces."""
    input:
        rules.collapse_table.output,
        [paths.figure("collapse", f, ext) for f in ("training", "layerwise", "transfer", "umap") for ext in ("pdf", "png")],
