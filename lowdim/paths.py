"""Every path lowdim reads or writes, in one place.

Snakemake rules, DVC stages and the Python code all take their paths from here; nothing
else builds a path by string concatenation. Functions return ``str`` so that they can be
called with Snakemake wildcards (``prepared("{dataset}")``) as well as with values.
"""

from __future__ import annotations

import os

DATA = "data"
#: Every scale (params ``scale``: embedded, medium, paper) has its own tree of prepared data, results and
#: logs, so that scales coexist: results/embedded/..., results/medium/...
SCALE = "embedded"
RESULTS_ROOT = "results"
RESULTS = f"{RESULTS_ROOT}/{SCALE}"
LOGS = f"logs/{SCALE}"
#: Where raw downloads are kept (one folder per dataset; shared by the scales).
RAW = f"{DATA}/raw"
#: Prepared datasets in lowdim's compact format (one ``.npz`` per dataset).
PREPARED = f"{DATA}/prepared/{SCALE}"


#: The paper scale's rehearsal (workflow/configs/rehearsal.yaml) reads its own mirror of real files and
#: stand-ins (lowdim.rehearsal.standins) and keeps its raw copies apart, so that no stand-in is ever
#: found by a real run.
REHEARSAL_MIRROR = f"{DATA}/rehearsal/mirror"


def use_scale(scale: str) -> None:
    """Point every path below at ``scale``'s tree (the Snakefile calls this once, with params ``scale``)."""
    global SCALE, RESULTS, LOGS, PREPARED, RAW
    SCALE, RESULTS, LOGS, PREPARED = scale, f"{RESULTS_ROOT}/{scale}", f"logs/{scale}", f"{DATA}/prepared/{scale}"
    RAW = f"{DATA}/rehearsal/raw" if scale == "rehearsal" else f"{DATA}/raw"


def scale_tree(scale: str) -> str:
    """The results folder of one scale (what `dvc add` versions for a scale run outside dvc.yaml)."""
    return f"{RESULTS_ROOT}/{scale}"


def raw_dir(dataset: str) -> str:
    return f"{RAW}/{dataset}"


def prepared(dataset: str) -> str:
    return f"{PREPARED}/{dataset}.npz"


def study_dir(study: str) -> str:
    return f"{RESULTS}/{study}"


def run_dir(study: str, run: str) -> str:
    """One run's folder; ``run`` is the study's run id, e.g. "mnist5k/mlp-standard/s0"."""
    return f"{RESULTS}/{study}/runs/{run}"


def checkpoint(study: str, run: str) -> str:
    """Training checkpoint (resumed from); deliberately not a Snakemake output."""
    return f"{run_dir(study, run)}/checkpoint.pt"


def checkpoint_dir(study: str, run: str) -> str:
    """The folder of a job's several checkpoints (per seed or per method), resumed from; not an output."""
    return run_dir(study, run)


def model(study: str, run: str) -> str:
    return f"{run_dir(study, run)}/model.pt"


def history(study: str, run: str) -> str:
    return f"{run_dir(study, run)}/history.parquet"


def feature_stats(study: str, run: str, split: str = "train") -> str:
    return f"{run_dir(study, run)}/features_{split}.npz"


def run_arrays(study: str, run: str, kind: str) -> str:
    """A run's small numpy output (e.g. the rhm examples' predicted masks)."""
    return f"{run_dir(study, run)}/{kind}.npz"


def run_metrics(study: str, run: str, kind: str = "metrics") -> str:
    return f"{run_dir(study, run)}/{kind}.parquet"


def run_summary(study: str, run: str) -> str:
    """A run's small JSON of headline numbers (e.g. the DLN speed comparison)."""
    return f"{run_dir(study, run)}/summary.json"


def table(study: str) -> str:
    """The study's metric table (long schema, see lowdim.tables)."""
    return f"{RESULTS}/{study}/metrics.parquet"


def summary(study: str) -> str:
    """Small JSON of headline numbers: a DVC metrics file (outside the study's DVC out)."""
    return f"{RESULTS}/summary/{study}.json"


def curves(study: str) -> str:
    """CSV of the study's main curves: a DVC plots file."""
    return f"{RESULTS}/curves/{study}.csv"


def figure(study: str, name: str, ext: str = "pdf") -> str:
    return f"{RESULTS}/{study}/figures/{name}.{ext}"


def benchmark(study: str, step: str, tag: str = "") -> str:
    """Snakemake benchmark file (per-rule wall time), kept out of DVC outputs."""
    suffix = f"_{tag}" if tag else ""
    return f"{LOGS}/benchmarks/{study}/{step}{suffix}.tsv"


def log(study: str, step: str, tag: str = "") -> str:
    """A job's log (its stdout and stderr, also shown on the terminal)."""
    suffix = f"_{tag}" if tag else ""
    return f"{LOGS}/{study}/{step}{suffix}.log"


def claims(ext: str = "parquet") -> str:
    """The reproduction scorecard of this scale: results/<scale>/claims.parquet, .md, .html."""
    return f"{RESULTS}/claims.{ext}"


def scorecard() -> str:
    """Every scale's verdicts side by side (rewritten by each scale's claims step)."""
    return f"{RESULTS_ROOT}/scorecard.md"


def data_mirror(params_mirror: str | None = None) -> str | None:
    """The local raw-data mirror: $LOWDIM_DATA_MIRROR wins over params ``data.mirror``."""
    return os.environ.get("LOWDIM_DATA_MIRROR") or params_mirror or None
