"""Keep DVC's lock file in step with what Snakemake built.

Snakemake runs the pipeline; DVC versions its outputs. After a successful
``snakemake`` run, every DVC stage whose Snakemake targets all exist is committed
(``dvc commit --force <stage>``), so that ``dvc repro`` afterwards finds nothing to do.
Inside a DVC stage (``LOWDIM_UNDER_DVC=1``, set by dvc.yaml) DVC records the stage itself.
"""

from __future__ import annotations

import os
import re
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


HEADER = """\
# Written by `python -m lowdim dvc yaml` from the study registry (lowdim/studies): do not edit by hand;
# tests/test_architecture.py fails when it is stale.
# DVC wraps the Snakemake targets: Snakemake runs, DVC versions. Every stage reads its
# values from params.yaml (the same file Snakemake validates and uses) and lists the keys
# it depends on, so `dvc repro` after an edit re-runs only the stages (and, inside them,
# Snakemake re-runs only the jobs) that the edit touches. Outputs persist: DVC must not
# delete what Snakemake would reuse. After a plain `snakemake --cores all`, the Snakefile
# commits these stages itself, so `dvc repro` then has nothing to do.
# These stages build params.yaml's scale (embedded: results/embedded/). A run at another scale
# (`snakemake --configfile workflow/configs/medium.yaml`) is versioned as one tree, results/<scale>.dvc.
# The DVC metrics are the headline only (results/embedded/summary/claims.json: claims held per study and
# each claim's measured value); every study's detailed summary is an ordinary output.
"""


def _cmd(target: str) -> str:
    return f"{UNDER_DVC}=1 snakemake {target} --cores all"


def stages(root: str = ".") -> dict:
    """dvc.yaml's stages: prepare, one per registered study (its Snakemake rule of the same name, the params
    keys its ``DVC`` names, its outputs and curves) and claims; code deps from :func:`lowdim.pipeline.stage_code`."""
    from lowdim import paths
    from lowdim.pipeline import stage_code
    from lowdim.specs import generated_by
    from lowdim.studies import STUDIES, study

    paths.use_scale(params_scale(root))
    dvc = {s: getattr(study(s), "DVC", {}) for s in STUDIES}
    out = {"prepare": {
        "cmd": _cmd("prepare"), "deps": ["workflow/rules/data.smk", *stage_code("prepare")],
        "params": [f"data.{k}" for k in generated_by()] + [k for s in STUDIES for k in dvc[s].get("dataset_keys", ())],
        "outs": [{paths.PREPARED: {"persist": True}}]}}
    for s in STUDIES:
        stage = {"cmd": _cmd(s), "deps": [paths.PREPARED, f"workflow/rules/{s}.smk", *stage_code(s)],
                 "params": ["device", "resources.train", *dvc[s].get("params", ()), s],
                 "outs": [{paths.study_dir(s): {"persist": True}},
                          {paths.summary(s): {"cache": False, "persist": True}}]}
        if "plot" in dvc[s]:
            x, y = dvc[s]["plot"]
            stage["plots"] = [{paths.curves(s): {"cache": False, "persist": True, "x": x, "y": y}}]
        out[s] = stage
    out["claims"] = {
        "cmd": _cmd("claims"),
        "deps": [paths.table(s) for s in STUDIES] + [paths.summary(s) for s in STUDIES] + stage_code("claims"),
        "params": ["claims"],
        "outs": [paths.claims("parquet"), {paths.claims("md"): {"cache": False}}],
        "metrics": [{paths.summary("claims"): {"cache": False, "persist": True}}]}
    return out


def text(root: str = ".") -> str:
    """dvc.yaml as it should be: :data:`HEADER` and :func:`stages`, a blank line between stages."""
    import yaml

    body = yaml.safe_dump({"stages": stages(root)}, sort_keys=False, default_flow_style=False, width=120)
    lines = body.splitlines()
    # a blank line between stages (a stage is a key indented by two spaces)
    return HEADER + "\n".join(("\n" if i > 1 and re.match(r"^  \w+:$", line) else "") + line
                               for i, line in enumerate(lines)) + "\n"


def write_yaml(check: bool = False, path: str = "dvc.yaml") -> None:
    """Write dvc.yaml from the study registry (its stages, params keys, outputs, plots and each stage's code deps:
    the lowdim files its steps import); ``--check``: only say whether the committed file is current."""
    from lowdim.errors import LowdimError

    new = text(str(Path(path).parent))
    if check:
        if not Path(path).exists() or Path(path).read_text() != new:
            raise LowdimError(f"{path} is stale: run `python -m lowdim dvc yaml` to rewrite it from the study registry")
        print(f"{path}: current")
        return
    from lowdim.io import write_atomic

    write_atomic(path, lambda tmp: Path(tmp).write_text(new))
    print(f"{path}: written")
