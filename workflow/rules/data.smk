# Dataset preparation: one compact .npz per dataset under data/prepared (a DVC output).

#: every dataset a registered study prepares (lowdim.studies.datasets: each study says which, from its params)
DATASETS_USED = sorted({d for s in STUDIES for d in study_datasets(s, config)})


rule prepare_data:
    """Fetch (mirror or URL, SHA-256 checked) or generate a dataset and write it compactly."""
    input:
        code("data prepare"),
    output:
        paths.prepared("{dataset}"),
    params:
        spec=lambda wc: spec(lowdim_data.spec_params(wc.dataset, config["data"])),
    priority: LONG_JOB  # upstream of the long jobs: without it they wait for it behind every other job
    benchmark:
        paths.benchmark("data", "prepare", "{dataset}")
    log:
        paths.log("data", "prepare", "{dataset}"),
    conda:
        CONDA_ENV
    shell:
        "python -m lowdim data prepare --name {wildcards.dataset} --spec {params.spec:q} --out {output} 2>&1 | tee {log}"


rule prepare:
    """All datasets the configured studies use."""
    input:
        [paths.prepared(d) for d in DATASETS_USED],


DVC_STAGES["prepare"] = [paths.prepared(d) for d in DATASETS_USED]
