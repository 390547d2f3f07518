"""The workflow itself, run for real: lint, dry runs of every config, a tiny end-to-end run
through Snakemake, DVC on top of it (no-op repro, re-run granularity, experiments, remote)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from lowdim import tables
from lowdim.claims.scorecard import registry
from lowdim.studies import STUDIES

from conftest import ROOT, run, write_params

pytestmark = pytest.mark.slow
#: the claims the tiny configuration (conftest.TINY) leaves without evidence, each with (part of) the reason it gives:
#: its 4-epoch MLP never reaches zero training error, it trains one head and no MSE model, no rank sweep, its
#: 2-epoch U-Nets find no building (IoU 0, so no fraction of a gap)
NO_EVIDENCE_AT_TINY = {
    "nc1_falls": "no run at zero training error", "nc1_falls_in_tpt": "no run reached zero training error",
    "nc234_fall": "not at zero training error, not counted",
    "normalized_faster[digits]": "no dataset and architecture trained with both heads",
    "nonlinear_geometric_compression[digits]": "no standard-head MSE model",
    "transfer_less_collapsed[digits]": "no transfer run at zero",
    "deep_lora_rank_robust": "this scale runs no rank sweep", "rhm_closes_gap[inria_spacenet]": "closed nan of it",
    "rhm_closes_gap[overhead]": "closed nan of it",
}
CONFIGS = [None] + sorted(str(p.relative_to(ROOT)) for p in (ROOT / "workflow" / "configs").glob("*.yaml"))
FIGURES = ("training", "layerwise", "transfer", "umap")
FINAL = ["results/embedded/collapse/metrics.parquet", "results/embedded/summary/collapse.json", "results/embedded/curves/collapse.csv"] + [
    f"results/embedded/collapse/figures/{f}.{ext}" for f in FIGURES for ext in ("pdf", "png")] + [
    "results/embedded/dln/metrics.parquet", "results/embedded/summary/dln.json", "results/embedded/curves/dln.csv"] + [
    f"results/embedded/dln/figures/{f}.{ext}" for f in ("progressive", "spectra", "trajectories") for ext in ("pdf", "png")]
MC_FIGURES = ("width", "speed", "movielens")
FINAL += ["results/embedded/completion/metrics.parquet", "results/embedded/summary/completion.json", "results/embedded/curves/completion.csv"] + [
    f"results/embedded/completion/figures/{f}.{ext}" for f in MC_FIGURES for ext in ("pdf", "png")]
MC_JOBS = (["completion_depth_width"] + ["completion_speed", "completion_movielens", "completion_table"]
           + ["completion_figure"] * 3)
AD_FIGURES = ("samples", "ranks", "curves", "spectra")
FINAL += ["results/embedded/claims.parquet", "results/embedded/claims.md", "results/embedded/claims.html", "results/embedded/summary/claims.json"]
FINAL += ["results/embedded/adapt/metrics.parquet", "results/embedded/summary/adapt.json", "results/embedded/curves/adapt.csv"] + [
    f"results/embedded/adapt/figures/{f}.{ext}" for f in AD_FIGURES for ext in ("pdf", "png")]
FINAL += ["results/embedded/rhm/metrics.parquet", "results/embedded/summary/rhm.json", "results/embedded/curves/rhm.csv"] + [
    f"results/embedded/rhm/figures/{f}.{ext}" for f in ("domains", "invariance", "examples_inria_spacenet",
                                                        "examples_overhead", "splits_inria_spacenet", "scenes")
    for ext in ("pdf", "png")]
#: the tiny config runs both data sources: the real tiles and the procedural scenes
RHM_JOBS = (["rhm_train"] * 12 + ["rhm_table", "rhm_examples", "rhm_examples", "rhm_splits", "rhm_scenes"]
            + ["rhm_figure"] * 2)
AD_JOBS = ["adapt_finetune"] * 2 + ["adapt_table"] + ["adapt_figure"] * 4
DLN_JOBS = ["dln_progressive", "dln_invariant", "dln_compressed", "dln_table"] + ["dln_figure"] * 3
#: the jobs of the collapse study at the tiny config: 2 runs (standard head + transfer model)
STUDY_JOBS = (["collapse_train"] * 2 + ["collapse_metrics"] * 2
              + ["collapse_transfer", "collapse_table", "collapse_umap"] + ["collapse_figure"] * 3)


def jobs_since(project: Path, before: set[Path]) -> list[str]:
    """Rules of the jobs Snakemake ran, from the logs it wrote after ``before`` was taken."""
    rules = []
    for log in sorted(set((project / ".snakemake" / "log").glob("*.log")) - before):
        rules += re.findall(r"^(?:local)?rule (\w+):", log.read_text(), flags=re.M)
    return sorted(rules)


def logs(project: Path) -> set[Path]:
    return set((project / ".snakemake" / "log").glob("*.log"))


def test_lint_is_clean(project):
    res = run(["snakemake", "--lint"], cwd=project, check=False)
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize("configfile", CONFIGS)
def test_dry_run_of_whole_dag(project, configfile):
    extra = ["--configfile", configfile] if configfile else []
    res = run(["snakemake", "-n", "--cores", "1", *extra], cwd=project)
    assert "collapse_train" in res.stdout and "Job stats" in res.stdout


def test_paper_config_dry_runs_on_the_slurm_profile_with_gpus(project):
    res = run(["timeout", "-k", "5", "120", "snakemake", "-n", "--profile", "workflow/profiles/slurm",
               "--configfile", "workflow/configs/paper.yaml"], cwd=project, slurm=True)
    block = res.stdout[res.stdout.index("rule collapse_train:"):]
    resources = next(line for line in block.splitlines() if "resources:" in line)
    assert "gpu=1" in resources and "runtime=360" in resources and "slurm_account=lowdim" in resources


@pytest.fixture(scope="module")
def built(project):
    before = logs(project)
    res = run(["snakemake", "--cores", "2"], cwd=project)
    return project, res, jobs_since(project, before)


def test_end_to_end_run_produces_every_output(built):
    project, res, jobs = built
    assert jobs == sorted(["prepare_data"] * 5 + ["all", "claims"] + STUDY_JOBS + DLN_JOBS + MC_JOBS + AD_JOBS + RHM_JOBS)
    for f in FINAL:
        assert (project / f).stat().st_size > 0, f
    df = tables.read(project / "results/embedded/collapse/metrics.parquet")
    nc1 = df[(df.metric == "nc1") & (df.experiment == "layerwise")].sort_values("layer")
    assert nc1["layer"].tolist() == [0, 1, 2] and nc1["value"].gt(0).all()
    assert set(df.experiment) == {"training", "layerwise", "transfer"}
    assert df[df.metric == "transfer_acc"]["layer"].tolist() == [0, 1, 2]
    assert df["git_rev"].nunique() == 1 and df["params_hash"].str.len().eq(12).all()
    assert "per-rule wall time" in res.stderr  # timing table in the run log
    assert (project / "dvc.lock").exists()  # onsuccess recorded the run for DVC
    # a finished fine-tuning job leaves no checkpoints for DVC to version (they only serve an interrupted job)
    assert not list((project / "results/embedded/adapt/runs").glob("*/seed*.pt"))


def test_claims_table_and_report_render_in_headless_chromium(built):
    project, _, _ = built
    md = (project / "results/embedded/claims.md").read_text()
    assert md.count("\n| **") >= 15 and "claims hold" in md and "in this run (embedded scale)" in md
    counts = json.loads((project / "results/embedded/summary/claims.json").read_text())
    assert set(counts) == {*STUDIES, "all", "measured"}
    # every registered claim was evaluated: a claim that raised would have failed the claims step; one whose runs
    # the tiny config leaves out says which
    claims = pd.read_parquet(project / "results/embedded/claims.parquet")
    assert {name.split("[")[0] for name in claims["claim"]} == {c.name for c in registry()}
    missing = claims[claims["verdict"] == "no evidence"]
    assert set(missing["claim"]) == set(NO_EVIDENCE_AT_TINY)
    assert all(NO_EVIDENCE_AT_TINY[c] in d for c, d in zip(missing["claim"], missing["detail"])), missing["detail"].tolist()
    run(["snakemake", "--report", "results/embedded/report.html"], cwd=project)
    html = (project / "results/embedded/report.html").read_text()
    figures = sorted(p.name for p in project.glob("results/embedded/*/figures/*.png"))
    assert len(figures) == 4 + 3 + 3 + 4 + 6
    assert all(name in html for name in figures), [n for n in figures if n not in html]
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("headless Chromium is not installed (.ci/run installs Debian's chromium)")
    dom = run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=15000", "--dump-dom",
               (project / "results/embedded/report.html").as_uri()], cwd=project, timeout=120).stdout
    # the report is a JavaScript app: after it ran, its navigation lists the result categories
    for category in ("collapse", "dln", "completion", "adapt", "rhm", "claims"):
        assert category in dom, category
    assert "<script" in dom and len(dom) > 10_000


def test_noop_rerun_does_nothing(built):
    project, _, _ = built
    res = run(["snakemake", "--cores", "2"], cwd=project)
    assert "Nothing to be done" in res.stdout + res.stderr


def test_dvc_repro_after_snakemake_does_nothing(built):
    project, _, _ = built
    before = logs(project)
    res = run(["dvc", "repro"], cwd=project)
    assert "didn't change, skipping" in res.stdout and jobs_since(project, before) == []
    assert "Data and pipelines are up to date" in res.stdout


def test_same_seed_same_params_same_tables(built):
    project, _, _ = built
    table = project / "results/embedded/collapse/metrics.parquet"
    first = tables.read(table)
    run(["snakemake", "--cores", "2", "--forcerun", "collapse_train"], cwd=project)
    again = tables.read(table)
    cols = [c for c in tables.SCHEMA if c != "git_rev"]
    assert first[cols].equals(again[cols])
    run(["dvc", "commit", "--force", "-q"], cwd=project)


def test_dvc_repro_reruns_only_the_edited_study(built):
    project, _, _ = built
    # a data parameter no configured study uses: the prepare stage re-runs, but no job does
    write_params(project, {"data": {"lowrank": {"observed": 0.5}}})
    before = logs(project)
    res = run(["dvc", "repro"], cwd=project)
    assert "Stage 'collapse' didn't change" in res.stdout and jobs_since(project, before) == []
    # one value of the DLN study: only its jobs that read it re-run, the collapse study is untouched
    write_params(project, {"dln": {"compressed": {"lr": 0.4}}})
    before = logs(project)
    res = run(["dvc", "repro"], cwd=project)
    assert "Stage 'collapse' didn't change" in res.stdout
    assert jobs_since(project, before) == sorted(["dln_compressed", "dln_table", "dln", "claims"] + ["dln_figure"] * 3)
    # one value of the collapse study: exactly that study's jobs re-run, data is left alone
    write_params(project, {"collapse": {"train": {"epochs": 3}}})
    before = logs(project)
    res = run(["dvc", "repro"], cwd=project)
    assert "Stage 'prepare' didn't change" in res.stdout
    assert jobs_since(project, before) == sorted(STUDY_JOBS + ["collapse", "claims"])
    df = tables.read(project / "results/embedded/collapse/metrics.parquet")
    assert df[df.experiment == "training"]["step"].max() == 3
    assert "didn't change" in run(["dvc", "repro"], cwd=project).stdout  # and now nothing is left to do


def test_editing_a_figure_module_reruns_only_figure_jobs(built):
    """Code dependencies come from the steps' imports (lowdim.pipeline.code): an edit to the DLN
    figures re-runs the DLN figure jobs only, in Snakemake and in DVC (only the dln stage changes)."""
    project, _, _ = built
    fig = project / "lowdim" / "studies" / "dln" / "figures.py"
    fig.write_text(fig.read_text() + "\n# an edit\n")
    dry = run(["snakemake", "-n", "--cores", "2"], cwd=project).stdout
    planned = re.findall(r"^(?:local)?rule (\w+):", dry, flags=re.M)
    assert sorted(r for r in planned if r not in ("all", "dln")) == ["dln_figure"] * 3, dry[-2000:]
    status = run(["dvc", "status"], cwd=project).stdout
    changed = set(re.findall(r"^(\w+):", status, flags=re.M))
    assert changed == {"dln"} and "lowdim/studies/dln/figures.py" in status, status
    before = logs(project)
    run(["dvc", "repro"], cwd=project)
    assert jobs_since(project, before) == sorted(["dln_figure"] * 3 + ["dln"])


def test_dvc_exp_run_with_set_param(built):
    project, _, _ = built
    run("git add -A && git -c user.name=t -c user.email=t@t commit -q -m 'epochs 3' && true", cwd=project)
    res = run(["dvc", "exp", "run", "-S", "dln.compressed.lr=0.25"], cwd=project)  # one cheap job and what reads it
    assert "Ran experiment" in res.stdout + res.stderr
    shown = run(["dvc", "exp", "show", "--no-pager", "--csv"], cwd=project).stdout
    assert "0.25" in shown
    # readable: the DVC metrics are the headline only (claims held per study, one value per claim)
    header = shown.splitlines()[0].split(",")
    metrics = [c for c in header if c.startswith("measured.") or c.rsplit(".", 1)[-1] in ("held", "total", "not_resolved")]
    assert 20 <= len(metrics) <= 40 and "all.held" in metrics, header
    shown_metrics = json.loads(run(["dvc", "metrics", "show", "--json"], cwd=project).stdout)
    files = {f for rev in shown_metrics.values() for f in rev.get("data", {})}
    assert files == {"results/embedded/summary/claims.json"}, files
    changed = run(["dvc", "exp", "show", "--no-pager", "--csv", "--only-changed"], cwd=project).stdout
    assert "dln.compressed.lr" in changed.splitlines()[0]


def test_dvc_push_and_pull_with_the_default_remote(built):
    project, _, _ = built
    run(["dvc", "push", "-q"], cwd=project)
    shutil.rmtree(project / "results" / "embedded" / "collapse")
    shutil.rmtree(project / ".dvc" / "cache")
    run(["dvc", "pull", "-q"], cwd=project)
    assert tables.read(project / "results/embedded/collapse/metrics.parquet").shape[0] > 0
