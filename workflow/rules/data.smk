# Dataset preparation: one compact .npz per dataset under data/prepared (a DVC output).

#: every dataset a registered study prepares (lowdim.studies.datasets: each study says which, from its params)
DATASETS_USED = sorted({d for s in STUDIES for d in study_datasets(s, config)})


#: The paper scale's rehearsal (workflow/configs/rehearsal.yaml) reads a mirror of its own: the real mirror's
#: folders linked, and stand-ins in the real formats where no offline copy exists (lowdim.rehearsal.standins).
REHEARSAL = config["scale"] == "rehearsal"


if REHEARSAL:

    rule rehearsal_mirror:
        """The rehearsal's mirror: links to the real one and the stand-ins, listed in STANDINS.md."""
        input:
            code("rehearsal stage"),
        output:
            f"{paths.REHEARSAL_MIRROR}/STANDINS.md",
        params:
            images=config["data"]["inria"]["images"],
        log:
            paths.log("data", "rehearsal", "mirror"),
        shell:
            "python -m lowdim rehearsal stage --out {paths.REHEARSAL_MIRROR} --inria-images {params.images} 2>&1 | tee {log}"


rule prepare_data:
    """Fetch (mirror or URL, SHA-256 checked) or generate a dataset and write it compactly."""
    input:
        code("data prepare"),
        [f"{paths.REHEARSAL_MIRROR}/STANDINS.md"] if REHEARSAL else [],
    output:
        paths.prepared("{dataset}"),
    params:
        spec=lambda wc: spec(lowdim_data.spec_params(wc.dataset, config["data"])),
        where=f"--raw {paths.RAW} --mirror {paths.REHEARSAL_MIRROR}" if REHEARSAL else "",
    priority: LONG_JOB  # upstream of the long jobs: without it they wait for it behind every other job
    benchmark:
        paths.benchmark("data", "prepare", "{dataset}")
    log:
        paths.log("data", "prepare", "{dataset}"),
    conda:
        CONDA_ENV
    shell:
        "python -m lowdim data prepare --name {wildcards.dataset} --spec {params.spec:q} --out {output} {params.where} 2>&1 | tee {log}"


rule prepare:
    """All datasets the configured studies use."""
    input:
        [paths.prepared(d) for d in DATASETS_USED],


DVC_STAGES["prepare"] = [paths.prepared(d) for d in DATASETS_USED]
