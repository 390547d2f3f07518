"""The slurm profile on a real Slurm (started on loopback by workflow/profiles/slurm/testbed/up.sh):
the tiny study through sbatch matches a local run, and a job Slurm kills is reported, leaves no
partial output, and resumes from its checkpoint on the re-run. Skips (with the reason) where
Slurm cannot be started. Runs last: it needs the testbed up, and stops it at the end."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from lowdim import tables

from conftest import ROOT, make_project, run

pytestmark = pytest.mark.slow
TESTBED = ROOT / "workflow" / "profiles" / "slurm" / "testbed"
IN_NETNS = ["nsenter", "--net=/run/netns/lowdim-slurm"]  # the testbed's loopback-only network namespace
SLURM = ["--profile", "workflow/profiles/slurm", "--slurm-init-seconds-before-status-checks", "1"]
#: the studies sent through sbatch (the others add minutes and no new cluster behaviour)
STUDIES = ["collapse", "dln"]
TABLES = [f"results/{s}/metrics.parquet" for s in STUDIES]
TRAIN = "results/collapse/runs/digits/mlp-standard/s0/model.pt"
LONG_EPOCHS = 15_000  # about 2.2 minutes of training on 2 cores


@pytest.fixture(scope="module")
def testbed():
    up = subprocess.run([str(TESTBED / "up.sh")], capture_output=True, text=True, timeout=900)
    if up.returncode == 3:
        pytest.skip(up.stderr.strip().splitlines()[-1])
    assert up.returncode == 0, up.stderr
    yield
    subprocess.run([str(TESTBED / "down.sh")], capture_output=True, timeout=120)


def slurm_run(project: Path, *args: str, check: bool = True):
    # the plugin can loop on failed status checks and ignore SIGTERM: always under a hard timeout
    return run([*IN_NETNS, "timeout", "-k", "5", "900", "snakemake", *args, *SLURM], cwd=project, check=check,
               timeout=960, slurm=True)


def sacct_states(run_id: str) -> list[str]:
    out = subprocess.run([*IN_NETNS, "sacct", "-n", "-X", "-P", "-o", "JobName,State", "-S", "now-1days"],
                         capture_output=True, text=True, check=True).stdout
    return [line.split("|")[1] for line in out.splitlines() if line.startswith(run_id)]


@pytest.fixture(scope="module")
def on_slurm(testbed, tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("slurm") / "lowdim")
    res = slurm_run(project, *STUDIES)
    return project, res


def test_tiny_study_runs_through_sbatch_and_matches_a_local_run(on_slurm, tmp_path):
    project, res = on_slurm
    run_id = re.search(r"SLURM run ID: (\S+)", res.stdout + res.stderr).group(1)
    states = sacct_states(run_id)
    assert len(states) >= 20 and set(states) == {"COMPLETED"}, states
    local = make_project(tmp_path / "local")
    run(["snakemake", "--cores", "2", *STUDIES], cwd=local)
    keep = [c for c in tables.SCHEMA if c != "git_rev"]  # the two copies are separate git commits
    for table in TABLES:
        a, b = tables.read(project / table)[keep], tables.read(local / table)[keep]
        assert a.equals(b), table


def test_job_killed_by_slurm_is_reported_and_the_rerun_resumes(on_slurm, tmp_path):
    project, _ = on_slurm
    # a training run that outlives a 1-minute limit with margin: Slurm enforces limits on a ~30 s
    # sweep, so the kill lands 60-95 s in; 7,000 epochs (~65 s) raced it and sometimes finished
    long = tmp_path / "long.yaml"
    long.write_text(f"collapse:\n  train: {{epochs: {LONG_EPOCHS}, checkpoint_every: 100, eval_every: 100000}}\n")
    killed = slurm_run(project, TRAIN, "--configfile", str(long), "--set-resources", "collapse_train:runtime=1",
                       check=False)
    text = killed.stdout + killed.stderr
    assert killed.returncode != 0
    match = re.search(r"Error in rule collapse_train:\s+message: SLURM-job '(\d+)' failed, SLURM status is: 'TIMEOUT'", text)
    assert match, text[-3000:]
    run_dir = project / Path(TRAIN).parent
    assert not (run_dir / "model.pt").exists() and not (run_dir / "history.parquet").exists()
    assert (run_dir / "checkpoint.pt").exists()
    again = slurm_run(project, TRAIN, "--configfile", str(long), "--set-resources", "collapse_train:runtime=10")
    jobs = re.findall(r"^rule (\w+):", again.stdout + again.stderr, flags=re.M)
    assert jobs == ["collapse_train"]  # the finished data preparation is not re-run
    log = (project / "logs/collapse/train_digits_mlp-standard_s0.log").read_text()
    assert re.search(r"resuming from epoch [1-9]\d*", log)
    assert tables.read(run_dir / "history.parquet")["step"].max() == LONG_EPOCHS
