"""Shared fixtures: a throw-away copy of the project (its own git repo) and command helpers."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lowdim.config import deep_merge
from lowdim.studies import STUDIES

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

#: A tiny but real configuration: every rule runs, in seconds, on 2 CPU cores. Each study brings its own
#: overlay (``TINY`` in lowdim/studies/<study>/params.py).
TINY = {"resources": {"train": {"gpu": 0, "mem_mb": 1000, "runtime": 10, "cpus": 1}}}
for _study in STUDIES:
    TINY = deep_merge(TINY, importlib.import_module(f"lowdim.studies.{_study}.params").TINY)


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
