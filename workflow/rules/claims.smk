# The reproduction scorecard: every registered study's claims (lowdim/studies/<study>/claims.py) evaluated on its
# table and summary.


rule claims:
    """results/<scale>/claims.parquet + .md + .html (claim, paper's number, ours with its interval, verdict), the
    headline DVC metrics (claims held per study, each claim's value) and results/scorecard.md (every scale run so
    far, one column each)."""
    input:
        tables=[paths.table(s) for s in STUDIES],
        summaries=[paths.summary(s) for s in STUDIES],
        code=code("claims score"),
    output:
        table=paths.claims("parquet"),
        md=paths.claims("md"),
        html=report(paths.claims("html"), caption="../report/claims.rst", category="claims"),
        summary=paths.summary("claims"),
    params:
        thresholds=spec(config["claims"]),
        scale=config["scale"],
        scorecard=paths.scorecard(),
    log:
        paths.log("claims", "score"),
    conda:
        CONDA_ENV
    shell:
        "python -m lowdim claims score --inputs {input.tables} --summaries {input.summaries}"
        " --thresholds {params.thresholds:q} --out-parquet {output.table} --out-md {output.md} --out-html {output.html}"
        " --summary-out {output.summary} --scale {params.scale} --ladder-md {params.scorecard} 2>&1 | tee {log}"


DVC_STAGES["claims"] = list(rules.claims.output)
