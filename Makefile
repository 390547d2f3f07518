# lowdim: two commands on a fresh machine.
#   make all    install everything (pinned, into .venv) and run the whole study
#   make test   run the test suite
#   make rehearsal  every paper-scale job on CPU for a few steps, and the paper scale's projected cost
VENV    ?= .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
export DVC_NO_ANALYTICS := 1

SLURM_PLUGINS := $(VENV)/slurm-plugins

.PHONY: all install install-slurm run test rehearsal lint bench clean
all: run

install: $(STAMP)
$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip==26.3
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# On a cluster's login node: the Slurm executor in the venv itself (see requirements-slurm.lock).
install-slurm: $(STAMP)
	$(PY) -m pip install --quiet --no-deps -r requirements-slurm.lock

# For the test suite's Slurm module only: the executor aside, put on PYTHONPATH by those tests.
$(SLURM_PLUGINS)/.installed: requirements-slurm.lock $(STAMP)
	$(PY) -m pip install --quiet --no-deps --target $(SLURM_PLUGINS) -r requirements-slurm.lock
	touch $@

run: $(STAMP)
	PATH=$(abspath $(VENV))/bin:$$PATH snakemake --cores all

test: $(STAMP) $(SLURM_PLUGINS)/.installed
	PATH=$(abspath $(VENV))/bin:$$PATH python -m pytest -q

# The paper scale rehearsed on CPU: every paper job at paper shape for a few steps (stand-ins listed in
# results/rehearsal/STANDINS.md) and the paper's projected cost (results/rehearsal/cost.md).
rehearsal: $(STAMP)
	PATH=$(abspath $(VENV))/bin:$$PATH snakemake --cores all --configfile workflow/configs/paper.yaml workflow/configs/rehearsal.yaml

lint: $(STAMP)
	PATH=$(abspath $(VENV))/bin:$$PATH snakemake --lint

clean:
	rm -rf results logs .snakemake data/prepared
