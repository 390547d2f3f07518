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
    res = subprocess.run([_dvc(), "commit", "--force", "--quiet", *stages], cwd=root, env=env,
                         capture_output=True, text=True)
    if res.returncode != 0:
        msg = (res.stderr or res.stdout).strip().splitlines()
        print(f"[lowdim] warning: dvc commit {' '.join(stages)} failed: {msg[-1] if msg else res.returncode}",
              file=sys.stderr)
    else:
        print(f"[lowdim] dvc.lock updated for stage(s): {', '.join(stages)}", file=sys.stderr)


def _dvc() -> str:
    return shutil.which("dvc") or str(Path(sys.executable).with_name("dvc"))


def version_scale(scale: str, root: str = ".") -> None:
    """`dvc add results/<scale>`: a scale other than params.yaml's (whose stages dvc.yaml holds) is versioned
    as one tree; commit results/<scale>.dvc to record it."""
    from lowdim import paths

    tree = paths.scale_tree(scale)
    res = subprocess.run([_dvc(), "add", "--quiet", tree], cwd=root, env={**os.environ, "DVC_NO_ANALYTICS": "1"},
                         capture_output=True, text=True)
    if res.returncode != 0:
        msg = (res.stderr or res.stdout).strip().splitlines()
        print(f"[lowdim] warning: dvc add {tree} failed: {msg[-1] if msg else res.returncode}", file=sys.stderr)
    else:
        print(f"[lowdim] {tree} versioned by DVC: commit {tree}.dvc to record it", file=sys.stderr)


def params_scale(root: str = ".") -> str:
    """The scale of params.yaml: the one dvc.yaml's stages build."""
    import yaml

    return (yaml.safe_load((Path(root) / "params.yaml").read_text()) or {}).get("scale", "embedded")


def sync_after_snakemake(stage_targets: Mapping[str, list[str]], root: str = ".", scale: str | None = None) -> None:
    """Commit each stage whose targets all exist, unless DVC runs us or the lock is current; a run at
    another scale than params.yaml's (an overlay) is versioned as its own tree instead."""
    if os.environ.get(UNDER_DVC) or not (Path(root) / ".dvc").is_dir() or not (Path(root) / "dvc.yaml").exists():
        return
    if scale is not None and scale != params_scale(root):
        version_scale(scale, root)
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


def _with_code_deps(text: str) -> str:
    """dvc.yaml's text with each stage's ``lowdim/`` deps replaced by :func:`lowdim.pipeline.stage_code`
    (every other line, comments included, kept as is)."""
    from lowdim.pipeline import stage_code

    out, stage, in_deps = [], None, False
    for line in text.splitlines():
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if indent == 2 and stripped.endswith(":") and not stripped.startswith("#"):
            stage, in_deps = stripped[:-1], False
        elif indent == 4 and stripped:
            if in_deps and stage is not None:  # the deps list ended: its code files go at its end
                out.extend(f"      - {f}" for f in stage_code(stage))
            in_deps = stripped == "deps:"
        if in_deps and stripped.startswith("- lowdim/"):
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def deps(check: bool = False, path: str = "dvc.yaml") -> None:
    """Write each DVC stage's code dependencies (the lowdim files its steps import, derived by
    ``lowdim.pipeline.code`` as the rules' are) into dvc.yaml; ``--check``: only say whether it agrees."""
    from lowdim.errors import LowdimError

    text = Path(path).read_text()
    new = _with_code_deps(text)
    if check:
        if new != text:
            raise LowdimError(f"{path}: the stages' lowdim/ deps differ from the code the steps import; "
                              "run `python -m lowdim dvc deps` to rewrite them")
        print(f"{path}: code deps agree")
        return
    Path(path).write_text(new)
    print(f"{path}: code deps written")
