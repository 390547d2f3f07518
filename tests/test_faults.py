"""Faults injected for real: unreadable checkpoints, a full disk, a read-only file system, refused
writes, file modes. Each ends in one line naming the file, the cause and the fix, and loses nothing."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from lowdim import io, tables
from lowdim.errors import WriteError
from lowdim.train import Checkpointer, fit, seed_everything

from conftest import make_project, run


# --- helpers --------------------------------------------------------------------------------------

@contextlib.contextmanager
def tmpfs(where: Path, size: str, read_only: bool = False):
    """A real tmpfs of ``size`` mounted at ``where`` (a full disk or a read-only file system)."""
    where.mkdir(parents=True, exist_ok=True)
    opts = f"size={size}" + (",ro" if read_only else "")
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(where)], capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({res.stderr.strip() or 'not root'}); the injected-errno tests cover it")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=True)


@contextlib.contextmanager
def umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def table() -> "tables.pd.DataFrame":
    rows = [{"study": "t", "experiment": "e", "model": "m", "dataset": "d", "seed": 0, "step": i, "step_unit": "epoch",
             "layer": None, "metric": "x", "value": float(i)} for i in range(20_000)]
    return tables.frame(rows, "0" * 12)


def figure_saver(path: Path):
    from lowdim.figures.style import save
    import matplotlib.pyplot as plt

    def write(p: Path) -> None:
        fig, ax = plt.subplots(figsize=(12, 8))
        ax.imshow(np.random.default_rng(0).random((400, 600)))  # noise: an incompressible PNG
        save(fig, p)
    return write


#: each writer of the project, writing something a few hundred kB large to ``path``
WRITERS = {
    "parquet": (".parquet", lambda p: tables.write(table(), p)),
    "npz": (".npz", lambda p: io.write_npz(p, {"x": np.random.default_rng(0).random(60_000)})),
    "torch": (".pt", lambda p: io.write_torch(p, {"w": torch.randn(60_000)})),
    "checkpoint": (".pt", lambda p: Checkpointer(p, "id").save(
        {"model": {"w": torch.randn(60_000)}, "optimizer": {}, "epoch": 1, "step": 1, "history": []})),
    "json": (".json", lambda p: io.write_json(p, {"x": list(range(60_000))})),
    "figure": (".png", lambda p: figure_saver(p)(p)),
}


# --- file modes and durability ------------------------------------------------------------------

@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_outputs_honour_the_umask(tmp_path, kind, mask, mode):
    suffix, write = WRITERS[kind]
    path = tmp_path / f"out{suffix}"
    with umask(mask):
        write(path)
    assert path.stat().st_mode & 0o777 == mode, oct(path.stat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


def test_writes_are_fsynced_before_the_rename_and_the_folder_after(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append(("fsync", os.path.basename(os.readlink(f"/proc/self/fd/{fd}")))), real_fsync(fd)))
    monkeypatch.setattr(os, "replace", lambda a, b: (events.append(("replace", os.path.basename(b))), real_replace(a, b)))
    io.write_json(tmp_path / "x.json", {"a": 1})
    kinds = [e[0] for e in events]
    assert kinds == ["fsync", "replace", "fsync"], events
    assert events[0][1].startswith(".x.json.") and events[2][1] == tmp_path.name  # the file, then its folder


# --- write failures: one line, nothing half-written ---------------------------------------------

@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_full_disk_is_one_line_naming_file_and_cause(tmp_path, kind):
    suffix, write = WRITERS[kind]
    with tmpfs(tmp_path / "disk", "64k") as disk:
        path = disk / "sub" / f"out{suffix}"
        with pytest.raises(WriteError) as e:
            write(path)
        left = [p.name for p in (disk / "sub").iterdir()]
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(f"cannot write {path}: no space left on device (ENOSPC); free space")
    assert left == []  # neither the output nor its temporary file


def test_read_only_file_system_is_one_line(tmp_path):
    with tmpfs(tmp_path / "ro", "1m", read_only=True) as disk:
        with pytest.raises(WriteError, match=r"cannot write .*out\.json: read-only file system \(EROFS\); run from a writable"):
            io.write_json(disk / "out.json", {})


@pytest.mark.parametrize("code, cause", [(errno.ENOSPC, "no space left on device"), (errno.EACCES, "permission denied"),
                                         (errno.EROFS, "read-only file system"), (errno.EDQUOT, "disk quota exceeded")])
@pytest.mark.parametrize("where", ["writer", "mkstemp"])
def test_injected_write_errors_are_one_line(tmp_path, monkeypatch, code, cause, where):
    """Root ignores file modes, so a refused write is injected where the OS would raise it."""
    path = tmp_path / "out" / "table.parquet"
    err = OSError(code, os.strerror(code), str(path.parent))
    if where == "mkstemp":
        monkeypatch.setattr(io.tempfile, "mkstemp", lambda **kw: (_ for _ in ()).throw(err))
        writer = lambda tmp: None  # noqa: E731
    else:
        def writer(tmp):
            tmp.write_bytes(b"partial")
            raise OSError(code, os.strerror(code), str(tmp))
    with pytest.raises(WriteError) as e:
        io.write_atomic(path, writer)
    assert str(e.value).startswith(f"cannot write {path}: {cause}")
    assert list(path.parent.iterdir()) == []


def test_other_errors_pass_through_unchanged(tmp_path):
    """A bug in a writer is not dressed up as a disk fault (and still leaves nothing behind)."""
    with pytest.raises(ZeroDivisionError):
        io.write_atomic(tmp_path / "x", lambda tmp: 1 / 0)
    other = tmp_path / "input.csv"
    with pytest.raises(PermissionError):  # refused reading an input: not a write failure of ours
        io.write_atomic(tmp_path / "y", lambda tmp: (_ for _ in ()).throw(PermissionError(errno.EACCES, "denied", str(other))))
    assert list(tmp_path.iterdir()) == []


# --- unreadable checkpoints in the shared loop -------------------------------------------------

def _train(ckpt: Path, epochs: int = 6) -> tuple[list[dict], dict]:
    """A small model through the shared loop, checkpointing every epoch."""
    seed_everything(0)
    x = torch.randn(64, 8)
    y = (x[:, 0] > 0).long()
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss = lambda idx: torch.nn.functional.cross_entropy(model(x[idx]), y[idx])  # noqa: E731
    batches = lambda epoch: torch.randperm(64, generator=torch.Generator().manual_seed(epoch)).split(16)  # noqa: E731
    history = fit("test/run", model, opt, loss, batches, epochs, Checkpointer(ckpt, "same-params", 1), progress=False)
    return history, {k: v.clone() for k, v in model.state_dict().items()}


def _truncate(p: Path) -> None:
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def _flip(p: Path) -> None:
    b = bytearray(p.read_bytes())
    for i in range(len(b) // 2, len(b) // 2 + 16):  # inside the tensor data: torch.load alone would not notice
        b[i] ^= 0xFF
    p.write_bytes(bytes(b))


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    return _train(tmp_path_factory.mktemp("full") / "checkpoint.pt")


@pytest.mark.parametrize("damage", [_truncate, _flip], ids=["truncated", "corrupted"])
def test_unreadable_checkpoint_is_set_aside_and_the_previous_one_resumes(tmp_path, capfd, uninterrupted, damage):
    ckpt = tmp_path / "checkpoint.pt"
    _train(ckpt, epochs=4)  # killed after epoch 4, say; its last write went bad
    assert ckpt.with_name("checkpoint.pt.prev").exists()
    damage(ckpt)
    capfd.readouterr()
    history, state = _train(ckpt)
    err = capfd.readouterr().err
    warnings = [ln for ln in err.splitlines() if "warning: checkpoint" in ln]
    assert len(warnings) == 1 and "cannot be read" in warnings[0]
    assert "moved to checkpoint.pt.unreadable, trying the previous one" in warnings[0], err
    assert f"resuming from epoch 3 ({ckpt}.prev)" in err
    assert (tmp_path / "checkpoint.pt.unreadable").exists()
    full_history, full_state = uninterrupted
    assert history == full_history
    assert all(torch.equal(state[k], full_state[k]) for k in full_state)


def test_with_no_readable_checkpoint_training_starts_over(tmp_path, capfd, uninterrupted):
    ckpt = tmp_path / "checkpoint.pt"
    _train(ckpt, epochs=4)
    _flip(ckpt)
    _truncate(ckpt.with_name("checkpoint.pt.prev"))
    capfd.readouterr()
    history, state = _train(ckpt)
    err = capfd.readouterr().err
    assert err.count("cannot be read") == 2 and "starting over" in err and "resuming" not in err, err
    assert history == uninterrupted[0]


def test_a_finished_run_keeps_its_last_two_checkpoints(tmp_path):
    ckpt = tmp_path / "checkpoint.pt"
    _train(ckpt, epochs=3)
    assert torch.load(ckpt, weights_only=False)["epoch"] == 3
    assert torch.load(ckpt.with_name("checkpoint.pt.prev"), weights_only=False)["epoch"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.pt", "checkpoint.pt.prev"]
    Checkpointer(ckpt, "").remove()
    assert list(tmp_path.iterdir()) == []


# --- through Snakemake, as a user meets them ----------------------------------------------------

RUN = "results/embedded/collapse/runs/digits/mlp-standard/s0"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The tiny project with one collapse run trained through Snakemake."""
    project = make_project(tmp_path_factory.mktemp("faults") / "lowdim")
    run(["snakemake", "--cores", "2", f"{RUN}/history.parquet"], cwd=project)
    return project, tables.read(project / RUN / "history.parquet")


