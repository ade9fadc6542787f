# Research compendium: GNU make entry points.
#
#   make figures   extract the data set and run every notebook (incremental)
#   make test      the whole test suite, notebooks included (nbval)
#   make verify    re-run everything in a scratch copy, grade every output, give the verdict
#                  (VERIFY_ARGS=--exact: the byte-identical contract of the original machine)
#   make report    build the site (Sphinx + MyST-NB) into build/site/
#   make paper     build the research note (site/note.md) as a PDF: build/paper/note.pdf
#   make lab       JupyterLab, in its own environment (.venv-lab; as root too)
#   make lock      regenerate the hash-locked requirement files from pyproject.toml
#   make lint      ruff
#   make clean     remove runs/, build/ and caches (make distclean: the environments too)
#
# The pipeline and tests run in .venv, installed by uv from the hash-locked requirements.lock
# (`uv pip sync --require-hashes`: exactly the locked packages, every file checked against its
# SHA-256) and re-installed whenever requirements.lock or pyproject.toml is newer than
# .venv/.installed. uv itself is installed first, into .uv/, by the system Python's pip from
# requirements-uv.txt (pinned, with hashes). JupyterLab lives in .venv-lab
# (requirements-lab.lock, the same pins plus JupyterLab): installed next to papermill and
# nbval it slows every notebook execution and test by about a second.
# `make lock` regenerates the three lock files from pyproject.toml (scripts/lock.sh).

SHELL := /bin/bash
.DEFAULT_GOAL := figures

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LAB_VENV := .venv-lab
LAB_STAMP := $(LAB_VENV)/.installed
UV_DIR := .uv
UV := $(UV_DIR)/bin/uv
# uv uses the system Python given above and never downloads an interpreter.
export UV_PYTHON_DOWNLOADS := never
# uv compiles the bytecode of what it installs: with PYTHONDONTWRITEBYTECODE=1 (set in many
# containers and CI images) Python never writes .pyc files, and every process would recompile
# pandas, matplotlib and statsmodels from source (README, "Set-up").
export UV_COMPILE_BYTECODE := 1
# `jupyter lab` refuses to run as root unless told to.
LAB_ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
NPM_STAMP := node_modules/.installed

# In parallel (pytest-xdist, one worker per core): --dist loadfile keeps each file, and so each
# notebook's cells, on one worker, except the browser tests, which conftest.py spreads over
# the workers test by test (one per page of the site); conftest.py puts the files with slow
# tests first and --no-loadscope-reorder keeps that order (xdist would otherwise sort files by
# test count). --durations=10 prints the ten slowest tests (README, "Test time"). The
# docstrings' examples in analysis/ run too (--doctest-modules).
PYTEST_ARGS = tests notebooks analysis --doctest-modules \
	--nbval --nbval-sanitize-with tests/nbval_sanitize.cfg \
	-n auto --dist loadfile --no-loadscope-reorder --durations=10
RUN_ARGS ?=
# Options for `python -m analysis verify`: on the machine and environment that made the
# outputs, `make verify VERIFY_ARGS=--exact` requires every output byte-identical; elsewhere
# the graded verdict (replication.yaml) decides (README, "Reproduce and verify").
VERIFY_ARGS ?=
# Extra options for `jupyter lab` (tests/test_lab.py passes port, token and --no-browser).
LAB_ARGS ?=

.PHONY: figures test lab lab-env verify report paper lint lock clean distclean venv

venv: $(STAMP)
lab-env: $(LAB_STAMP)

$(UV): requirements-uv.txt
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
		--no-deps --require-hashes \
		--target $(UV_DIR) -r requirements-uv.txt
	@touch $@

$(STAMP): requirements.lock pyproject.toml | $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(VENV)
	$(UV) pip sync --quiet --python $(PY) --require-hashes requirements.lock
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	$(PY) -m compileall -q -j 0 analysis
	@touch $@

$(LAB_STAMP): requirements-lab.lock pyproject.toml | $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(LAB_VENV)
	$(UV) pip sync --quiet --python $(LAB_VENV)/bin/python --require-hashes requirements-lab.lock
	$(UV) pip install --quiet --python $(LAB_VENV)/bin/python --no-deps -e .
	$(LAB_VENV)/bin/python -m compileall -q -j 0 analysis
	@touch $@

requirements-lab.lock:
	@echo "requirements-lab.lock is missing: it pins JupyterLab for 'make lab'" >&2; exit 1

lock: | $(UV)
	UV=$(UV) scripts/lock.sh

figures: $(STAMP)
	$(PY) -m analysis extract && $(PY) -m analysis run $(RUN_ARGS)

test: $(STAMP) $(NPM_STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

verify: $(STAMP)
	$(PY) -m analysis verify $(VERIFY_ARGS)

report: $(STAMP)
	$(PY) -m analysis report

# The research note as a PDF (analysis.site.paper, Typst). The build writes $(PAPER).d: a rule
# naming every file the note is computed from (its source, each table its values come from,
# the figures it embeds, CITATION.cff, requirements.lock, the code), so the PDF is rebuilt
# whenever one of them changes and only then. PAPER_ARGS passes --figures/--processed/
# --notebooks (scratch copies; the tests use them).
PAPER ?= build/paper/note.pdf
PAPER_ARGS ?=
paper: $(PAPER)

$(PAPER): $(STAMP)
	$(PY) -m analysis paper --out $@ $(PAPER_ARGS)

-include $(PAPER).d

# axe-core and HTML_CodeSniffer (the accessibility engines the browser test injects into every
# page), pinned in package-lock.json; npm ci empties node_modules first, stamp included.
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

lint: $(STAMP)
	$(VENV)/bin/ruff check .

lab: $(LAB_STAMP)
	$(LAB_VENV)/bin/jupyter lab --ServerApp.root_dir=notebooks $(LAB_ROOT_FLAG) $(LAB_ARGS)

clean:
	rm -rf runs build node_modules .pytest_cache .ruff_cache .hypothesis test-artifacts
	find . -path ./.venv -prune -o -path ./.venv-lab -prune -o -path ./.uv -prune -o -path ./.git -prune \
		-o -type d \( -name __pycache__ -o -name .ipynb_checkpoints \) -print0 \
		| xargs -0 rm -rf

distclean: clean
	rm -rf $(VENV) $(LAB_VENV) $(UV_DIR)
