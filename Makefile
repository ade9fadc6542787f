# Research compendium: GNU make entry points.
#
#   make figures   extract the data set and run every notebook (incremental)
#   make test      the whole test suite, notebooks included (nbval)
#   make verify    re-run everything in a scratch copy and compare every output
#   make report    build the report
#   make lab       JupyterLab, in its own environment (.venv-lab)
#   make lint      ruff
#   make clean     remove runs/, build/ and caches (make distclean: the environments too)
#
# The pipeline and tests run in .venv, created from requirements.lock on first use and
# re-installed whenever requirements.lock or pyproject.toml is newer than .venv/.installed.
# JupyterLab lives in .venv-lab (requirements-lab.lock): installed next to papermill and nbval
# it slows every notebook execution and test by about a second.

SHELL := /bin/bash
.DEFAULT_GOAL := figures

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LAB_VENV := .venv-lab
LAB_STAMP := $(LAB_VENV)/.installed

# In parallel (pytest-xdist, one worker per core): --dist loadfile keeps each file, and so each
# notebook's cells, on one worker; conftest.py puts the files with slow tests first and
# --no-loadscope-reorder keeps that order (xdist would otherwise sort files by test count).
PYTEST_ARGS = tests notebooks --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg \
	-n auto --dist loadfile --no-loadscope-reorder
RUN_ARGS ?=

.PHONY: figures test lab verify report lint clean distclean venv

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -r requirements.lock
	$(PY) -m pip install --no-deps -e .
	@touch $@

$(LAB_STAMP): requirements-lab.lock pyproject.toml
	@test -x $(LAB_VENV)/bin/python || $(PYTHON) -m venv $(LAB_VENV)
	$(LAB_VENV)/bin/python -m pip install -r requirements-lab.lock
	$(LAB_VENV)/bin/python -m pip install --no-deps -e .
	@touch $@

requirements-lab.lock:
	@echo "requirements-lab.lock is missing: it pins JupyterLab for 'make lab'" >&2; exit 1

figures: $(STAMP)
	$(PY) -m analysis extract && $(PY) -m analysis run $(RUN_ARGS)

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

verify: $(STAMP)
	$(PY) -m analysis verify

report: $(STAMP)
	$(PY) -m analysis report

lint: $(STAMP)
	$(VENV)/bin/ruff check .

lab: $(LAB_STAMP)
	$(LAB_VENV)/bin/jupyter lab --ServerApp.root_dir=notebooks

clean:
	rm -rf runs build .pytest_cache .ruff_cache .hypothesis test-artifacts
	find . -path ./.venv -prune -o -path ./.venv-lab -prune -o -path ./.git -prune \
		-o -type d \( -name __pycache__ -o -name .ipynb_checkpoints \) -print0 \
		| xargs -0 rm -rf

distclean: clean
	rm -rf $(VENV) $(LAB_VENV)
