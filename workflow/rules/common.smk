# Settings shared by every rules file. Helper functions live in lowdim/pipeline.py.
from lowdim.pipeline import code, print_rule_times, spec, study_spec


wildcard_constraints:
    dataset="[a-z0-9_]+",
    seed=r"\d+",


# Every job's shell first puts this interpreter's bin folder (the venv's) on PATH, so that
# `python -m lowdim` is the lowdim running Snakemake, and exports where raw data is: the
# mirror and the download switch locate files but change no output, so they are
# environment rather than rule params (no spurious re-runs).
shell.prefix(lowdim_steps.shell_prefix(config["data"]))

#: Software of every rule, for `--sdm conda` (normally the venv of `make install`).
CONDA_ENV = "../envs/lowdim.yaml"

#: DVC stage -> the Snakemake targets it wraps (committed to dvc.lock after a run).
DVC_STAGES = {}
