"""Keep DVC's lock file in step with what Snakemake built.

Snakemake runs the pipeline; DVC versions its outputs. After a successful
``snakemake`` run, every DVC stage whose Snakemake targets all exist is committed
(``dvc commit --force <stage>``), so that ``dvc repro`` afterwards finds nothing to do.
Inside a DVC stage (``LOWDIM_UNDER_DVC=1``, set by dvc.yaml) DVC records the stage itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterable, Mapping

UNDER_DVC = "LOWDIM_UNDER_DVC"
WATCHED = ("params.yaml", "dvc.yaml", "lowdim", "workflow")


def _newest_mtime(paths: Iterable[str | Path]) -> float:
    newest = 0.0
    for p in map(Path, paths):
        if p.is_dir():
            newest = max([newest] + [f.stat().st_mtime for f in p.rglob("*") if f.is_file() and "__pycache__" not in f.parts])
        elif p.exists():
            newest = max(newest, p.stat().st_mtime)
    return newest


def sync(stages: list, root: str = ".") -> None:
    """Commit the given DVC stages (their outputs must exist)."""
    if not stages:
        return
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    dvc = shutil.which("dvc") or str(Path(sys.executable).with_name("dvc"))
    res = subprocess.run([dvc, "commit", "--force", "--quiet", *stages], cwd=root, env=env,
                         capture_output=True, text=True)
    if res.returncode != 0:
        msg = (res.stderr or res.stdout).strip().splitlines()
        print(f"[lowdim] warning: dvc commit {' '.join(stages)} failed: {msg[-1] if msg else res.returncode}",
              file=sys.stderr)
    else:
        print(f"[lowdim] dvc.lock updated for stage(s): {', '.join(stages)}", file=sys.stderr)


def sync_after_snakemake(stage_targets: Mapping[str, list[str]], root: str = ".") -> None:
    """Commit each stage whose targets all exist, unless DVC runs us or the lock is current."""
    if os.environ.get(UNDER_DVC) or not (Path(root) / ".dvc").is_dir() or not (Path(root) / "dvc.yaml").exists():
        return
    lock = Path(root) / "dvc.lock"
    lock_time = lock.stat().st_mtime if lock.exists() else -1.0
    watched = _newest_mtime(Path(root) / w for w in WATCHED)
    ready = [
        stage for stage, targets in stage_targets.items()
        if targets and all(Path(root, t).exists() for t in targets)
        and max(_newest_mtime(Path(root, t) for t in targets), watched) > lock_time
    ]
    sync(ready, root)
