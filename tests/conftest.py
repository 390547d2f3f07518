"""Shared fixtures: a throw-away copy of the project (its own git repo) and command helpers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MIRROR = Path(os.environ.get("LOWDIM_DATA_MIRROR", ROOT.parent / "shared" / "data"))
TOP_LEVEL_IGNORED = {".venv", "data", "results", "logs", ".snakemake", ".git", "dvc.lock", ".dvc-remote", ".pytest_cache"}


def COPY_IGNORE(directory: str, names: list[str]) -> set[str]:
    """What a fresh clone would not have: build outputs at the top level, caches anywhere."""
    ignored = {n for n in names if n == "__pycache__" or n.endswith(".egg-info")}
    if Path(directory).resolve() == ROOT:
        ignored |= TOP_LEVEL_IGNORED & set(names)
    if Path(directory).name == ".dvc":
        ignored |= {"cache", "tmp"} & set(names)
    return ignored

#: A tiny but real configuration: every rule runs, in seconds, on 2 CPU cores.
TINY = {
    "collapse": {
        "datasets": ["digits"],
        "seeds": [0],
        "models": {"mlp": {"arch": "mlp", "depth": 2, "width": 32, "linear_depth": 0, "batch_norm": False,
                           "loss": "ce", "lr": 0.05, "weight_decay": 5.0e-4, "feature_decay": 0.0, "init_scale": None,
                           "output_scale": 1.0, "head_bias": True, "schedule": "step", "heads": ["standard"],
                           "fit_from": 1}},
        "train": {"epochs": 4, "batch_size": 64, "optimizer": "sgd", "momentum": 0.9, "milestones": [0.5],
                  "lr_min_ratio": 0.01, "checkpoint_every": 2, "eval_every": 2},
        "features": {"batch_size": 500, "max_gram_dim": 4096},
        "umap": {"samples": 200, "layers": 2, "neighbors": 10},
    },
    "dln": {
        "seeds": [0, 1],
        "progressive": {"depths": [3], "activations": ["linear"], "epochs": 60, "record_every": 20,
                        "checkpoint_every": 30},
        "invariant": {"dim": 12, "rank": 2, "steps": 10, "inputs": ["whitened"], "optimizers": {"gd": 0.2}},
        "compressed": {"dim": 30, "rank": 2, "max_steps": 400, "record_every": 5},
    },
    "completion": {
        "seeds": [0, 1],
        "depth_width": {"dim": 20, "rank": 2, "widths": [4, 20], "lr": [15.0, 30.0], "max_steps": 200,
                        "record_every": 50},
        "speed": {"dim": 30, "rank": 2, "ranks": [2], "gammas": [0.01], "lr": 50.0, "shallow_lr": 50.0,
                  "max_steps": 200, "record_every": 50, "als_iterations": 5},
        "movielens": {"width": 40, "rank": 4, "max_steps": 40, "record_every": 20, "als_iterations": 3},
    },
    "adapt": {"targets": "qv", "seeds": [0], "samples": [16], "ranks": [], "rank_samples": 16, "batch_size": 8,
              "steps": 4, "eval_every": 2, "early_step": 2, "dev_samples": 20},
    "resources": {"train": {"gpu": 0, "mem_mb": 1000, "runtime": 10, "cpus": 1}},
    "data": {"overhead": {"size": 16, "train": 32, "test": 16, "unlabelled": 16, "targets": 2},
             "inria_spacenet": {"size": 16, "train": 32, "test": 16, "unlabelled": 16}},
    "rhm": {"datasets": ["inria_spacenet", "overhead"], "seeds": [0], "model": {"depth": 1, "width": 4},
            "train": {"epochs": 2, "batch_size": 16},
            "invariance": {"strengths": [0.0, 1.0], "transforms": 1}},
}


#: The Slurm executor, installed aside (requirements-slurm.lock): only the runs that use the slurm
#: profile see it, so every other snakemake start skips the plugin's `scontrol` probe (~10 s here).
SLURM_PLUGINS = BIN.parent / "slurm-plugins"


def slurm_plugins() -> Path:
    """The folder holding the Slurm executor plugins, installed on first use (what `make test` does)."""
    if not (SLURM_PLUGINS / ".installed").exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(SLURM_PLUGINS),
                        "-r", str(ROOT / "requirements-slurm.lock")], check=True)
        (SLURM_PLUGINS / ".installed").touch()
    return SLURM_PLUGINS


def env(slurm: bool = False) -> dict[str, str]:
    e = dict(os.environ)
    e["PATH"] = f"{BIN}{os.pathsep}{e.get('PATH', '')}"
    e["DVC_NO_ANALYTICS"] = "1"
    e.pop("LOWDIM_UNDER_DVC", None)
    if slurm:
        e["PYTHONPATH"] = os.pathsep.join(filter(None, [str(slurm_plugins()), e.get("PYTHONPATH", "")]))
    return e


def run(cmd: list[str] | str, cwd: Path, check: bool = True, timeout: float = 600,
        slurm: bool = False) -> subprocess.CompletedProcess:
    res = subprocess.run(cmd, cwd=cwd, env=env(slurm), capture_output=True, text=True, timeout=timeout,
                         shell=isinstance(cmd, str))
    if check and res.returncode != 0:
        raise AssertionError(f"{cmd} failed ({res.returncode}):\n{res.stdout[-3000:]}\n{res.stderr[-5000:]}")
    return res


def write_params(project: Path, overlay: dict) -> None:
    """Overlay values onto the project's params.yaml (what a user editing it does)."""
    from lowdim.config import deep_merge

    path = project / "params.yaml"
    params = deep_merge(yaml.safe_load(path.read_text()), overlay)
    if "models" in overlay.get("collapse", {}):  # a model set replaces the default one
        params["collapse"]["models"] = overlay["collapse"]["models"]
    if "optimizers" in overlay.get("dln", {}).get("invariant", {}):
        params["dln"]["invariant"]["optimizers"] = overlay["dln"]["invariant"]["optimizers"]
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def make_project(dest: Path, overlay: dict | None = TINY) -> Path:
    shutil.copytree(ROOT, dest, ignore=COPY_IGNORE, symlinks=True)
    if overlay:
        write_params(dest, overlay)
    git = "git -c user.name=t -c user.email=t@t -c commit.gpgsign=false"
    run(f"git init -q && {git} add -A && {git} commit -q -m init", cwd=dest)
    return dest


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A fresh copy of the project with the tiny configuration (one per test module)."""
    return make_project(tmp_path_factory.mktemp("project") / "lowdim")
