"""Helpers the Snakefile uses to wire rules (kept here so the rules files stay declarative)."""

from __future__ import annotations

import ast
import json
import sys
from functools import lru_cache
from pathlib import Path
from typing import Mapping

from lowdim import paths

#: What every step runs before its own module: ``python -m lowdim`` (lowdim/__main__.py -> cli.py).
ENTRY = ("lowdim.__main__", "lowdim.cli")
PACKAGE = Path(__file__).resolve().parent


def _module_file(name: str) -> Path | None:
    """lowdim/a/b.py or lowdim/a/b/__init__.py for the dotted name, if it is a lowdim module."""
    rel = Path(*name.split(".")[1:]) if "." in name else Path()
    for f in (PACKAGE / rel.with_suffix(".py") if rel.parts else None, PACKAGE / rel / "__init__.py"):
        if f is not None and f.is_file():
            return f
    return None


def imported(path: Path) -> set[str]:
    """Every lowdim name a source file imports, anywhere in it (a function-level import counts), as
    dotted names; ``from pkg import x`` gives both ``pkg`` and ``pkg.x`` (x may be a module)."""
    found = set()
    for node in ast.walk(ast.parse(Path(path).read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return {m for m in found if m.split(".")[0] == "lowdim"}


@lru_cache(maxsize=None)
def _imports(name: str) -> frozenset[str]:
    """The lowdim modules ``name`` imports (:func:`imported`), with the packages above each
    (importing a.b runs a/__init__.py)."""
    found = imported(_module_file(name))
    out = set()
    for mod in found:
        parts = mod.split(".")
        out |= {".".join(parts[:i]) for i in range(1, len(parts) + 1) if _module_file(".".join(parts[:i]))}
    return frozenset(out)


@lru_cache(maxsize=None)
def _closure(roots: tuple[str, ...]) -> tuple[str, ...]:
    seen, todo = set(), list(roots)
    while todo:
        mod = todo.pop()
        if mod not in seen:
            seen.add(mod)
            todo.extend(_imports(mod) - seen)
    return tuple(sorted(str(_module_file(m).relative_to(PACKAGE.parent)) for m in seen))


def code(*steps: str) -> list[str]:
    """The lowdim source files that ``python -m lowdim <group> <step>`` runs, for each of ``steps``
    ("collapse train"): the entry point, the step's module and every lowdim module they import,
    transitively. The single source of code dependencies: rules list it as an input (an edit re-runs
    exactly the jobs whose code changed) and dvc.yaml's stages list the union over their steps
    (``python -m lowdim dvc yaml``; a test checks that they agree)."""
    from lowdim.cli import COMMANDS

    roots = set(ENTRY)
    for s in steps:
        group, step = s.split()
        module = COMMANDS[group][step].split(":")[0]
        roots |= {module, *_loaded_by(module)}
    return list(_closure(tuple(sorted(roots))))


def _loaded_by(module: str) -> list[str]:
    """Modules ``module`` imports by name from the registry rather than by an import statement: the scorecard
    evaluates every registered study's claims (lowdim.claims.scorecard.registry)."""
    if module != "lowdim.claims.scorecard":
        return []
    from lowdim.studies import STUDIES

    return [f"lowdim.studies.{s}.claims" for s in STUDIES if _module_file(f"lowdim.studies.{s}.claims")]


#: DVC stage -> the steps its Snakemake target runs
STAGE_STEPS = {"prepare": ("data prepare",), "claims": ("claims score",)}


def stage_code(stage: str) -> list[str]:
    """The code dependencies of a DVC stage: :func:`code` over every step of its study."""
    from lowdim.cli import COMMANDS

    steps = STAGE_STEPS.get(stage) or tuple(f"{stage} {step}" for step in COMMANDS[stage])
    return code(*steps)


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
