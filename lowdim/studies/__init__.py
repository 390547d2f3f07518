"""The studies: one package each, and the registry everything else is derived from.

A study package ``lowdim/studies/<name>/`` owns what is about it: its parameters (``params.py``:
the ``<name>`` block of params.yaml, with ranges and choices on each field), its steps
(``STEPS`` in ``__init__.py``: ``python -m lowdim <name> <step>``), the datasets it prepares
(``datasets``), its DVC stage (``DVC``), its claims (``claims.py``) and its report captions
(``captions/``). Its Snakemake rules live in ``workflow/rules/<name>.smk``, which defines a rule
named ``<name>`` that gathers the study's outputs. The CLI's step table, the params dataclass and
its JSON schema, ``rule all``, the datasets to prepare, dvc.yaml and the scorecard all read
:data:`STUDIES`; a new study is its folder, its rules file and one line here (docs/developing.md).
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: every study, in the order the CLI, the DAG and the scorecard list them
STUDIES: tuple[str, ...] = (
    "collapse",
    "dln",
    "completion",
    "adapt",
    "rhm",
)


def study(name: str) -> ModuleType:
    """The study's package (``lowdim.studies.<name>``): its STEPS, PARAMS, DVC and datasets()."""
    if name not in STUDIES:
        raise KeyError(f"no study {name!r} (studies: {', '.join(STUDIES)})")
    return importlib.import_module(f"{__name__}.{name}")


def steps(name: str) -> dict[str, str]:
    """``step -> "module:function"`` of a study, module names made absolute."""
    return {step: f"{__name__}.{name}.{target}" for step, target in study(name).STEPS.items()}


def datasets(name: str, params: dict) -> list[str]:
    """The datasets the study prepares under ``params`` (the whole merged params)."""
    fn = getattr(study(name), "datasets", None)
    return list(fn(params)) if fn else []
