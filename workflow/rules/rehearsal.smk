# The paper scale's rehearsal (scale: rehearsal, workflow/configs/rehearsal.yaml over paper.yaml): beside every
# paper job, cut to a few steps, the list of stand-ins it read and the projected cost of the real thing.


rule rehearsal_standins:
    """What the rehearsal read that is not the real dataset (lowdim.rehearsal.standins)."""
    input:
        f"{paths.REHEARSAL_MIRROR}/STANDINS.md",
    output:
        f"{paths.RESULTS}/STANDINS.md",
    shell:
        "cp {input} {output}"


rule rehearsal_cost:
    """A step of every paper job family at paper shape, measured on this CPU: the paper scale's projected
    GPU-hours and CPU core-hours (README, "Scales")."""
    input:
        code("rehearsal cost"),
        "params.yaml",
        "workflow/configs/paper.yaml",
    output:
        f"{paths.RESULTS}/cost.md",
        f"{paths.RESULTS}/cost.json",
    benchmark:
        paths.benchmark("rehearsal", "cost", "all")
    log:
        paths.log("rehearsal", "cost", "all"),
    threads: workflow.cores
    shell:
        "python -m lowdim rehearsal cost --out {output[0]} --params params.yaml workflow/configs/paper.yaml 2>&1 | tee {log}"


rule rehearsal:
    """The rehearsal's own outputs (its jobs are the paper DAG's)."""
    input:
        rules.rehearsal_standins.output,
        rules.rehearsal_cost.output,
