# lowdim: two commands on a fresh machine.
#   make all    install everything (pinned, into .venv) and run the whole study
#   make test   run the test suite
VENV    ?= .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
export DVC_NO_ANALYTICS := 1

.PHONY: all install run test lint bench clean
all: run

install: $(STAMP)
$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip==26.3
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

run: $(STAMP)
	PATH=$(abspath $(VENV))/bin:$$PATH snakemake --cores all

test: $(STAMP)
	PATH=$(abspath $(VENV))/bin:$$PATH python -m pytest -q

lint: $(STAMP)
	PATH=$(abspath $(VENV))/bin:$$PATH snakemake --lint

clean:
	rm -rf results logs .snakemake data/prepared
