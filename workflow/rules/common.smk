# Settings shared by every rules file (each study's rules file may be left out without breaking another).
# Helper functions live in lowdim/pipeline.py.
from lowdim.pipeline import code, print_rule_times, spec, study_spec
from lowdim.studies import STUDIES, datasets as study_datasets


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

#: Rule priority of the long training jobs (adapt, rhm, completion speed and MovieLens, deep DLNs): on a
#: few cores, starting the longest jobs first leaves the short ones to fill the cores at the end
#: (longest-processing-time scheduling). prepare_data has it too: a rule's priority does not pass to
#: the jobs it waits on. It reorders jobs only: it cannot make a run shorter than its core-seconds / cores.
LONG_JOB = 10

#: Resources of every training job (the slurm profile maps gpu, mem_mb, runtime, cpus).
TRAIN_RES = config["resources"]["train"]

#: DVC stage -> the Snakemake targets it wraps (committed to dvc.lock after a run): "prepare", each study's rule
#: of the same name (its outputs) and "claims".
DVC_STAGES = {}
