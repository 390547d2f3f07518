"""The slurm profile on a real Slurm (started on loopback by workflow/profiles/slurm/testbed/up.sh):
a tiny study through sbatch matches a local run, and a training job Slurm kills is reported, leaves
no partial output, and resumes from its checkpoint on the re-run. Skips (with the reason) where
Slurm cannot be started. Runs last: it needs the testbed up, and stops it at the end.

Each behaviour on the smallest DAG that shows it: the dln study (8 jobs, every kind of step:
data-free training, table, figures) through sbatch; one collapse training job (and its data) for the
kill, which is Slurm's SIGTERM to the whole job once its first checkpoint is written (what a time limit
or a preemption sends first; the job ends FAILED). A real time-limit kill costs Slurm's 30-second limit
sweep and the plugin's growing status-check interval, minutes for the same path; a plain `scancel`
leaves the state "CANCELLED by 0", which plugin 2.8.0 does not recognise as failed and waits on."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest

from lowdim import tables

from conftest import ROOT, env, make_project, run

pytestmark = pytest.mark.slow
TESTBED = ROOT / "workflow" / "profiles" / "slurm" / "testbed"
IN_NETNS = ["nsenter", "--net=/run/netns/lowdim-slurm"]  # the testbed's loopback-only network namespace
SLURM = ["--profile", "workflow/profiles/slurm", "--slurm-init-seconds-before-status-checks", "1"]
#: the study sent through sbatch (the others add minutes and no new cluster behaviour)
STUDIES = ["dln"]
TABLES = [f"results/embedded/{s}/metrics.parquet" for s in STUDIES]
TRAIN = "results/embedded/collapse/runs/digits/mlp-standard/s0/model.pt"
LONG_EPOCHS = 800  # about 15 s of training under Slurm: killed after its first checkpoint (epoch 100)


@pytest.fixture(scope="module")
def testbed():
    up = subprocess.run([str(TESTBED / "up.sh")], capture_output=True, text=True, timeout=900)
    if up.returncode == 3:
        pytest.skip(up.stderr.strip().splitlines()[-1])
    assert up.returncode == 0, up.stderr
    yield
    subprocess.run([str(TESTBED / "down.sh")], capture_output=True, timeout=120)


def slurm_cmd(*args: str) -> list[str]:
    # the plugin can loop on failed status checks and ignore SIGTERM: always under a hard timeout
    return [*IN_NETNS, "timeout", "-k", "5", "900", "snakemake", *args, *SLURM]


def slurm_run(project: Path, *args: str, check: bool = True):
    return run(slurm_cmd(*args), cwd=project, check=check, timeout=960, slurm=True)


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
    assert len(states) >= 7 and set(states) == {"COMPLETED"}, states
    local = make_project(tmp_path / "local")
    run(["snakemake", "--cores", "2", *STUDIES], cwd=local)
    keep = [c for c in tables.SCHEMA if c != "git_rev"]  # the two copies are separate git commits
    for table in TABLES:
        a, b = tables.read(project / table)[keep], tables.read(local / table)[keep]
        assert a.equals(b), table


def running_jobs() -> list[str]:
    out = subprocess.run([*IN_NETNS, "squeue", "-h", "-t", "RUNNING", "-o", "%i"], capture_output=True, text=True,
                         check=True).stdout
    return out.split()


def test_job_killed_by_slurm_is_reported_and_the_rerun_resumes(on_slurm, tmp_path):
    project, _ = on_slurm
    long = tmp_path / "long.yaml"
    long.write_text(f"collapse:\n  train: {{epochs: {LONG_EPOCHS}, checkpoint_every: 100, eval_every: 100000}}\n")
    run_dir = project / Path(TRAIN).parent
    run(["snakemake", "--cores", "1", "data/prepared/embedded/digits.npz"], cwd=project)  # its data, locally
    # the job's runtime resource becomes its Slurm time limit (checked in sacct below)
    proc = subprocess.Popen(slurm_cmd(TRAIN, "--configfile", str(long), "--set-resources", "collapse_train:runtime=7"),
                            cwd=project, env=env(slurm=True), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 300
    while not (run_dir / "checkpoint.pt").exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    jobs = running_jobs()
    assert (run_dir / "checkpoint.pt").exists() and len(jobs) == 1, (jobs, proc.poll())
    subprocess.run([*IN_NETNS, "scancel", "--signal=TERM", "--full", jobs[0]], check=True)
    text, _ = proc.communicate(timeout=600)
    assert proc.returncode != 0
    match = re.search(r"Error in rule collapse_train:\s+message: SLURM-job '(\d+)' failed, SLURM status is: 'FAILED'",
                      text)
    assert match and match.group(1) == jobs[0], text[-3000:]
    limit = subprocess.run([*IN_NETNS, "sacct", "-n", "-X", "-P", "-j", jobs[0], "-o", "Timelimit"], capture_output=True,
                           text=True, check=True).stdout.split()
    assert limit == ["00:07:00"], limit
    assert not (run_dir / "model.pt").exists() and not (run_dir / "history.parquet").exists()
    assert (run_dir / "checkpoint.pt").exists()
    again = slurm_run(project, TRAIN, "--configfile", str(long), "--set-resources", "collapse_train:runtime=10")
    jobs = re.findall(r"^rule (\w+):", again.stdout + again.stderr, flags=re.M)
    assert jobs == ["collapse_train"]  # nothing else is re-run
    log = (project / "logs/embedded/collapse/train_digits_mlp-standard_s0.log").read_text()
    assert re.search(r"resuming from epoch [1-9]\d*", log)
    assert tables.read(run_dir / "history.parquet")["step"].max() == LONG_EPOCHS
