"""Helpers the Snakefile uses to wire rules (kept here so the rules files stay declarative)."""

from __future__ import annotations

import glob
import json
import sys
from pathlib import Path
from typing import Mapping

from lowdim import paths

#: Modules every step imports: a change to any of them re-runs every rule.
CORE = ("__init__.py", "cli.py", "config.py", "errors.py", "io.py", "paths.py", "provenance.py", "steps.py", "tables.py")


def sources(*parts: str) -> list[str]:
    """The lowdim source files a rule uses (its inputs, so that code edits re-run it).

    ``parts`` are sub-packages ("models") or single modules ("studies/collapse.py").
    """
    files = [f"lowdim/{f}" for f in CORE]
    for part in parts:
        files.extend([f"lowdim/{part}"] if part.endswith(".py") else sorted(glob.glob(f"lowdim/{part}/*.py")))
    return files


def spec(obj) -> str:
    """Canonical JSON: Snakemake's params trigger re-runs exactly when a value changes."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def study_spec(config: Mapping, study: str, *keys: str) -> str:
    """The JSON spec of a study step: the device plus the study's params under ``keys``."""
    return spec({"device": config["device"], **{k: config[study][k] for k in keys}})


def print_rule_times() -> None:
    """Per-rule wall time from the benchmark files: the run log's timing table."""
    import pandas as pd

    root = Path(paths.LOGS) / "benchmarks"
    rows = []
    for f in sorted(root.glob("**/*.tsv")):
        try:
            rows.append({"job": str(f.relative_to(root).with_suffix("")), "seconds": float(pd.read_csv(f, sep="\t")["s"].iloc[-1])})
        except (OSError, ValueError, KeyError, IndexError):
            continue
    if rows:
        table = pd.DataFrame(rows).to_string(index=False, float_format="%.1f")
        print(f"lowdim: per-rule wall time (s), from {root}:\n{table}", file=sys.stderr)
