"""The shared training loop: resume after kill -9 reproduces an uninterrupted run; NaN guard."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from lowdim import data, tables

SPEC = {"device": "cpu", "head": "standard", "temperature": 0.1, "classes": None,
        "model": {"arch": "mlp", "depth": 2, "width": 64, "linear_depth": 0, "batch_norm": True, "loss": "ce", "lr": 0.02,
                  "weight_decay": 5e-4, "feature_decay": 1e-4, "init_scale": None, "output_scale": 1.0, "head_bias": True,
                  "schedule": "step"},
        "train": {"epochs": 100, "batch_size": 32, "optimizer": "sgd", "momentum": 0.9, "milestones": [0.333, 0.667],
                  "lr_min_ratio": 0.01, "checkpoint_every": 1, "eval_every": 10}}


@pytest.fixture(scope="module")
def digits(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("data")
    return data.prepare("digits", data.Context(d / "raw", None, False, {}), d / "digits.npz")


def train_cmd(digits: Path, out: Path, spec=SPEC) -> list[str]:
    return [sys.executable, "-m", "lowdim", "collapse", "train", "--spec", json.dumps(spec), "--run", "digits/mlp-standard/s7",
            "--data-path", str(digits), "--model-out", str(out / "model.pt"),
            "--history-out", str(out / "history.parquet"), "--checkpoint", str(out / "checkpoint.pt")]


def test_kill_9_then_rerun_matches_uninterrupted_run(digits, tmp_path):
    full, killed = tmp_path / "full", tmp_path / "killed"
    subprocess.run(train_cmd(digits, full), check=True, capture_output=True, env={"OMP_NUM_THREADS": "1", "PATH": ""})

    proc = subprocess.Popen(train_cmd(digits, killed), stderr=subprocess.DEVNULL, env={"OMP_NUM_THREADS": "1", "PATH": ""})
    ckpt = killed / "checkpoint.pt"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if ckpt.exists() and torch.load(ckpt, weights_only=False)["epoch"] >= 5:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "training finished before it could be killed; make it longer"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (killed / "model.pt").exists()
    interrupted_at = torch.load(ckpt, weights_only=False)["epoch"]
    assert 0 < interrupted_at < SPEC["train"]["epochs"]

    res = subprocess.run(train_cmd(digits, killed), check=True, capture_output=True, text=True,
                         env={"OMP_NUM_THREADS": "1", "PATH": ""})
    assert f"resuming from epoch {interrupted_at}" in res.stderr
    a = torch.load(full / "model.pt", weights_only=True)
    b = torch.load(killed / "model.pt", weights_only=True)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    ha, hb = tables.read(full / "history.parquet"), tables.read(killed / "history.parquet")
    assert ha["value"].tolist() == hb["value"].tolist()
    assert ha.query("metric == 'train_acc'")["value"].iloc[-1] == 1.0  # reached the terminal phase
    nc1 = ha.query("metric == 'nc1'").sort_values("step")
    assert nc1["step"].iloc[0] == 0 and nc1["value"].iloc[0] > 10 * nc1["value"].iloc[-1]  # logged from the init


def test_divergence_stops_with_one_line(digits, tmp_path):
    spec = {**SPEC, "model": {**SPEC["model"], "lr": 1e6}, "train": {**SPEC["train"], "epochs": 3}}
    res = subprocess.run(train_cmd(digits, tmp_path, spec), capture_output=True, text=True)
    assert res.returncode == 2
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("lowdim: error:")]
    assert len(lines) == 1, res.stderr
    assert "run collapse/digits/mlp-standard/s7 diverged at step" in lines[0] and "last finite loss" in lines[0]
    assert not (tmp_path / "model.pt").exists()


def test_checkpoint_of_other_parameters_is_ignored(digits, tmp_path):
    short = {**SPEC, "train": {**SPEC["train"], "epochs": 2}}
    subprocess.run(train_cmd(digits, tmp_path, short), check=True, capture_output=True)
    other = {**short, "model": {**short["model"], "lr": 0.01}}
    res = subprocess.run(train_cmd(digits, tmp_path, other), check=True, capture_output=True, text=True)
    assert "ignoring checkpoint" in res.stderr and "resuming" not in res.stderr


def test_progress_outside_a_terminal_is_a_few_plain_lines(monkeypatch):
    """In a log (not a TTY) progress is one plain line per tenth of the work or minute, never carriage returns."""
    import io
    import time as time_mod

    from lowdim.train import progress as prog

    monkeypatch.delenv("LOWDIM_PROGRESS", raising=False)
    clock = iter(range(0, 10_000, 3))  # each step takes 3 s of a fake clock
    monkeypatch.setattr(time_mod, "perf_counter", lambda: float(next(clock)))
    out = io.StringIO()
    bar = prog.progress(range(100), total=100, desc="study/run", file=out)
    assert isinstance(bar, prog.Lines)
    for i in bar:
        bar.set_postfix(loss=f"{1 / (i + 1):.3g}")
    bar.close()
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue() and 9 <= len(lines) <= 11, lines
    assert lines[0].startswith("[lowdim] study/run: 10/100 (10%), ") and lines[-1].startswith("[lowdim] study/run: 100/100 (100%)")
    assert lines[-1].endswith("loss=0.01")


def test_progress_in_a_terminal_is_a_bar(monkeypatch):
    import io

    from lowdim.train import progress as prog

    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.delenv("LOWDIM_PROGRESS", raising=False)
    assert not isinstance(prog.progress(range(3), total=3, file=Tty()), prog.Lines)
    monkeypatch.setenv("LOWDIM_PROGRESS", "lines")
    assert isinstance(prog.progress(range(3), total=3, file=Tty()), prog.Lines)


def test_sweep_runs_every_job_with_its_own_output_and_checkpoint():
    from lowdim.errors import ParamsError
    from lowdim.train import sweep

    calls = []
    sweep(lambda *a: calls.append(a), "spec", ["L2-w10", "L3-w10"], ["a.parquet", "b.parquet"], ["a.pt", "b.pt"])
    assert calls == [("spec", "L2-w10", "a.parquet", "a.pt"), ("spec", "L3-w10", "b.parquet", "b.pt")]
    with pytest.raises(ParamsError, match="2 jobs, 1 outputs"):
        sweep(lambda *a: None, "spec", ["L2-w10", "L3-w10"], ["a.parquet"], ["a.pt", "b.pt"])