@pytest.mark.slow
def test_truncated_checkpoint_then_snakemake_finishes_with_the_same_table(trained):
    project, before = trained
    ckpt = project / RUN / "checkpoint.pt"
    ckpt.write_bytes(ckpt.read_bytes()[:500])  # `head -c 500` of it
    for out in ("history.parquet", "model.pt"):
        (project / RUN / out).unlink()
    res = run(["snakemake", "--cores", "2", f"{RUN}/history.parquet"], cwd=project)
    assert "cannot be read" in (project / "logs/embedded/collapse/train_digits_mlp-standard_s0.log").read_text()
    after = tables.read(project / RUN / "history.parquet")
    cols = [c for c in tables.SCHEMA if c != "git_rev"]
    assert before[cols].equals(after[cols]), res.stderr[-2000:]


@pytest.mark.slow
def test_full_disk_under_snakemake_is_one_line_and_exit_2(trained, tmp_path):
    project, _ = trained
    out = tmp_path / "run"
    with tmpfs(out, "16k"):
        res = subprocess.run([sys.executable, "-m", "lowdim", "collapse", "train", "--spec", _spec(project),
                              "--run", "digits/mlp-standard/s0", "--data-path",
                              str(project / "data/prepared/embedded/digits.npz"), "--model-out", str(out / "model.pt"),
                              "--history-out", str(out / "history.parquet"), "--checkpoint", str(out / "checkpoint.pt")],
                             capture_output=True, text=True, cwd=project)
        left = sorted(p.name for p in out.iterdir())
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("lowdim: error:")]
    assert res.returncode == 2 and len(errors) == 1 and "Traceback" not in res.stderr, res.stderr[-3000:]
    assert errors[0].startswith(f"lowdim: error: cannot write {out}/") and "no space left on device (ENOSPC)" in errors[0]
    assert not [n for n in left if n.endswith(".tmp")]


def _spec(project: Path) -> str:
    """The rule's --spec for the run, as Snakemake passes it."""
    dry = run(["snakemake", "-n", "-p", "--forcerun", "collapse_train", "--cores", "1", f"{RUN}/history.parquet"],
              cwd=project).stdout
    line = next(ln for ln in dry.splitlines() if "lowdim collapse train" in ln)
    import shlex

    words = shlex.split(line.split("python -m lowdim", 1)[1])
    return words[words.index("--spec") + 1]
